"""Cold start of the app: `streamlit run` to health, and to the Overview's first chart in Chromium.

Two ways to start, each measured here: ``serve.py`` (what ``make run`` serves: app.py with its
caches warmed before the server answers, chokepoint/ui/warm.py) and plain ``app.py`` (the
baseline: the first visitor pays the imports and the Overview's views). Floor (issue 13): cold
first chart <= 1.5 s. Prints figures; asserts nothing about time. Run from the repo root (make bench).
"""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FLOOR_S = 1.5


def one_run(browser, script: str) -> tuple[float, float, float]:
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, CHOKEPOINT_WORKSPACE=f"{tmp}/ws.duckdb", CHOKEPOINT_DATA_HOME=f"{tmp}/datasets")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        health = time.perf_counter() - t0
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t1 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
        first_chart = time.perf_counter() - t1
        page.reload()
        t2 = time.perf_counter()
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
        warm = time.perf_counter() - t2
        page.close()
        return health, first_chart, warm
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    runs = 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        results = {script: [one_run(browser, script) for _ in range(runs)] for script in ("serve.py", "app.py")}
        browser.close()
    load = os.getloadavg()
    print(f"app cold start, {runs} runs each (median, min-max), {os.cpu_count()} CPUs, load {load[0]:.2f}")
    for script, rows in results.items():
        what = "make run (caches warmed at start)" if script == "serve.py" else "baseline, no warm-up"
        print(f"  streamlit run {script} — {what}")
        cols = list(zip(*rows))
        for name, xs in zip(["process start -> /_stcore/health", "first visit -> first chart drawn (cold)",
                             "reload -> first chart drawn (warm caches)"], cols):
            floor = ""
            if "cold" in name:
                floor = f"   floor <= {FLOOR_S} s {'ok' if statistics.median(xs) <= FLOOR_S else 'MISS'}"
            print(f"    {name:42s} {statistics.median(xs):6.2f} s  ({min(xs):.2f}-{max(xs):.2f}){floor}")
        total = [h + f for h, f, _ in rows]
        print(f"    {'cold total: start -> first chart':42s} {statistics.median(total):6.2f} s")


if __name__ == "__main__":
    main()
