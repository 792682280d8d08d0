"""Load: N concurrent real browser sessions against one `streamlit run app.py`.

Each session (a Chromium context: own cookies, own websocket) runs the same script and times
every interaction from the action to its visible result:

    overview      open /, wait for the title and the first chart
    exposure      open /exposure, wait for the title and the first chart
    company       open /company (upload page drawn)
    upload        upload a 3-row stockpile CSV, wait for the "Earliest run-out" metric
    export_csv    click the results' CSV download, wait for the file
    data_methods  open /data_methods, wait for the title

Sessions are spread over several processes (one Chromium each, async Playwright inside). The
server's resident memory (VmRSS) is sampled every 50 ms: before (after one warm-up session),
peak, and after every session has closed (the server runs with a short
server.disconnectedSessionTTL so closed sessions are dropped when this bench looks). Prints a
table; asserts nothing. tests/test_load.py runs a reduced form (N=3) for correctness only.

    python -m bench.bench_load [--sessions 1,5] [--procs 4]     (BENCH_FULL=1: --sessions 1,5,10,20)
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import size

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
#: INVENTED values: S0 = 300 t, U = 100 t/month, 80% China
CSV = (b"site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
       b"INVENTED load plant,DE,Dysprosium oxide,300,100,CN,80%\n"
       b"INVENTED load plant,DE,Dysprosium oxide,,,AU,20%\n"
       b"INVENTED load plant,DE,NdFeB magnets,50,10,JP,1\n")
STEPS = ["overview", "exposure", "company", "upload", "export_csv", "data_methods"]


# ---------------------------------------------------------------------------- server
def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self._stop_evt = pid, every, rss_kib(pid), threading.Event()
        self.start()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return
            time.sleep(self.every)

    def stop(self) -> int:
        self._stop_evt.set()
        self.join(2)
        return self.peak


def start_server(tmp: Path, ttl_s: int = 5):
    from tests.conftest import Server
    return Server(tmp, args=["--server.disconnectedSessionTTL", str(ttl_s)])


# ---------------------------------------------------------------------------- one session
async def _session(browser, url: str, k: int, tmp: str) -> dict:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
    page = await ctx.new_page()
    page.set_default_timeout(120_000)
    times: dict[str, float] = {}
    errors: list[str] = []

    async def step(name, coro):
        t = time.perf_counter()
        try:
            await coro
            times[name] = time.perf_counter() - t
        except Exception as e:  # noqa: BLE001 - recorded: the session did not get its content
            where = ""
            try:
                shot = Path(tmp) / f"fail-{k}-{name}.png"
                await page.screenshot(path=str(shot))
                h1 = await page.locator("h1").count()
                charts = await page.locator(".js-plotly-plot").count()
                where = f" (url {page.url}, {h1} h1, {charts} plotly charts, screenshot {shot})"
            except Exception:  # noqa: BLE001 - best effort diagnostics
                pass
            errors.append(f"{name}: {type(e).__name__}: {str(e).splitlines()[0][:160]}{where}")

    async def open_page(path, heading, chart=False):
        await page.goto(url + path)
        await page.get_by_role("heading", name=heading).first.wait_for()
        if chart:
            await page.locator(".js-plotly-plot .main-svg").first.wait_for()

    async def upload():
        await page.locator("input[type=file]").set_input_files(
            files=[{"name": f"load-{k}.csv", "mimeType": "text/csv", "buffer": CSV}])
        await page.get_by_test_id("stMetric").filter(has_text="Earliest run-out").first.wait_for()

    async def export_csv():
        async with page.expect_download(timeout=120_000) as info:
            await page.get_by_role("button", name="CSV", exact=True).first.click()
        dl = await info.value
        path = Path(tmp) / f"{k}-{dl.suggested_filename}"
        await dl.save_as(path)
        if b"INVENTED load plant" not in path.read_bytes():
            raise AssertionError("the CSV export lacks the session's own upload")

    await step("overview", open_page("/", "China's chokehold on critical minerals", chart=True))
    await step("exposure", open_page("/exposure", "Exposure", chart=True))
    await step("company", open_page("/company", "Company stockpiles"))
    if "company" in times:
        await step("upload", upload())
        if "upload" in times:
            await step("export_csv", export_csv())
    await step("data_methods", open_page("/data_methods", "Data and methods"))
    exceptions = await page.locator("[data-testid='stException']").count()
    if exceptions:
        errors.append(f"{exceptions} exception box(es) on the last page")
    await ctx.close()
    return {"session": k, "times": times, "errors": errors}


async def _worker_main(url: str, ids: list[int], tmp: str, start_at: float) -> list[dict]:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.sleep(max(0.0, start_at - time.time()))      # every process starts together
        out = await asyncio.gather(*(_session(browser, url, k, tmp) for k in ids))
        await browser.close()
    return list(out)


def _worker(url: str, ids: list[int], tmp: str, start_at: float, q) -> None:
    try:
        q.put(asyncio.run(_worker_main(url, ids, tmp, start_at)))
    except Exception as e:  # noqa: BLE001 - reported by the parent
        q.put([{"session": k, "times": {}, "errors": [f"worker: {type(e).__name__}: {e}"]} for k in ids])


def run_sessions(url: str, n: int, procs: int, tmp: str) -> list[dict]:
    """N concurrent sessions over min(procs, N) browser processes; one result dict per session."""
    procs = max(1, min(procs, n))
    groups = [list(range(i, n, procs)) for i in range(procs)]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    start_at = time.time() + 4.0                                      # time to launch every Chromium
    ps = [ctx.Process(target=_worker, args=(url, g, tmp, start_at, q)) for g in groups]
    for p in ps:
        p.start()
    results: list[dict] = []
    for _ in ps:
        results += q.get(timeout=900)
    for p in ps:
        p.join(60)
    return sorted(results, key=lambda r: r["session"])


# ---------------------------------------------------------------------------- report
def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))
    return xs[i]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default=size("1,5", "1,5,10,20"))
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--settle", type=float, default=20.0, help="seconds to wait after close before 'after' RSS")
    args = ap.parse_args()
    ns = [int(x) for x in args.sessions.split(",")]
    print(f"machine: {os.cpu_count()} CPU(s); server and browsers on the same machine; "
          f"browser processes: up to {args.procs}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="chokepoint-load-") as tmp:
        server = start_server(Path(tmp))
        pid = server.proc.pid
        try:
            run_sessions(server.url, 1, 1, tmp)                       # warm-up: caches, kaleido, imports
            time.sleep(args.settle)
            for n in ns:
                before = rss_kib(pid)
                sampler = RssSampler(pid)
                t0, c0 = time.perf_counter(), cpu_s(pid)
                res = run_sessions(server.url, n, args.procs, tmp)
                wall, cpu = time.perf_counter() - t0, cpu_s(pid) - c0
                peak = sampler.stop()
                time.sleep(args.settle)
                after = rss_kib(pid)
                ok = sum(not r["errors"] and len(r["times"]) == len(STEPS) for r in res)
                all_t = [t for r in res for t in r["times"].values()]
                per_step = {s: [r["times"][s] for r in res if s in r["times"]] for s in STEPS}
                rows.append((n, ok, all_t, per_step, before, peak, after, wall, cpu))
                print(f"N={n}: {ok}/{n} sessions held, p95 {pct(all_t, .95):.2f} s, server CPU {cpu:.1f} s "
                      f"in {wall:.1f} s", flush=True)
                for r in res:
                    for e in r["errors"]:
                        print(f"  N={n} session {r['session']}: {e}")
        finally:
            server.stop()
    print()
    print(f"{'N':>3} {'held':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'RSS before':>11} {'peak':>8} "
          f"{'after':>8} {'wall s':>7} {'server CPU':>10}")
    for n, ok, all_t, _per_step, before, peak, after, wall, cpu in rows:
        print(f"{n:>3} {ok:>3}/{n:<2} {pct(all_t, .5):>7.2f} {pct(all_t, .95):>7.2f} {max(all_t or [0]):>7.2f} "
              f"{before / 1024:>8.0f} MB {peak / 1024:>5.0f} MB {after / 1024:>5.0f} MB {wall:>7.1f} "
              f"{cpu:>5.1f} s ({100 * cpu / wall:.0f}%)")
    print()
    print("p50 / p95 per interaction (s):")
    print(f"{'N':>3} " + " ".join(f"{s:>17}" for s in STEPS))
    for n, _, _, per_step, *_ in rows:
        print(f"{n:>3} " + " ".join(f"{pct(per_step[s], .5):>7.2f} / {pct(per_step[s], .95):>6.2f}" for s in STEPS))
    print(f"\n(RSS 'after' = {args.settle:.0f} s after the last session closed; server.disconnectedSessionTTL=5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
