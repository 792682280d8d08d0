"""Load at the server: N concurrent sessions over Streamlit's websocket protocol, no browser.

Each session is a websocket on ``/_stcore/stream`` speaking the ``BackMsg``/``ForwardMsg``
protobufs that ship with streamlit (as bench/bench_replicas.py does), and runs the journey of
Streamlit's own load tests (``e2e_playwright/load_testing``: open pages, change widgets, upload):

    overview        open the Overview
    exposure        open Exposure
    exp_country_1   change "Country (importer)"          (full rerun)
    exp_country_2   change it again
    cover           open Months of cover
    cover_stock     move the "Industry inventory" slider
    company         open Company stockpiles
    upload          PUT a 3-row CSV to the upload endpoint the file_uploader uses, then the rerun
                    that reads it (BackMsg.file_urls_request -> ForwardMsg.file_urls_response)
    what_if         set the what-if "Amount" (a fragment rerun: st.fragment)
    export_csv      GET the what-if table's CSV from the media endpoint (checked: it holds the upload)

A step is timed from the message sent (or the HTTP request, for upload/export) to the
``script_finished`` message (the HTTP body, for export): server time plus the loopback, without any
browser rendering. Widget ids and values come from the ForwardMsg deltas (the element protos), never
hard-coded. The server is pinned to CPU 0 (``taskset -c 0``) and this client to CPU 1, so the figures
are the server's (the client's own CPU use is printed too).

Per N: p50/p95/max per step, reruns per second, server CPU (seconds and % of its one core), RSS
before, with every session open (per session), and after every session has closed (the server runs
with ``server.disconnectedSessionTTL=5``). At N=1 it also times R warm reruns of each page (the same
page rerun unchanged: item 1's "server time per warm rerun"). Prints each figure next to its floor
and the "before" baseline; asserts nothing. tests/test_load_protocol.py checks the message
encoding/decoding against a real server (N=1).

    python -m bench.bench_load_protocol          # N = 1, 10, 25, 50
    CHOKEPOINT_LOAD_N=1,10 python -m bench.bench_load_protocol [--warm 20]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: INVENTED values (the same 3-row file as bench/bench_load.py): S0 = 300 t, U = 100 t/month, 80% China
UPLOADER = "Stockpile CSV or Excel workbook (max 25 MB)"   # the company page's uploader, by its label

CSV = (b"site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
       b"INVENTED load plant,DE,Dysprosium oxide,300,100,CN,80%\n"
       b"INVENTED load plant,DE,Dysprosium oxide,,,AU,20%\n"
       b"INVENTED load plant,DE,NdFeB magnets,50,10,JP,1\n")
STEPS = ["overview", "exposure", "exp_country_1", "exp_country_2", "cover", "cover_stock", "company", "upload",
         "what_if", "export_csv"]
PAGES = {"overview": "", "exposure": "exposure", "cover": "cover", "company": "company"}
DEFAULT_N = "1,10,25,50"
# "before" figures (issue 13): AppTest warm rerun and the browser-driven load bench
BASELINE_WARM = {"overview": "—", "exposure": "420 ms", "cover": "360–430 ms", "company": "—"}
BASELINE_LOAD = "browser bench: p95 73.6 s at N=10 (measured the browsers; server 21% of a core)"


class JourneyError(RuntimeError):
    """A session could not finish a step (a missing widget, an exception box, a bad export)."""


# ---------------------------------------------------------------------------- one session
@dataclass
class Widget:
    kind: str            # element type in the proto oneof: selectbox, slider, number_input, ...
    proto: object        # the element's proto (id, label, options, value, ...)
    fragment_id: str     # "" outside a fragment


@dataclass
class RunResult:
    seconds: float
    status: str                                   # ScriptFinished status name
    messages: int = 0
    exceptions: list[str] = field(default_factory=list)


class ProtocolSession:
    """One browser-less Streamlit session: a websocket plus the widget state a browser would keep."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.ws = None
        self.http = None
        self.session_id = ""
        self.page = ""
        self.widgets: dict[tuple[str, str], Widget] = {}   # (kind, label) -> last seen on this page
        self.downloads: list[tuple[str, str, str]] = []   # (label, url, fragment id) of download buttons
        self.headings: list[str] = []                     # titles and subheaders of the last run
        self.states: dict[str, object] = {}               # widget id -> WidgetState proto (sent each rerun)
        self.reruns = 0

    async def __aenter__(self) -> "ProtocolSession":
        import httpx
        import websockets
        self.http = httpx.AsyncClient(base_url=self.base, timeout=300)
        await self.http.get("/_stcore/health")          # sets the XSRF cookie the upload endpoint checks
        self.ws = await websockets.connect(self.base.replace("http", "ws", 1) + "/_stcore/stream",
                                           subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                           ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()
        await self.http.aclose()

    # -- messages
    async def _send(self, msg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def _recv(self):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        fwd = ForwardMsg()
        fwd.ParseFromString(await self.ws.recv())
        return fwd

    async def rerun(self, page: str | None = None, fragment_id: str = "") -> RunResult:
        """Rerun ``page`` (default: the current one) with the widget states set so far; wait for
        script_finished. A page change drops the old page's widgets, as the browser does."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        if page is not None and page != self.page:
            self.page, self.states = page, {}
        if not fragment_id:
            self.widgets, self.downloads, self.headings = {}, [], []
        else:       # a fragment rerun redraws its own elements: the old ones' media files are released
            self.downloads = [d for d in self.downloads if d[2] != fragment_id]
            self.widgets = {k: w for k, w in self.widgets.items() if w.fragment_id != fragment_id}
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = ""
        cs.page_name = self.page
        cs.fragment_id = fragment_id
        for st in self.states.values():
            cs.widget_states.widgets.add().CopyFrom(st)
        t = time.perf_counter()
        await self._send(msg)
        res = RunResult(0.0, "")
        while True:
            fwd = await self._recv()
            res.messages += 1
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id or self.session_id
            elif kind == "delta":
                self._delta(fwd.delta, res)
            elif kind == "page_not_found":
                raise JourneyError(f"page {self.page!r} not found")
            elif kind == "script_finished":
                res.seconds = time.perf_counter() - t
                res.status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                break
        self.reruns += 1
        if res.exceptions:
            raise JourneyError(f"page {self.page or 'overview'!r}: exception: {res.exceptions[0][:300]}")
        return res

    def _delta(self, delta, res: RunResult) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(el, kind)
        if kind == "exception":
            res.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind == "heading":
            self.headings.append(proto.body)
        elif kind == "download_button":
            self.downloads.append((proto.label, proto.url, delta.fragment_id))
        elif proto.DESCRIPTOR.fields_by_name.get("id") is not None and "label" in proto.DESCRIPTOR.fields_by_name:
            self.widgets[(kind, proto.label)] = Widget(kind, proto, delta.fragment_id)

    def widget(self, kind: str, label: str) -> Widget:
        w = self.widgets.get((kind, label))
        if w is None:
            seen = sorted(lb for k, lb in self.widgets if k == kind)
            raise JourneyError(f"no {kind} {label!r} on page {self.page or 'overview'!r} (seen: {seen})")
        return w

    async def set_widget(self, kind: str, label: str, **value) -> RunResult:
        """Set one widget (``string_value=...``, ``double_value=...``, ``double_array_value=[...]``,
        ``file_uploader_state_value=...``) and rerun as the browser would: the widget's fragment
        only when it sits in one."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = self.widget(kind, label)
        st = WidgetState(id=w.proto.id)
        for name, v in value.items():
            if name == "double_array_value":
                st.double_array_value.data.extend(v)
            elif name == "file_uploader_state_value":
                st.file_uploader_state_value.CopyFrom(v)
            else:
                setattr(st, name, v)
        self.states[w.proto.id] = st
        return await self.rerun(fragment_id=w.fragment_id)

    async def upload(self, label: str, name: str, data: bytes, mime: str = "text/csv") -> RunResult:
        """The file_uploader's protocol: ask for an upload URL, PUT the file (multipart, with the
        XSRF token from the cookie), then rerun with the widget's new state."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileUploaderState
        self.widget("file_uploader", label)              # fails early when the page has no such uploader
        t = time.perf_counter()
        msg = BackMsg()
        req_id = uuid.uuid4().hex
        msg.file_urls_request.request_id = req_id
        msg.file_urls_request.file_names.append(name)
        msg.file_urls_request.session_id = self.session_id
        await self._send(msg)
        while True:
            fwd = await self._recv()
            if fwd.WhichOneof("type") == "file_urls_response" and fwd.file_urls_response.response_id == req_id:
                break
        if fwd.file_urls_response.error_msg:
            raise JourneyError(f"upload URL refused: {fwd.file_urls_response.error_msg}")
        urls = fwd.file_urls_response.file_urls[0]
        xsrf = self.http.cookies.get("_streamlit_xsrf") or ""
        r = await self.http.put(urls.upload_url, files={"file": (name, data, mime)},
                                headers={"X-Xsrftoken": xsrf})
        if r.status_code not in (200, 204):
            raise JourneyError(f"upload PUT {urls.upload_url}: HTTP {r.status_code} {r.text[:200]}")
        state = FileUploaderState()
        info = state.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        res = await self.set_widget("file_uploader", label, file_uploader_state_value=state)
        res.seconds = time.perf_counter() - t
        return res

    async def download(self, label: str, fragment: bool = False) -> tuple[float, bytes]:
        """GET the media URL of the first download button called ``label`` (in a fragment if asked)."""
        for lb, url, frag in self.downloads:
            if lb == label and url and (bool(frag) == fragment):
                t = time.perf_counter()
                r = await self.http.get(url)
                if r.status_code != 200:
                    raise JourneyError(f"download {url}: HTTP {r.status_code}")
                return time.perf_counter() - t, r.content
        raise JourneyError(f"no download button {label!r} on page {self.page!r}")


async def journey(base_url: str, k: int, hold: asyncio.Event | None = None,
                  held: list | None = None) -> dict:
    """One session's journey (module doc); ``{"times": {step: s}, "errors": [...], "reruns": n}``.
    With ``hold``, the session stays connected after its last step until ``hold`` is set."""
    times: dict[str, float] = {}
    errors: list[str] = []
    s = ProtocolSession(base_url)
    try:
        async with s:
            times["overview"] = (await s.rerun(PAGES["overview"])).seconds
            times["exposure"] = (await s.rerun(PAGES["exposure"])).seconds
            opts = list(s.widget("selectbox", "Country (importer)").proto.options)
            current = s.widget("selectbox", "Country (importer)").proto
            cur = current.options[current.default] if current.options else ""
            others = [o for o in opts if o != cur]
            for i, step in enumerate(["exp_country_1", "exp_country_2"]):
                pick = others[(k + i * 7) % len(others)]                # sessions spread over countries
                times[step] = (await s.set_widget("selectbox", "Country (importer)", string_value=pick)).seconds
            times["cover"] = (await s.rerun(PAGES["cover"])).seconds
            sl = s.widget("slider", "Industry inventory (months of use)").proto
            value = min(sl.max, sl.value[0] + sl.step * (2 + k % 5)) if sl.value else sl.max
            times["cover_stock"] = (await s.set_widget("slider", "Industry inventory (months of use)",
                                                       double_array_value=[value])).seconds
            times["company"] = (await s.rerun(PAGES["company"])).seconds
            times["upload"] = (await s.upload(UPLOADER, f"load-{k}.csv", CSV)).seconds
            times["what_if"] = (await s.set_widget("number_input", "Amount", double_value=2.0 + k % 3)).seconds
            secs, body = await s.download("CSV", fragment=True)
            if b"INVENTED load plant" not in body:
                raise JourneyError("the what-if CSV export lacks the session's own upload")
            times["export_csv"] = secs
            if held is not None:
                held.append(k)
            if hold is not None:
                await hold.wait()
    except Exception as e:  # noqa: BLE001 - recorded: this session did not get its content
        errors.append(f"{type(e).__name__}: {str(e)[:300]}")
        if held is not None and k not in held:
            held.append(k)
    return {"session": k, "times": times, "errors": errors, "reruns": s.reruns}


async def warm_reruns(base_url: str, reruns: int, pid: int | None = None) -> dict[str, tuple[list[float], float]]:
    """Per page: (seconds of ``reruns`` unchanged reruns after one cold run, server CPU seconds per
    rerun or nan) -- item 1's "server time per warm rerun"."""
    out: dict[str, tuple[list[float], float]] = {}
    async with ProtocolSession(base_url) as s:
        for name, page in PAGES.items():
            await s.rerun(page)
            if name == "company":                       # a company page with an upload: the heavy case
                await s.upload(UPLOADER, "warm.csv", CSV)
            c0 = cpu_s(pid) if pid else 0.0
            xs = [(await s.rerun()).seconds for _ in range(reruns)]
            out[name] = (xs, (cpu_s(pid) - c0) / max(reruns, 1) if pid else float("nan"))
    return out


# ---------------------------------------------------------------------------- server
def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PinnedServer:
    """``streamlit run serve.py`` (what make run serves) on CPU ``cpu`` (``taskset -c``) with a short disconnected-session TTL."""

    def __init__(self, tmp: Path, cpu: int | None = 0, ttl_s: int = 5):
        import socket
        import urllib.request
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            self.port = sk.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, CHOKEPOINT_WORKSPACE=str(tmp / "workspace.duckdb"),
                   CHOKEPOINT_DATA_HOME=str(tmp / "datasets"))
        pin = ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []
        self.log = tmp / "streamlit.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [*pin, sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--server.disconnectedSessionTTL", str(ttl_s)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not start; log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid      # taskset execs python in place: same pid

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------------------- one load level
def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


async def _level(url: str, n: int, pid: int) -> dict:
    """N sessions at once; each stays connected after its journey until all are done (RSS with N open)."""
    hold, held = asyncio.Event(), []
    c0, t0, me0 = cpu_s(pid), time.perf_counter(), time.process_time()
    tasks = [asyncio.create_task(journey(url, k, hold, held)) for k in range(n)]
    while len(held) < n and not all(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    wall, cpu, client_cpu = time.perf_counter() - t0, cpu_s(pid) - c0, time.process_time() - me0
    rss_open = rss_kib(pid)
    hold.set()
    res = await asyncio.gather(*tasks)
    return {"n": n, "results": res, "wall": wall, "cpu": cpu, "client_cpu": client_cpu, "rss_open": rss_open}


def run_level(url: str, n: int, pid: int, settle: float) -> dict:
    before = rss_kib(pid)
    out = asyncio.run(_level(url, n, pid))
    deadline = time.monotonic() + settle           # sessions dropped after the TTL; RSS read when flat
    time.sleep(min(settle, 8.0))
    after = rss_kib(pid)
    while time.monotonic() < deadline:
        time.sleep(2.0)
        now = rss_kib(pid)
        if abs(now - after) < 1024:
            after = now
            break
        after = now
    out.update(before=before, after=after)
    return out


# ---------------------------------------------------------------------------- report
def report_warm(warm: dict[str, tuple[list[float], float]]) -> str:
    lines: list[str] = []
    if warm:
        lines += ["", "Warm rerun, server time per rerun (websocket, N=1; the page rerun unchanged):",
                  f"{'page':10s} {'reruns':>6s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} {'CPU ms':>7s}  "
                  "floor         before (AppTest)"]
        for page, (xs, cpu) in warm.items():
            p95 = pct(xs, .95) * 1000
            lines.append(f"{page:10s} {len(xs):6d} {pct(xs, .5) * 1000:7.0f} {p95:7.0f} {max(xs) * 1000:7.0f} "
                         f"{cpu * 1000:7.0f}  "
                         f"≤ 60 ms {'ok ' if p95 <= 60 else 'MISS'}  {BASELINE_WARM.get(page, '—')}")
    return "\n".join(lines)


def report_level(lv: dict) -> str:
    lines: list[str] = []
    n, res = lv["n"], lv["results"]
    ok = sum(not r["errors"] and len(r["times"]) == len(STEPS) for r in res)
    reruns = sum(r["reruns"] for r in res)
    lines += ["", f"N={n}: {ok}/{n} sessions completed, {reruns} reruns in {lv['wall']:.1f} s = "
                  f"{reruns / lv['wall']:.2f} reruns/s; server CPU {lv['cpu']:.1f} s "
                  f"({100 * lv['cpu'] / lv['wall']:.0f}% of its core, {1000 * lv['cpu'] / max(reruns, 1):.0f} ms per rerun); "
                  f"client CPU {lv['client_cpu']:.1f} s",
              f"{'step':14s} {'n':>3s} {'p50 s':>7s} {'p95 s':>7s} {'max s':>7s}  floor"]
    for step in STEPS:
        xs = [r["times"][step] for r in res if step in r["times"]]
        floor = ""
        if n == 25 and xs:
            floor = f"p95 ≤ 1 s {'ok' if pct(xs, .95) <= 1.0 else 'MISS'}"
        lines.append(f"{step:14s} {len(xs):3d} {pct(xs, .5):7.3f} {pct(xs, .95):7.3f} {max(xs or [float('nan')]):7.3f}  "
                     f"{floor}")
    per = (lv["rss_open"] - lv["before"]) / 1024 / max(n, 1)
    back = (lv["after"] - lv["before"]) / max(lv["before"], 1)
    lines.append(f"RSS: before {lv['before'] / 1024:.0f} MiB, with {n} open {lv['rss_open'] / 1024:.0f} MiB "
                 f"({per:+.1f} MiB/session), after close {lv['after'] / 1024:.0f} MiB ({100 * back:+.1f}%; "
                 f"floor within 10% {'ok' if abs(back) <= 0.10 else 'MISS'})")
    if n == 50:
        lines.append(f"floor: every session completes at N=50: {'ok' if ok == n else f'MISS ({ok}/{n})'}")
    errs = [f"  session {r['session']}: {e}" for r in res for e in r["errors"]]
    lines += errs[:5] + ([f"  ... {len(errs) - 5} more"] if len(errs) > 5 else [])
    lines.append(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default=os.environ.get("CHOKEPOINT_LOAD_N", DEFAULT_N),
                    help=f"comma-separated N (env CHOKEPOINT_LOAD_N; default {DEFAULT_N})")
    ap.add_argument("--warm", type=int, default=int(os.environ.get("CHOKEPOINT_LOAD_WARM", "20")),
                    help="warm reruns per page at N=1 (0 = skip)")
    ap.add_argument("--settle", type=float, default=30.0, help="max seconds to wait for RSS after close")
    args = ap.parse_args()
    ns = [int(x) for x in args.sessions.split(",") if x.strip()]
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stop the server on a kill too
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          "server pinned to CPU 0, this client to CPU 1 (other processes share both)")
    print(f"baseline (before): {BASELINE_LOAD}", flush=True)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})                   # the client on the other core
    with tempfile.TemporaryDirectory(prefix="chokepoint-load-proto-") as tmp:
        server = PinnedServer(Path(tmp), cpu=0 if (os.cpu_count() or 1) > 1 else None)
        try:
            first = asyncio.run(journey(server.url, 0))      # warm-up: imports, caches
            if first["errors"]:
                print(f"warm-up session failed: {first['errors']}")
                return 1
            if args.warm:
                print(report_warm(asyncio.run(warm_reruns(server.url, args.warm, server.pid))), flush=True)
            for n in ns:                                 # each level's table as soon as it is done
                print(report_level(run_level(server.url, n, server.pid, args.settle)), flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
