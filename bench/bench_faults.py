"""Crash runs: 50 SIGKILLs of a workspace saver, 50 of a re-ingest, two writers at once.

Full form of tests/test_faults.py (same harness, tests/fault_harness.py). Prints counts: runs,
saves reported and found whole, runs killed mid-ingest, problems (expected: 0). Asserts nothing;
exits 1 when a problem was found so `make bench` stops on it.

    python -m bench.bench_faults [--runs N]     (default 10; BENCH_FULL=1: 50)
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import size
from chokepoint import ingest
from tests import fault_harness as fh

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=size(10, 50))
    args = ap.parse_args()
    problems: list[str] = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chokepoint-faults-") as tmp:
        tmp = Path(tmp)
        # 1. workspace saver
        ws_path = tmp / "ws" / "workspace.duckdb"
        saves, delays = 0, []
        for k in range(args.runs):
            out = fh.kill_saver(ws_path, seed=1000 + k, max_delay_s=1.5)
            saves += len(out.saved)
            delays.append(out.killed_after_s)
            problems += [f"saver run {k}: {p}" for p in out.problems]
        print(f"workspace saver: {args.runs} SIGKILLs at {min(delays):.2f}-{max(delays):.2f} s; "
              f"{saves} saves reported, {out.listed} snapshots / {out.rows_checked:,} lines whole at the end; "
              f"problems {sum(p.startswith('saver') for p in problems)}")
        # 2. ingest
        release = fh.make_release(tmp / "release", rows=400_000)
        home = tmp / "datasets"
        t = time.monotonic()
        ingest.ingest_baci(release, data_dir=home, progress=lambda m: None)
        ingest_s = time.monotonic() - t
        before = fh.snapshot_dataset(home)
        took = fh.ingest_seconds(release, home)
        mid = 0
        for k in range(args.runs):
            r = fh.kill_ingest(release, home, before, seed=2000 + k, max_delay_s=took * 1.05)
            mid += not r["finished"]
            problems += [f"ingest run {k} (killed at {r['delay']:.2f} s): {p}" for p in r["problems"]]
        rows = before["baci-hs92-v202601"]["rows"]
        print(f"re-ingest ({rows:,} flows, {ingest_s:.1f} s in process, {took:.1f} s as a process): {args.runs} SIGKILLs, {mid} mid-run; "
              f"dataset unchanged after every kill; staging folders left (ignored): {len(r['leftover'])}; "
              f"problems {sum(p.startswith('ingest') for p in problems)}")
        # 3. two writers
        res = fh.two_writers(tmp / "two" / "workspace.duckdb", seconds=10.0, retry_s=0.5)
        problems += [f"two writers: {p}" for p in res["problems"]]
        print(f"two writers, 10 s: {res['saved']} saves whole, {len(res['busy'])} WorkspaceBusy refusals "
              f"('{res['busy'][0].split(' ', 1)[1] if res['busy'] else '-'}'); problems {len(res['problems'])}")
    print(f"faults survived: {2 * args.runs} kills + 1 two-writer run, problems {len(problems)} "
          f"({time.monotonic() - t0:.0f} s)")
    for p in problems[:20]:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
