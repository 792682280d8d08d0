"""Kill -9 harness shared by tests/test_faults.py (reduced) and bench/bench_faults.py (50 runs).

Three faults, each checked from the outside after the victim process is dead:

* ``kill_saver``: a process saves (and now and then renames or deletes) workspace snapshots in a
  loop and is SIGKILLed after a random delay. Afterwards the workspace must open; every snapshot
  it lists must be whole (its stored lines = its stored row count = the rows of its stored raw
  bytes re-read, sha256 of the raw bytes = the stored sha256); no line may belong to no snapshot;
  and every save the victim reported as done must still be there (nothing lost).
* ``kill_ingest``: a process re-ingests a BACI release (generated, large enough to take about a
  second) over an existing copy and is SIGKILLed after a random delay. Afterwards the listed
  datasets and the query layer's table sources never include a staging folder (names starting
  with "."), and the dataset reads exactly as before (same rows, same files).
* ``two_writers``: two processes save to one workspace at once; each operation either works or
  raises WorkspaceBusy with its message; every reported save is whole afterwards.

Fixture data is generated (INVENTED example sites and quantities).
"""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACI_FIXTURE = ROOT / "tests" / "fixtures" / "baci_hs92_v202601"
MATERIALS = ["Dysprosium oxide", "NdFeB magnets", "titanium sponge", "Terbium oxide", "magnesium metal"]


def stock_csv(n_rows: int, seed: int) -> bytes:
    """A valid stockpile CSV with ``n_rows`` single-line holdings (invented values)."""
    rnd = random.Random(seed)
    out = ["site,material,on_hand,monthly_use,supplier_country,supplier_share"]
    for i in range(n_rows):
        out.append(f"EXAMPLE site {seed}-{i},{MATERIALS[i % len(MATERIALS)]},{rnd.randint(0, 9999)},"
                   f"{rnd.randint(1, 99)},CN,1")
    return ("\n".join(out) + "\n").encode()


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


# ---------------------------------------------------------------------------- workspace saver
SAVER = textwrap.dedent("""
    import random, sys
    from chokepoint.workspace import WorkspaceBusy, open_workspace
    from chokepoint.stockpile_csv import parse_stockpile_csv
    from tests.fault_harness import stock_csv
    ws, rnd = open_workspace(sys.argv[1]), random.Random(int(sys.argv[2]))
    files = []
    for k, n in enumerate((20, 200, 1500)):
        raw = stock_csv(n, int(sys.argv[2]) * 10 + k)
        files.append((raw, parse_stockpile_csv(raw, filename=f"stock-{n}.csv")))
    ws.list("local")
    print("READY", flush=True)
    i = 0
    while True:
        i += 1
        raw, res = rnd.choice(files)
        try:
            info = ws.save("local", f"run {sys.argv[2]} save {i}", res, raw)
            print("SAVED", info.snapshot_id, flush=True)
            if i % 4 == 0:
                snaps = ws.list("local")
                if len(snaps) > 6:
                    victim = snaps[-1].snapshot_id
                    print("DELETING", victim, flush=True)
                    ws.delete("local", victim)
                else:
                    ws.rename("local", info.snapshot_id, f"renamed {sys.argv[2]}-{i}")
        except WorkspaceBusy as e:
            print("BUSY", e, flush=True)
""")


@dataclass
class SaverOutcome:
    killed_after_s: float
    saved: list[str] = field(default_factory=list)
    listed: int = 0
    rows_checked: int = 0
    problems: list[str] = field(default_factory=list)


def _read_lines(proc: subprocess.Popen) -> list[str]:
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    return out.splitlines()


def _query(target: str, sql: str) -> list[tuple]:
    """Rows of a read-only query on a workspace, outside the Workspace API (DuckDB file or PostgreSQL)."""
    if target.startswith("postgresql://"):
        import psycopg
        with psycopg.connect(target) as con:
            return con.execute(sql).fetchall()
    import duckdb
    con = duckdb.connect(target, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_workspace(path: Path | str, must_have: set[str], may_miss: set[str], *,
                    unique_names: bool = True) -> tuple[int, int, list[str]]:
    """(snapshots listed, lines checked, problems) of a workspace after a crash.

    ``path``: a DuckDB file or a ``postgresql://`` URL. Opens it through the Workspace API (list,
    and open + raw of the newest snapshot), then checks every snapshot in one read-only connection:
    stored lines = stored row count = data lines of the stored raw bytes, sha256 of the raw bytes =
    stored sha256, no line without a snapshot, no snapshot name or (snapshot, line_no) twice.
    """
    from chokepoint.workspace import open_workspace

    problems: list[str] = []
    target = str(path)
    ws = open_workspace(target)
    try:
        infos = ws.list("local")
        if infos:
            newest = ws.open("local", infos[0].snapshot_id)
            if len(newest.lines) != infos[0].rows or not ws.raw("local", infos[0].snapshot_id):
                problems.append(f"{infos[0].snapshot_id}: newest snapshot does not open whole")
    except Exception as e:  # noqa: BLE001 - any failure to open is the finding
        return 0, 0, [f"workspace does not open: {type(e).__name__}: {e}"]
    finally:
        ws.close()
    ids = {i.snapshot_id for i in infos}
    rows = _query(target, "SELECT s.snapshot_id, s.rows, s.sha256, s.raw, "
                          "(SELECT count(*) FROM snapshot_lines l WHERE l.snapshot_id = s.snapshot_id) "
                          "FROM snapshots s WHERE s.tenant = 'local'")
    orphans = _query(target, "SELECT count(*) FROM snapshot_lines l WHERE NOT EXISTS "
                             "(SELECT 1 FROM snapshots s WHERE s.snapshot_id = l.snapshot_id)")[0][0]
    dup_lines = _query(target, "SELECT count(*) FROM (SELECT snapshot_id, line_no FROM snapshot_lines "
                               "GROUP BY snapshot_id, line_no HAVING count(*) > 1) d")[0][0]
    dup_names = _query(target, "SELECT count(*) FROM (SELECT name FROM snapshots WHERE tenant = 'local' "
                               "GROUP BY name HAVING count(*) > 1) d")[0][0]
    dup_names = dup_names if unique_names else 0
    if dup_lines or dup_names:
        problems.append(f"duplicated: {dup_names} snapshot name(s), {dup_lines} (snapshot, line) pair(s)")
    total = 0
    for sid, n_rows, sha, raw, n_lines in rows:
        raw = bytes(raw)
        data_lines = len([ln for ln in raw.splitlines()[1:] if ln.strip()])
        if not (n_lines == n_rows == data_lines):
            problems.append(f"{sid}: {n_lines} lines stored, rows says {n_rows}, raw file has {data_lines}")
        if hashlib.sha256(raw).hexdigest() != sha:
            problems.append(f"{sid}: raw bytes do not match the stored sha256")
        total += n_lines
    if {r[0] for r in rows} != ids:
        problems.append("the API and the file list different snapshots")
    lost = must_have - may_miss - ids
    if lost:
        problems.append(f"{len(lost)} reported save(s) lost: {sorted(lost)[:3]}")
    if orphans:
        problems.append(f"{orphans} line(s) belong to no snapshot")
    return len(infos), total, problems


def kill_saver(ws_path: Path | str, seed: int, max_delay_s: float = 1.5) -> SaverOutcome:
    """One run: start a saver, SIGKILL it after a random delay, check the workspace (file or URL)."""
    rnd = random.Random(seed)
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(ws_path), str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    first = proc.stdout.readline()
    if first.strip() != b"READY":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"saver did not start: {first!r} {proc.stderr.read().decode()[-2000:]}")
    delay = rnd.uniform(0.0, max_delay_s)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    lines = _read_lines(proc)
    proc.stderr.close()
    out = SaverOutcome(delay)
    out.saved = [ln.split()[1] for ln in lines if ln.startswith("SAVED ")]
    deleting = {ln.split()[1] for ln in lines if ln.startswith("DELETING ")}
    out.listed, out.rows_checked, out.problems = check_workspace(ws_path, set(out.saved), deleting)
    return out


# ---------------------------------------------------------------------------- ingest
INGEST = textwrap.dedent("""
    import sys
    from chokepoint.ingest import ingest_baci
    print("READY", flush=True)
    ingest_baci(sys.argv[1], data_dir=sys.argv[2], progress=lambda m: None)
    print("DONE", flush=True)
""")


def make_release(dest: Path, rows: int = 400_000) -> Path:
    """A copy of the BACI fixture release whose 2023 file is inflated to ``rows`` rows."""
    rel = dest / "baci_hs92_v202601"
    if rel.is_dir():
        return rel
    rel.mkdir(parents=True)
    for p in BACI_FIXTURE.iterdir():
        shutil.copy(p, rel / p.name)
    src = (BACI_FIXTURE / "BACI_HS92_Y2023_V202601.csv").read_text().splitlines()
    header, body = src[0], [ln for ln in src[1:] if ln.strip()]
    with open(rel / "BACI_HS92_Y2023_V202601.csv", "w") as f:
        f.write(header + "\n")
        for i in range(rows):
            f.write(body[i % len(body)] + "\n")
    return rel


def snapshot_dataset(home: Path) -> dict:
    """What a reader sees of the data home: listed datasets, their table sources, row counts."""
    from chokepoint import db, ingest

    seen = {}
    for info in ingest.list_datasets(home):
        if info.kind == ingest.BUILTIN:
            continue
        sources = db.table_sources(info.path)
        con = db._make_connection(info.path)       # a fresh connection: no process cache
        try:
            n = con.execute("SELECT count(*) FROM trade_flows").fetchone()[0]
        finally:
            con.close()
        files = sorted(str(p.relative_to(info.path)) for p in info.path.rglob("*.parquet"))
        seen[info.name] = {"path": str(info.path), "rows": n, "meta_rows": info.rows, "files": files,
                           "sources": {k: str(v) for k, v in sources.items()}}
    return seen


def staging_leaks(seen: dict) -> list[str]:
    out = []
    for name, d in seen.items():
        for p in [d["path"], *d["sources"].values()]:
            if any(part.startswith(".") for part in Path(p).parts if part not in (".", "..")):
                out.append(f"{name}: reads {p}")
    return out


def ingest_seconds(release: Path, home: Path) -> float:
    """How long a re-ingest runs after its process is ready (to spread the kills over it)."""
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(release), str(home)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=_env())
    assert proc.stdout.readline().strip() == b"READY"
    t = time.monotonic()
    assert proc.stdout.readline().strip() == b"DONE"
    took = time.monotonic() - t
    proc.wait(30)
    proc.stdout.close()
    return took


def kill_ingest(release: Path, home: Path, before: dict, seed: int, max_delay_s: float) -> dict:
    """One run: re-ingest over ``home``, SIGKILL after a random delay, compare with ``before``."""
    rnd = random.Random(seed)
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(release), str(home)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    assert proc.stdout.readline().strip() == b"READY"
    delay = rnd.uniform(0.0, max_delay_s)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    finished = b"DONE" in proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    problems = []
    try:
        after = snapshot_dataset(home)
    except Exception as e:  # noqa: BLE001 - a reader failing is the finding
        return {"delay": delay, "finished": finished, "problems": [f"reader failed: {type(e).__name__}: {e}"],
                "leftover": []}
    problems += staging_leaks(after)
    strip = lambda d: {k: {kk: vv for kk, vv in v.items() if kk != "sources"} for k, v in d.items()}  # noqa: E731
    if strip(after) != strip(before):
        problems.append(f"dataset changed: before {strip(before)} after {strip(after)}")
    leftover = sorted(p.name for p in home.iterdir() if p.name.startswith("."))
    return {"delay": delay, "finished": finished, "problems": problems, "leftover": leftover}


# ---------------------------------------------------------------------------- two writers
WRITER = textwrap.dedent("""
    import sys, time
    from chokepoint import workspace as w
    from chokepoint.stockpile_csv import parse_stockpile_csv
    from tests.fault_harness import stock_csv
    w._BUSY_RETRY_S = float(sys.argv[4])
    ws = w.Workspace(sys.argv[1])
    raw = stock_csv(300, int(sys.argv[2]))
    res = parse_stockpile_csv(raw)
    end = time.monotonic() + float(sys.argv[5])
    while time.monotonic() < end:
        try:
            info = ws.save("local", "writer " + sys.argv[2], res, raw)
            print("SAVED", info.snapshot_id, flush=True)
        except w.WorkspaceBusy as e:
            print("BUSY", e, flush=True)
""")


def two_writers(ws_path: Path, seconds: float = 3.0, retry_s: float = 0.2) -> dict:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(ws_path), str(k), str(Path(__file__).parent),
                               str(retry_s), str(seconds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
             for k in (1, 2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 60)
        outs.append((p.returncode, out.decode().splitlines(), err.decode()))
    saved = {ln.split()[1] for _, lines, _ in outs for ln in lines if ln.startswith("SAVED ")}
    busy = [ln for _, lines, _ in outs for ln in lines if ln.startswith("BUSY ")]
    listed, rows, problems = check_workspace(ws_path, saved, set(), unique_names=False)
    for rc, _, err in outs:
        if rc != 0:
            problems.append(f"writer exited {rc}: {err[-500:]}")
    return {"saved": len(saved), "busy": busy, "listed": listed, "rows": rows, "problems": problems}
