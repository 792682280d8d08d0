"""Two replicas vs one behind nginx, at the protocol level: concurrent sessions over
Streamlit's websocket (/_stcore/stream), no browser.

Each session is a websocket through the proxy with its own route cookie (tests/nginx_proxy.py;
sessions are spread evenly over the replicas), which sends ``BackMsg(rerun_script=...)`` for a
page and waits for ``ForwardMsg.script_finished``: one "rerun" is one full page run on the server
(the same work a browser's page load or widget change triggers; the browser's own rendering is not
in it). Per setup: R reruns per session, S sessions at once; prints rerun latency p50/p95 and
throughput. Both setups use the same nginx config and the same PostgreSQL workspace; only the
number of replicas differs. Floor: one session alone on one replica. Asserts nothing.

On a 2-CPU machine the client and PostgreSQL share the CPUs with the replicas, so the gain from a
second replica is bounded by what is left of the second CPU.

    python bench/bench_replicas.py [--sessions 6] [--reruns 5] [--page ""]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.nginx_proxy import ROUTE_COOKIE, Nginx, free_port
from tests.pg_cluster import PgCluster, pg_bin

ROOT = Path(__file__).resolve().parent.parent


def start_replica(tmp: Path, port: int, env: dict) -> subprocess.Popen:
    log = open(tmp / f"replica-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **env))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"replica on {port} did not start")


async def session(ws_url: str, route: str, page: str, reruns: int) -> list[float]:
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    out = []
    # ping_timeout=None: a rerun on a busy machine can keep the server from answering a keepalive
    # ping for more than the default 20 s; the bench measures that latency, it must not die of it
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_timeout=None,
                                  additional_headers={"Cookie": f"{ROUTE_COOKIE}={route}"}) as ws:
        for _ in range(reruns):
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            msg.rerun_script.page_name = page
            t = time.perf_counter()
            await ws.send(msg.SerializeToString())
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await ws.recv())
                if fwd.WhichOneof("type") == "script_finished":
                    break
            out.append(time.perf_counter() - t)
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


async def run(proxy: Nginx, routes: list[str], page: str, reruns: int) -> tuple[list[float], float]:
    ws_url = proxy.url.replace("http://", "ws://") + "/_stcore/stream"
    t = time.perf_counter()
    res = await asyncio.gather(*(session(ws_url, r, page, reruns) for r in routes))
    return [x for r in res for x in r], time.perf_counter() - t


def balanced_routes(proxy: Nginx, n: int) -> list[str]:
    by_up: dict[str, list[str]] = {}
    for k in range(400):
        by_up.setdefault(proxy.upstream_for(f"s-{k}"), []).append(f"s-{k}")
        if all(len(v) >= n for v in by_up.values()) and len(by_up) == len(proxy.upstreams):
            break
    ups = sorted(by_up)
    return [by_up[ups[i % len(ups)]][i // len(ups)] for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--page", default="", help="page name ('' = the overview)")
    args = ap.parse_args()
    bindir = pg_bin()
    if bindir is None:
        print("PostgreSQL is not installed (apt-get install postgresql)")
        return 1
    cluster = PgCluster(bindir).start()
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chokepoint-bench-replicas-") as tmp:
            tmp = Path(tmp)
            env = {"CHOKEPOINT_WORKSPACE_URL": cluster.create_database("load"),
                   "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
                   "CHOKEPOINT_DATA_HOME": str(tmp / "datasets")}
            ports = [free_port(), free_port()]
            procs = [start_replica(tmp, p, env) for p in ports]
            print(f"== {args.sessions} concurrent websocket sessions x {args.reruns} reruns of page "
                  f"{args.page or 'overview'!r}, through nginx")
            for n_rep in (1, 2):
                proxy = Nginx(ports[:n_rep]).start()
                try:
                    routes = balanced_routes(proxy, args.sessions)
                    for r in routes[:n_rep]:                          # warm each replica's caches
                        asyncio.run(run(proxy, [r], args.page, 2))
                    if n_rep == 1:
                        floor, _ = asyncio.run(run(proxy, routes[:1], args.page, args.reruns))
                        print(f"floor: 1 session alone   rerun p50 {_pct(floor, .5) * 1000:7.0f} ms  "
                              f"p95 {_pct(floor, .95) * 1000:7.0f} ms")
                    lat, wall = asyncio.run(run(proxy, routes, args.page, args.reruns))
                    print(f"{n_rep} replica{'s' if n_rep > 1 else ' '}: rerun p50 {_pct(lat, .5) * 1000:7.0f} ms  "
                          f"p95 {_pct(lat, .95) * 1000:7.0f} ms  throughput {len(lat) / wall:5.2f} reruns/s "
                          f"({len(lat)} reruns in {wall:.1f} s)")
                finally:
                    proxy.stop()
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
