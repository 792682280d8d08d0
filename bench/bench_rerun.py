"""Benchmark: server time per warm rerun of each page, in process (Streamlit's AppTest).

For each page: app.py run once, the page opened (cold: imports, caches), then R more runs of the
same page unchanged ("warm": what a widget change costs the server at least) and R runs that
change one widget back and forth (a real interaction). Prints p50/p95/max in ms next to the floor
(issue 13: p95 <= 60 ms on every page) and the baseline (issue 13: Exposure 420 ms, Months of cover
360-430 ms). AppTest has no websocket or browser: this is the script's own time (the protocol-level
figure at N=1 is in bench/bench_load_protocol.py). Beside the wall-clock time, the CPU time of
the script's own thread per rerun ("cpu"): on a busy machine the wall clock measures the queue for
a core, the CPU time still measures the work. Asserts nothing.

    python -m bench.bench_rerun [--reruns 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
FLOOR_MS = 60
BASELINE = {"pages/overview.py": "—", "pages/exposure.py": "420 ms", "pages/cover.py": "360–430 ms",
            "pages/regimes.py": "—", "pages/company.py": "—", "pages/data_methods.py": "—"}
#: a widget to move per page: (kind, key, two values to alternate); None = unchanged reruns only
CHANGE = {"pages/exposure.py": ("selectbox", "exp_country", ["USA", "DEU"]),
          "pages/cover.py": ("slider", "cov_industry", [6.0, 3.0])}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


#: CPU seconds of the script thread, one entry per script run (see _count_cpu)
CPU: list[float] = []


def _count_cpu() -> None:
    """Record the script thread's CPU time of every run (AppTest runs the script in a thread)."""
    from streamlit.runtime.scriptrunner import script_runner as sr
    run = sr.ScriptRunner._run_script
    if getattr(run, "_counted", False):
        return

    def counted(self, *a, **k):
        t = time.thread_time()
        try:
            return run(self, *a, **k)
        finally:
            CPU.append(time.thread_time() - t)
    counted._counted = True  # type: ignore[attr-defined]
    sr.ScriptRunner._run_script = counted  # type: ignore[method-assign]


def bench_page(page: str, reruns: int) -> tuple[list[float], list[float], list[float], list[float]]:
    from streamlit.testing.v1 import AppTest
    _count_cpu()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(page).run()
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].message}")
    warm = []
    CPU.clear()
    for _ in range(reruns):
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    warm_cpu = list(CPU)
    changed = []
    CPU.clear()
    if page in CHANGE:
        kind, key, values = CHANGE[page]
        for i in range(reruns):
            w = getattr(at, kind)(key=key).set_value(values[i % 2])
            t = time.perf_counter()
            w.run()
            changed.append(time.perf_counter() - t)
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].message}")
    return warm, changed, warm_cpu, list(CPU)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reruns", type=int, default=int(os.environ.get("CHOKEPOINT_RERUNS", "20")))
    args = ap.parse_args()
    os.chdir(ROOT)                                  # .streamlit/config.toml is read from here
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'page':24s} {'rerun':9s} {'n':>3s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} {'cpu p50':>8s} "
          f"{'cpu p95':>8s}  floor (p95)        before")
    for page in BASELINE:
        warm, changed, warm_cpu, changed_cpu = bench_page(page, args.reruns)
        for what, xs, cpu in (("unchanged", warm, warm_cpu), ("widget", changed, changed_cpu)):
            if not xs:
                continue
            p95 = pct(xs, .95) * 1000
            c50, c95 = (pct(cpu, .5) * 1000, pct(cpu, .95) * 1000) if cpu else (float("nan"),) * 2
            print(f"{page:24s} {what:9s} {len(xs):3d} {pct(xs, .5) * 1000:7.0f} {p95:7.0f} {max(xs) * 1000:7.0f} "
                  f"{c50:8.0f} {c95:8.0f}  ≤ {FLOOR_MS} ms wall {'ok ' if p95 <= FLOOR_MS else 'MISS'}  "
                  f"{BASELINE[page]}", flush=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
