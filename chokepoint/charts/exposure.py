"""Drawers for the Exposure charts: map, ranking, supplier bars, Sankey, country profile,
China's export share. Titles and findings come from the spec (``chokepoint.views.exposure``)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import catalog
from ..constants import CONTROLLER, ROW
from ..fmt import pct
from ..views.spec import ChartSpec
from .overview import GROUP_LABEL
from .style import CHINA, GREY, INDIRECT, NO_DATA, PALETTE, country_color, style

SHARE_BINS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
SHARE_COLOURS = ["#FCE5D6", "#F7BE9A", "#EF955F", "#E3722F", CHINA]
#: Points for importers too small for the 1:110m outlines.
_SMALL_STATES = {"HKG": (114.2, 22.3), "SGP": (103.8, 1.35), "BHR": (50.55, 26.07), "MLT": (14.4, 35.9),
                 "MAC": (113.55, 22.2), "MUS": (57.55, -20.3), "MDV": (73.5, 3.2)}


@lru_cache(maxsize=1)
def _world() -> dict:
    """ISO3 -> {ct: [lon, lat], rings: [[xs, ys], ...]} from chokepoint/assets (see its README)."""
    path = Path(__file__).resolve().parent.parent / "assets" / "world_110m.json"
    return json.loads(path.read_text(encoding="utf-8"))["countries"]


def _polys(codes) -> tuple[np.ndarray, np.ndarray]:
    """The outlines of ``codes`` as two float arrays, rings separated by NaN (a gap, as plotly draws
    None). Arrays, not lists: plotly sends them as one typed array, so copying and serialising the
    map each rerun is one buffer per trace instead of a walk over ~20,000 numbers (float32: the
    outlines are rounded to 0.01 degree)."""
    xs, ys, world = [], [], _world()
    for c in codes:
        for rx, ry in world.get(c, {}).get("rings", []):
            xs += rx + [None]
            ys += ry + [None]
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)


def _bin_label(i: int) -> str:
    lo, hi = SHARE_BINS[i], min(SHARE_BINS[i + 1], 1.0)
    return f"{lo * 100:.0f}–{hi * 100:.0f}%"


def china_share_map(spec: ChartSpec) -> go.Figure:
    """World map of China's share by importer, binned, drawn from bundled outlines (no CDN).

    data: importer (ISO3), importer_name, ``options['value']`` (0-1). Countries without data are grey.
    """
    df, value, selected = spec.data, spec.options["value"], spec.options["selected"]
    world = _world()
    d = df.dropna(subset=[value]).copy()
    d["bin"] = pd.cut(d[value], SHARE_BINS, right=False, labels=False)
    fig = go.Figure()
    xs, ys = _polys([c for c in world if c not in set(d["importer"])])
    fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", fillcolor=NO_DATA, mode="lines",
                             line=dict(color="white", width=0.4), name="no data", hoverinfo="skip"))
    for i, colour in enumerate(SHARE_COLOURS):
        codes = list(d.loc[d["bin"] == i, "importer"])
        xs, ys = _polys(codes)
        fig.add_trace(go.Scatter(x=xs if len(xs) else [None], y=ys if len(ys) else [None], fill="toself", fillcolor=colour, mode="lines",
                                 line=dict(color="white", width=0.4), name=_bin_label(i), hoverinfo="skip"))
    # hover points at centroids (and dots for small states without outlines)
    pts = []
    for r in d.itertuples():
        ct = world.get(r.importer, {}).get("ct") or _SMALL_STATES.get(r.importer)
        if ct:
            pts.append((r.importer, r.importer_name, getattr(r, value), ct[0], ct[1], int(r.bin)))
    if pts:
        p = pd.DataFrame(pts, columns=["iso3", "name", "v", "lon", "lat", "bin"])
        small = p["iso3"].isin([c for c in p["iso3"] if c not in world])
        fig.add_trace(go.Scatter(
            x=p["lon"], y=p["lat"], mode="markers", showlegend=False, name="",
            marker=dict(size=[9 if s else 14 for s in small], opacity=[1 if s else 0 for s in small],
                        color=[SHARE_COLOURS[b] for b in p["bin"]], line=dict(color="#333", width=0.5)),
            customdata=p[["name", "iso3"]].values, text=[pct(v, 1) for v in p["v"]],
            hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>China: %{text}<extra></extra>"))
    if selected in world:
        xs, ys = _polys([selected])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#000", width=2),
                                 name=catalog.country_name(selected), hoverinfo="skip"))
    fig.update_xaxes(visible=False, range=[-170, 192], fixedrange=False)
    fig.update_yaxes(visible=False, range=[-57, 84], scaleanchor="x", scaleratio=1.25)
    fig = style(fig, spec, height=560)
    fig.update_layout(legend=dict(title=None, orientation="h", yanchor="bottom", y=-0.02, x=0.0, xanchor="left"),
                      plot_bgcolor="white", margin=dict(l=10, r=10))
    return fig


def exposure_ranking(spec: ChartSpec) -> go.Figure:
    """Stacked bars: direct and look-through (indirect) China share, importers ranked by the point
    estimate of the total; a whisker per importer spans the range the evidence allows
    (``china_share_total_low`` to ``china_share_total_high``), labelled at its high end."""
    df, selected, top_n = spec.data, spec.options["selected"], spec.options["top_n"]
    by = spec.options.get("largest_by")  # the largest importers by this column, else the top by total
    d = df.nlargest(top_n, by) if by in df else df
    d = d.sort_values(["china_share_total", "importer"], ascending=[False, True]).head(top_n)
    if selected not in set(d["importer"]) and selected in set(df["importer"]):
        d = pd.concat([d, df[df["importer"] == selected]])
    d = d.iloc[::-1]
    labels = [f"<b>{n}</b>" if c == selected else n for c, n in zip(d["importer"], d["importer_name"])]
    total = d["china_share_total"]
    low = d["china_share_total_low"] if "china_share_total_low" in d else total
    high = d["china_share_total_high"] if "china_share_total_high" in d else total
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["china_share_direct"], orientation="h", name="direct from China",
                         marker_color=CHINA, hovertemplate="%{y}: %{x:.1%} direct<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=d["china_share_indirect"], orientation="h",
                         name="through third countries (look-through)", marker_color=INDIRECT,
                         hovertemplate="%{y}: %{x:.1%} indirect<extra></extra>"))
    fig.add_trace(go.Scatter(
        y=labels, x=total, mode="markers", name="range the evidence allows (low–high)",
        marker=dict(color="#222222", size=5, symbol="line-ns-open"),
        error_x=dict(type="data", symmetric=False, array=(high - total).clip(lower=0),
                     arrayminus=(total - low).clip(lower=0), color="#222222", thickness=1.2, width=4),
        customdata=list(zip(low, high)),
        hovertemplate="%{y}: %{x:.1%} (range %{customdata[0]:.1%}–%{customdata[1]:.1%})<extra></extra>"))
    fig.add_trace(go.Scatter(y=labels, x=high, mode="text", text=[pct(v) for v in total],
                             textposition="middle right", showlegend=False, hoverinfo="skip",
                             textfont=dict(size=11)))
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_xaxes(range=[0, 1.16], tickformat=".0%", tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0],
                     title="share of imports traced to China (bar: point estimate; whisker: range)")
    return style(fig, spec, height=max(420, 150 + 22 * len(d)))


def supplier_stack(spec: ChartSpec) -> go.Figure:
    """Stacked horizontal bars: one bar per material, segments = suppliers (China first, ROW last).

    df: material (label), supplier (ISO3/ROW), share (0-1).
    """
    d = spec.data.dropna(subset=["share"]).copy()
    order = (d.groupby("supplier")["share"].sum().sort_values(ascending=False).index.tolist())
    order = ([CONTROLLER] * (CONTROLLER in order) + [s for s in order if s not in (CONTROLLER, ROW)]
             + [ROW] * (ROW in order))
    fig = go.Figure()
    for i, s in enumerate(order):
        g = d[d["supplier"] == s]
        name = catalog.country_name(s) if s != ROW else "All other suppliers"
        fig.add_trace(go.Bar(y=g["material"], x=g["share"], orientation="h", name=name,
                             marker_color=country_color(s, i - (CONTROLLER in order)),
                             marker_line=dict(color="white", width=1),
                             text=[s if v >= 0.06 else "" for v in g["share"]], textposition="inside",
                             insidetextanchor="middle",
                             hovertemplate=f"{name}: " + "%{x:.1%}<extra>%{y}</extra>"))
    fig.update_layout(barmode="stack", bargap=0.35, legend=dict(font=dict(size=11)))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="share of imports")
    fig = style(fig, spec, height=max(360, 230 + 60 * d["material"].nunique()))
    fig.update_layout(legend=dict(orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", title=None,
                                  traceorder="normal"),
                      margin=dict(r=230))
    return fig


def supplier_sankey(spec: ChartSpec) -> go.Figure:
    """Sankey: Chinese / other inputs -> suppliers -> importer (look-through made visible).

    df: supplier, share, dependence (0-1; CHN = 1).
    """
    d = spec.data.dropna(subset=["share"]).sort_values("share", ascending=False).reset_index(drop=True)
    d["dependence"] = d["dependence"].fillna(0.0)
    cname = catalog.country_name(spec.options["country"])
    sup_names = [("China" if s == CONTROLLER else "All other suppliers" if s == ROW else catalog.country_name(s))
                 for s in d["supplier"]]
    labels = ["Chinese inputs", "Non-Chinese inputs"] + sup_names + [cname]
    colours = [CHINA, GREY] + [country_color(s, i) for i, s in enumerate(d["supplier"])] + ["#333"]
    src, dst, val, col, hov = [], [], [], [], []

    def link(a: int, b: int, value: float, colour: str, hover: str) -> None:
        src.append(a)
        dst.append(b)
        val.append(value)
        col.append(colour)
        hov.append(hover)

    for i, r in d.iterrows():
        node = 2 + i
        chn = r["share"] * r["dependence"]
        other = r["share"] - chn
        if chn > 1e-9:
            link(0, node, chn, "rgba(213,94,0,0.45)", f"{pct(r['dependence'])} of its supply depends on China")
        if other > 1e-9:
            link(1, node, other, "rgba(153,153,153,0.35)", "not traced to China")
        link(node, len(labels) - 1, r["share"],
             "rgba(213,94,0,0.25)" if r["supplier"] == CONTROLLER else "rgba(0,114,178,0.2)",
             f"{pct(r['share'], 1)} of {cname}'s imports")
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=".1%",
        node=dict(label=labels, color=colours, pad=14, thickness=16, line=dict(color="white", width=0.5)),
        link=dict(source=src, target=dst, value=val, color=col, customdata=hov,
                  hovertemplate="%{source.label} → %{target.label}: %{value:.1%}<br>%{customdata}<extra></extra>"),
    ))
    return style(fig, spec, height=460)


def exposure_profile(spec: ChartSpec) -> go.Figure:
    """Country card: every material, direct and indirect China share side by side."""
    d = spec.data.iloc[::-1]
    labels = [f"{GROUP_LABEL.get(g, g)}: {catalog.short_name(n)} (HS {h})"
              for g, n, h in zip(d["material_group"], d["material_name"], d["hs6"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["china_share_direct"], orientation="h", name="direct from China",
                         marker_color=CHINA, text=[pct(v) for v in d["china_share_direct"]],
                         textposition="inside", insidetextanchor="middle",
                         hovertemplate="%{y}<br>direct: %{x:.1%}<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=d["china_share_indirect"].fillna(0), orientation="h",
                         name="through third countries", marker_color=INDIRECT,
                         text=[f"total {pct(t)}" if t == t else "n/a" for t in d["china_share_total"]],
                         textposition="outside",
                         hovertemplate="%{y}<br>indirect: %{x:.1%}<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(range=[0, 1.18], tickformat=".0%", title="share of imports traced to China")
    return style(fig, spec, height=max(320, 220 + 55 * len(d)))


def china_export_share_lines(spec: ChartSpec) -> go.Figure:
    """Lines (markers when a single year): China's share of world exports of the HS line(s)."""
    df = spec.data
    fig = go.Figure()
    for i, (hs6, g) in enumerate(df.groupby("hs6", sort=True)):
        g = g.sort_values("year")
        fig.add_trace(go.Scatter(
            x=g["year"], y=g["china_export_share"], mode="lines+markers" if len(g) > 1 else "markers+text",
            name=f"HS {hs6}", line=dict(color=CHINA if i == 0 else PALETTE[i], width=3),
            marker=dict(size=8 if len(g) > 1 else 14), text=[pct(v) for v in g["china_export_share"]],
            textposition="top center", customdata=g[["series_basis"]].values,
            hovertemplate="%{x}: %{y:.1%}<br>%{customdata[0]}<extra>HS " + hs6 + "</extra>"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title="China's share of world export value")
    y0, y1 = int(df["year"].min()), int(df["year"].max())
    fig.update_xaxes(dtick=2 if y1 - y0 > 8 else 1, range=[y0 - 1, y1 + 1] if y0 == y1 else None)
    return style(fig, spec)


def points(change: float) -> str:
    """A change in share points as a label: "+10 pp", "−3 pp", "±0 pp" below half a point."""
    if change != change:
        return ""
    return "±0 pp" if abs(change) < 0.005 else f"{change * 100:+.0f} pp".replace("-", "−")


def exposure_change(spec: ChartSpec) -> go.Figure:
    """Dumbbells: China's share of each importer's imports in the first year (hollow) and the last
    (filled), joined by a line; largest importers of the last year on top, the selected one in bold.

    df: importer, importer_name, china_share_<first>, china_share_<last>, china_share_change."""
    first, last, selected = spec.options["first"], spec.options["last"], spec.options.get("selected")
    d = spec.data.iloc[::-1]
    labels = [f"<b>{n}</b>" if c == selected else n for c, n in zip(d["importer"], d["importer_name"])]
    a, b = d[f"china_share_{first}"], d[f"china_share_{last}"]
    xs, ys = [], []
    for y, x0, x1 in zip(labels, a, b):
        xs += [x0, x1, None]
        ys += [y, y, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=GREY, width=2), showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=a, y=labels, mode="markers", name=str(first),
                             marker=dict(size=10, color="white", line=dict(color=CHINA, width=2)),
                             hovertemplate="%{y}: %{x:.1%} in " + str(first) + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=b, y=labels, mode="markers", name=str(last), marker=dict(size=11, color=CHINA),
                             hovertemplate="%{y}: %{x:.1%} in " + str(last) + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=pd.concat([a, b], axis=1).max(axis=1) + 0.012, y=labels, mode="text",
                             text=[points(c) for c in d["china_share_change"]], textposition="middle right",
                             textfont=dict(size=10, color="#444"), showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", title="China's share of import value")
    return style(fig, spec, height=max(420, 150 + 22 * len(d)))
