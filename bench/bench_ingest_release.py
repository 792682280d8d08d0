"""Benchmark: ingest a whole BACI-sized release (25 yearly files) with the CLI.

A real BACI release holds ~25-30 yearly files of ~8-11 million rows each (~250M+ rows, ~8 GB of
CSV). This bench writes such a release in a temp folder (removed after): one yearly file generated
with bench/bench_ingest.py's generator (numpy + pyarrow: 230 countries, ``NA`` quantities), the
other years copies of it with their own year in the ``t`` column (a rewrite of each line's first
field, so every file is a valid file of its year), plus the country and product files. Then:

* bare scans: ``SELECT count(*) FROM read_csv(file)`` with DuckDB, file by file, in one child
  process (the practical limit: reading the bytes and splitting the lines);
* ingest: ``python -m chokepoint ingest baci <release>`` in a child process (its wall time and
  peak RSS from ``os.wait4``; its per-file lines are kept);
* hashing alone: sha256 + line count of every file (what the ingest adds to the scan for the
  provenance), to show what remains when the ratio is above the floor.

Profiles as in bench/bench_ingest.py: ``release-like`` (the catalogue's lines at ~0.1% of the rows)
and ``stress`` (~20% kept: the parquet writing dominates). Prints each figure next to its floor
(ingest <= 1.5x the sum of bare scans, peak RSS <= 1 GiB) and the baseline (issue 13: 10M rows,
2.48x the bare scan, 305 MiB). Asserts nothing.

Size: 25 files x 1M rows by default (25M rows: minutes on a busy 2-core machine); the full
release-sized run is ``CHOKEPOINT_INGEST_ROWS_PER_FILE=10000000`` (250M rows, ~8 GB of CSV in the
temp folder, needs ~10 GB free).

    python -m bench.bench_ingest_release [--files 25] [--rows-per-file N] [--profile release-like|stress|all]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_ingest import PROFILES, generate

ROOT = Path(__file__).resolve().parent.parent
FIRST_YEAR = 2000
VERSION = "202601"          # years up to 2025 are valid in a V202601 release
BASELINE = "10M rows, one file: 2.48x the bare scan (4.4x stress), 305 MiB peak"
SCAN_FLOOR, RSS_FLOOR_MIB = 1.5, 1024
BLOCK = 64 << 20

SCAN_CHILD = """
import sys, time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
total = 0.0
for f in sys.argv[1:]:
    t = time.perf_counter()
    n = con.execute("SELECT count(*) FROM read_csv(?)", [f]).fetchone()[0]
    dt = time.perf_counter() - t
    total += dt
    print(f, n, dt, flush=True)
print("TOTAL", total)
"""

HASH_CHILD = """
import sys, time
from pathlib import Path
from chokepoint.ingest.storage import digest_file
t = time.perf_counter()
for f in sys.argv[1:]:
    digest_file(Path(f))
print(time.perf_counter() - t)
"""


def with_year(template: Path, out: Path, year: int) -> None:
    """Copy a yearly file with every data line's first field (t) set to ``year``."""
    src_year = re.search(rb"_Y(\d{4})_", template.name.encode()).group(1)
    old, new = b"\n" + src_year + b",", b"\n" + str(year).encode() + b","
    with open(template, "rb") as f, open(out, "wb") as g:
        g.write(f.readline())
        carry = b"\n"                       # the header's newline: the first data line starts a line too
        while block := f.read(BLOCK):
            data = carry + block
            cut = data.rfind(b"\n")         # rewrite complete lines only; the tail waits for the next block
            g.write(data[:cut].replace(old, new)[1:] + b"\n" if cut > 0 else b"")
            carry = data[cut:] if cut >= 0 else data
        rest = carry.replace(old, new)
        g.write(rest[1:] if rest.startswith(b"\n") else rest)


def make_release(folder: Path, files: int, rows: int, profile: str) -> list[Path]:
    gen = generate(folder / "gen", rows, profile=profile)          # BACI_HS92_Y2023_V209901.csv + side files
    for side in (folder / "gen").glob("*_codes_*.csv"):
        side.rename(folder / side.name.replace("V209901", f"V{VERSION}"))
    out = []
    for k in range(files):
        year = FIRST_YEAR + k
        dest = folder / f"BACI_HS92_Y{year}_V{VERSION}.csv"
        with_year(gen, dest, year)
        out.append(dest)
    shutil.rmtree(folder / "gen")
    return out


def run_child(args: list[str]) -> tuple[str, str, float, float]:
    """(stdout, stderr, wall seconds, peak RSS MiB) of a child process, reaped with os.wait4."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out = p.stdout.read()
    err = p.stderr.read()
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(args[:5])} failed:\n{err.decode()[-3000:]}")
    return out.decode(), err.decode(), wall, usage.ru_maxrss / 1024


def bench(profile: str, files: int, rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_ingest_release_") as tmp:
        tmp = Path(tmp)
        rel = tmp / "release"
        rel.mkdir()
        t = time.perf_counter()
        paths = make_release(rel, files, rows, profile)
        size = sum(p.stat().st_size for p in paths)
        total_rows = files * rows
        print(f"[{profile}] generated {files} yearly files x {rows:,} rows = {total_rows:,} rows, "
              f"{size / 1e9:.2f} GB in {time.perf_counter() - t:.0f} s", flush=True)
        out, _, _, scan_rss = run_child([sys.executable, "-c", SCAN_CHILD, *map(str, paths)])
        per_file = [ln.split() for ln in out.splitlines() if not ln.startswith("TOTAL")]
        scanned = sum(int(x[1]) for x in per_file)
        scan = float(out.splitlines()[-1].split()[1])
        if scanned != total_rows:
            raise SystemExit(f"bare scans counted {scanned:,} rows, expected {total_rows:,}")
        out, _, hash_wall, _ = run_child([sys.executable, "-c", HASH_CHILD, *map(str, paths)])
        hashing = float(out.strip())
        out, err, ing, ing_rss = run_child([sys.executable, "-m", "chokepoint", "ingest", "baci", str(rel),
                                            "--data-dir", str(tmp / "home")])
        file_lines = [ln for ln in err.splitlines() if ln.startswith("[")]
        kept = int(re.search(r": ([\d,]+) flows", out).group(1).replace(",", ""))
        ratio = ing / scan
        inner = float(re.findall(r"\(([\d.]+) s\)$", next(ln for ln in err.splitlines() if "flows for years" in ln))[0])
        files_s = sum(float(re.search(r"\(([\d.]+) s, ", ln).group(1)) for ln in file_lines)
        print(f"{'':34s} {'seconds':>8s} {'Mrows/s':>8s} {'peak RSS':>9s}  floor / baseline")
        print(f"{'sum of bare DuckDB scans':34s} {scan:8.1f} {total_rows / scan / 1e6:8.2f} {scan_rss:6.0f} MiB")
        print(f"{'chokepoint ingest (CLI, wall)':34s} {ing:8.1f} {total_rows / ing / 1e6:8.2f} {ing_rss:6.0f} MiB  "
              f"RSS ≤ {RSS_FLOOR_MIB} MiB {'ok' if ing_rss <= RSS_FLOOR_MIB else 'MISS'}")
        print(f"{'ingest / sum of bare scans':34s} {ratio:8.2f}x {'':17s}  ≤ {SCAN_FLOOR}x "
              f"{'ok' if ratio <= SCAN_FLOOR else 'MISS'}; before: {BASELINE}")
        print(f"{'  ingest_baci() in the CLI':34s} {inner:8.1f} {total_rows / inner / 1e6:8.2f} {'':9s}  "
              f"{inner / scan:.2f}x the scans (the rest of the wall: interpreter start and imports)")
        print(f"{'  sum of the per-file steps':34s} {files_s:8.1f} {total_rows / files_s / 1e6:8.2f} {'':9s}  "
              f"{files_s / scan:.2f}x the scans (checks, scan + filter + parquet, sha256; the rest: derived "
              "tables, provenance, swap)")
        print(f"{'  sha256 + line count alone':34s} {hashing:8.1f} {'':8s} {'':9s}  "
              f"{hashing / scan:.2f}x the scans (all files, after the scan from the page cache)")
        print(f"rows kept {kept:,} of {total_rows:,}; {len(file_lines)} per-file progress lines, last: "
              f"{file_lines[-1] if file_lines else '-'}", flush=True)
        return {"profile": profile, "files": files, "rows": total_rows, "bytes": size, "scan_s": scan,
                "ingest_s": ing, "inner_s": inner, "files_s": files_s, "ratio": ratio, "rss_mib": ing_rss, "hash_s": hashing}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=int(os.environ.get("CHOKEPOINT_INGEST_FILES", "25")))
    ap.add_argument("--rows-per-file", type=int,
                    default=int(os.environ.get("CHOKEPOINT_INGEST_ROWS_PER_FILE", "1000000")))
    ap.add_argument("--profile", choices=[*PROFILES, "all"], default=os.environ.get("CHOKEPOINT_INGEST_PROFILE", "all"))
    args = ap.parse_args()
    load = os.getloadavg()
    full = 25 * 10_000_000
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"running {args.files} files x {args.rows_per_file:,} rows"
          + ("" if args.files * args.rows_per_file >= full else
             f" (the full release size is {full:,} rows: CHOKEPOINT_INGEST_ROWS_PER_FILE=10000000)"), flush=True)
    for profile in (PROFILES if args.profile == "all" else [args.profile]):
        bench(profile, args.files, args.rows_per_file)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
