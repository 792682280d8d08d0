"""Workspace backends: save latency per backend, and SIGKILLs mid-save on each.

* Save latency: N saves (default 200) of one 50-line snapshot through the Workspace API (the file
  is parsed once; a save is the whole transaction: snapshot row + 50 lines + commit), p50/p95/max
  per backend. Floor: a one-row INSERT + COMMIT on the same backend (what any durable write costs
  there). Baseline: the embedded DuckDB file. Also open and list.
* Kills: K savers (default 20) per backend SIGKILLed after a random delay (tests/fault_harness.py);
  every snapshot must be whole or absent, none lost or duplicated.

PostgreSQL is a throwaway cluster started here (tests/pg_cluster.py; Debian's postgresql, fsync on,
on the same 2 CPUs as the client). Prints figures; exits 1 if a kill run found a problem.

    python -m bench.bench_workspace [--saves N] [--kills N]   (default 50 and 5; BENCH_FULL=1: 200 and 20)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import size
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.workspace import open_workspace
from tests import fault_harness as fh
from tests.pg_cluster import PgCluster, pg_bin

ROOT = Path(__file__).resolve().parent.parent


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def _fmt(xs: list[float]) -> str:
    ms = [x * 1000 for x in xs]
    return f"p50 {_pct(ms, 0.5):6.1f} ms  p95 {_pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms  (n={len(ms)})"


def _floor(ws, n: int) -> list[float]:
    """One-row INSERT + COMMIT into a scratch table on the same backend."""
    with ws._session() as con:
        con.execute("CREATE TABLE IF NOT EXISTS bench_floor (k INTEGER, v VARCHAR)")
    out = []
    for i in range(n):
        t = time.perf_counter()
        with ws._transaction() as con:
            con.execute("INSERT INTO bench_floor VALUES (%(k)s, %(v)s)", {"k": i, "v": "x"})
        out.append(time.perf_counter() - t)
    return out


def bench_backend(label: str, target: str, saves: int) -> dict:
    raw = fh.stock_csv(50, 14)
    res = parse_stockpile_csv(raw, filename="bench-50.csv")
    assert res.ok and len(res.lines) == 50
    ws = open_workspace(target)
    try:
        ws.list("local")                                   # migrate, warm the pool
        floor = _floor(ws, max(50, saves // 4))
        lat, ids = [], []
        for i in range(saves):
            t = time.perf_counter()
            ids.append(ws.save("local", f"bench {i}", res, raw).snapshot_id)
            lat.append(time.perf_counter() - t)
        opens = []
        for sid in ids[:50]:
            t = time.perf_counter()
            ws.open("local", sid)
            opens.append(time.perf_counter() - t)
        lists = []
        for _ in range(20):
            t = time.perf_counter()
            n = len(ws.list("local"))
            lists.append(time.perf_counter() - t)
        assert n == saves
    finally:
        ws.close()
    print(f"{label:10s} save (50 lines)   {_fmt(lat)}")
    print(f"{label:10s} floor (1-row tx)  {_fmt(floor)}")
    print(f"{label:10s} open              {_fmt(opens)}")
    print(f"{label:10s} list ({saves} snaps) {_fmt(lists)}")
    return {"save": lat, "floor": floor}


def kills(label: str, target: str, runs: int) -> list[str]:
    problems, saved, delays = [], 0, []
    t0 = time.monotonic()
    for seed in range(runs):
        out = fh.kill_saver(target, seed=1400 + seed, max_delay_s=1.0)
        delays.append(out.killed_after_s)
        saved += len(out.saved)
        problems += [f"{label} run {seed}: {p}" for p in out.problems]
    print(f"{label:10s} kills: {runs} savers SIGKILLed at {min(delays):.2f}-{max(delays):.2f} s; {saved} saves "
          f"reported, {out.listed} snapshots ({out.rows_checked} lines) checked whole; "
          f"problems {len(problems)} ({time.monotonic() - t0:.0f} s)")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--saves", type=int, default=size(50, 200))
    ap.add_argument("--kills", type=int, default=size(5, 20))
    args = ap.parse_args()
    bindir = pg_bin()
    if bindir is None:
        print("PostgreSQL is not installed (apt-get install postgresql): run `make bench` as root to install it")
        return 1
    problems: list[str] = []
    cluster = PgCluster(bindir).start()
    try:
        with tempfile.TemporaryDirectory(prefix="chokepoint-bench-ws-") as tmp:
            duck = str(Path(tmp) / "bench.duckdb")
            pg = cluster.create_database("bench")
            print(f"== save latency: {args.saves} saves of a 50-line snapshot per backend "
                  "(baseline = duckdb, the embedded default)")
            d = bench_backend("duckdb", duck, args.saves)
            p = bench_backend("postgresql", pg, args.saves)
            ratio = statistics.median(p["save"]) / statistics.median(d["save"])
            print(f"postgresql / duckdb save p50 ratio: {ratio:.2f}")
            print(f"== kills: {args.kills} SIGKILLs mid-save per backend")
            problems += kills("duckdb", str(Path(tmp) / "kills.duckdb"), args.kills)
            problems += kills("postgresql", cluster.create_database("kills"), args.kills)
    finally:
        cluster.stop()
    for pr in problems:
        print("PROBLEM", pr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
