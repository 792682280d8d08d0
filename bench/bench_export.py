"""Benchmark: chart image export and briefing packs.

Run with `make bench` (or `python -m bench.bench_export [--reps N] [--pack-reps N]`; defaults 5 and 1,
BENCH_FULL=1: 10 and 3). Prints one
table: what was timed, median and max seconds, and the issue's target. Warm means the persistent
kaleido server (one Chromium per process) is already running: one untimed warm-up call first.

* single chart PNG: export.figure_bytes(production_concentration, "png", "16:9") -> 2560x1440,
  median of --reps after one warm-up;
* the same as SVG and PDF, for comparison (no target);
* pack build: briefing.country_briefing("IND", two regimes) -- queries, model and figures, no images;
* pack PPTX / PDF: export.pack_pptx / pack_pdf of that pack (every chart rendered by kaleido),
  median of --pack-reps. The default country pack holds 9 charts (the issue's target
  is stated for an 8-chart pack), so the per-chart column divides by the real count.
No timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import statistics
import time

from bench import size
from chokepoint import briefing, db, export
from chokepoint.views import overview


def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=size(5, 10))
    ap.add_argument("--pack-reps", type=int, default=size(1, 3))
    args = ap.parse_args()
    problem = export.image_export_problem()
    if problem:
        print(f"skipped: {problem}")
        return 0
    fig = overview.production_concentration(db.run_query("production_concentration")).figure()
    t0 = time.perf_counter()
    export.figure_bytes(fig, "png")  # warm-up: starts the kaleido server (Chromium)
    cold = time.perf_counter() - t0
    rows = [("first PNG in the process (starts Chromium)", [cold], None, 1)]
    for fmt in ("png", "svg", "pdf"):
        rows.append((f"single chart {fmt.upper()} 16:9, warm", timed(lambda f=fmt: export.figure_bytes(fig, f),
                                                                     args.reps), 0.5 if fmt == "png" else None, 1))
    regs = briefing.resolve_regimes("apr-2025-licensing,oct-2025-expansion")
    pack = briefing.country_briefing("IND", regimes=regs)
    n = len(pack.charts)
    rows.append(("pack build (IND, 2 regimes; data + figures)",
                 timed(lambda: briefing.country_briefing("IND", regimes=regs), args.pack_reps), None, n))
    rows.append((f"pack PPTX ({len(pack.slides)} slides, {n} charts)",
                 timed(lambda: export.pack_pptx(pack), args.pack_reps), 10.0, n))
    rows.append((f"pack PDF ({len(pack.slides)} pages, {n} charts)",
                 timed(lambda: export.pack_pdf(pack), args.pack_reps), 10.0, n))
    rows.append(("pack build + PPTX + PDF (both files, from scratch)",
                 timed(lambda: (export.pack_pptx(p := briefing.country_briefing("IND", regimes=regs)),
                                export.pack_pdf(p)), args.pack_reps), None, n))
    w = max(len(r[0]) for r in rows)
    print(f"{'what':{w}s}  {'median s':>9s}  {'max s':>7s}  {'s/chart':>7s}  {'target':>8s}  met")
    for name, ts, target, k in rows:
        med = statistics.median(ts)
        tgt = f"< {target:g} s" if target else "-"
        met = "-" if target is None else ("yes" if med < target else "NO")
        print(f"{name:{w}s}  {med:9.3f}  {max(ts):7.3f}  {med / k:7.3f}  {tgt:>8s}  {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
