"""Hostile files that try to take the process down or replace good data (issue 08).

Every case runs the real CLI in a subprocess under RLIMIT_AS = 1 GiB (tests/hostile_corpus.py)
and asserts: exit 2, a message naming the problem (no traceback, no MemoryError), a peak RSS far
below the cap, and that the existing dataset and workspace are byte-identical afterwards.
The files are small on disk and would expand to gigabytes if parsed naively.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

import hostile_corpus as hc
from chokepoint import db, regimes
from chokepoint.ingest import guard
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.workspace import Workspace

ROOT = hc.ROOT
RSS_CEILING_MB = 450          # a plain CLI run peaks near 180-250 MB; a bomb that expands blows past this
COVER = ["cover", "--country", "USA", "--material", "ndfeb_magnet", "--regime-file"]


def _assert_refused(run: hc.Run, phrase: str) -> None:
    assert run.code == 2, (run.code, run.err[-2000:])
    assert phrase.lower() in run.err.lower(), run.err[-2000:]
    assert "Traceback" not in run.err and "MemoryError" not in run.err and "internal error" not in run.err, run.err
    assert all(len(line) < 600 for line in run.err.splitlines()), "an echoed value was not cut short"
    assert run.peak_rss_mb < RSS_CEILING_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """A workspace with one snapshot and the built-in data: both must come out unchanged."""
    tmp = tmp_path_factory.mktemp("hostile")
    ws = Workspace(tmp / "ws" / "workspace.duckdb")
    ws.save("local", "keep me", parse_stockpile_csv(hc.GOOD_CSV), hc.GOOD_CSV)
    before = {"data": hc.tree_digest(ROOT / "data"), "ws": hc.tree_digest(tmp / "ws")}
    yield {"tmp": tmp, "env": {"CHOKEPOINT_WORKSPACE": str(ws.path)}}
    assert hc.tree_digest(ROOT / "data") == before["data"]
    assert hc.tree_digest(tmp / "ws") == before["ws"]


# ---------------------------------------------------------------------------- regime files
def _corpus(state) -> dict:
    if "regimes" not in state:
        state["regimes"] = hc.regime_corpus(state["tmp"] / "regimes")
    return state["regimes"]


REGIME_CASES = ["alias-bomb-id", "alias-bomb-name", "alias-bomb-horizon_months", "alias-bomb-approval_rate",
                "alias-bomb-targets", "alias-bomb-controller", "alias-bomb-materials", "alias-only", "merge-key",
                "deep-flow", "deep-block", "binary", "elf", "utf-16", "latin-1", "huge-int", "huge-float",
                "long-value", "confusable-id", "newline-id", "duplicate-key", "oversized", "many-unknown-keys"]


@pytest.mark.parametrize("case", REGIME_CASES)
def test_hostile_regime_file_exits_2_fast_and_small(state, case):
    path, phrase = _corpus(state)[case]
    run = hc.run_cli(*COVER, str(path), env=state["env"])
    _assert_refused(run, phrase)
    assert str(path) in run.err.splitlines()[0]               # the first line names the file
    assert run.err.splitlines()[0].startswith("error: ")


def test_regime_file_problems_are_one_line_each_and_capped(state):
    path, _ = _corpus(state)["many-unknown-keys"]
    run = hc.run_cli(*COVER, str(path), env=state["env"])
    lines = run.err.splitlines()
    assert run.code == 2 and len(lines) <= regimes.MAX_PROBLEMS + 2, len(lines)
    assert "more problem(s)" in lines[-1]


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_unbounded_regime_and_company_input_is_refused_at_the_cap(state, source, tmp_path):
    """/dev/zero and a FIFO fed forever by a generator: the cap applies while reading."""
    for argv, cap in ((COVER, "1 MB limit"), (["company"], "25 MB limit")):
        path, writer = _source(source, tmp_path, b"id: x\n" if argv is COVER else hc.GOOD_CSV)
        args = [*argv, path] if argv is COVER else ["company", path, "--regime", "apr-2025-licensing"]
        run = hc.run_cli(*args, env=state["env"])
        if writer:
            _unblock(path)
            writer.join(10)
        _assert_refused(run, cap)


def _source(kind: str, tmp: Path, head: bytes):
    if kind == "/dev/zero":
        return "/dev/zero", None
    fifo = tmp / f"endless-{len(head)}.csv"
    os.mkfifo(fifo)

    def feed():                                     # an unbounded generator behind a FIFO
        try:
            with open(fifo, "wb") as f:
                f.write(head)
                row = b"A,Dysprosium oxide,300,100,CN,1\n" * 2048
                while True:
                    f.write(row)
        except OSError:                             # the reader went away: done
            pass
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return str(fifo), t


def _unblock(path: str) -> None:
    try:                                            # a writer still waiting for a reader gets one
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def test_uploaded_regime_bomb_is_refused_in_process_without_expanding():
    """The page's path (bytes of an upload) is the same bounded loader."""
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for field in ("id", "targets", "materials"):
        with pytest.raises(regimes.RegimeError, match="anchors"):
            regimes.load_regime_bytes(hc.regime_bomb(field).encode(), "bomb.yml")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024   # KB
    with pytest.raises(regimes.RegimeError, match="UTF-16"):
        regimes.load_regime_bytes("id: x\n".encode("utf-16"))
    with pytest.raises(regimes.RegimeError, match="1 MB limit"):
        regimes.load_regime_bytes(b"#" * (regimes.MAX_FILE_BYTES + 1))


def test_regime_id_must_match_entirely():
    rule = {"controller": "CHN", "materials": ["dysprosium"], "approval_rate": 0.5}
    for bad in ("abc\n", "abc\r\n", "аbc", "ab c", "abc-", "ABC"):
        with pytest.raises(regimes.RegimeError, match="id:"):
            regimes.parse_regime({"id": bad, "name": "x", "rules": [rule]})
    with pytest.raises(regimes.RegimeError, match="id:"):
        regimes.Regime(id="abc\n", name="x")
    assert regimes.parse_regime({"id": "abc-1", "name": "x", "rules": [rule]}).id == "abc-1"


def test_the_library_still_loads_through_the_bounded_loader():
    lib = regimes.load_library()
    assert "apr-2025-licensing" in lib and all(regimes.ID_RE.fullmatch(i) for i in lib)


# ---------------------------------------------------------------------------- company files
@pytest.mark.parametrize("kind,phrase", [("wide", "columns"), ("nul", "NUL bytes")])
def test_hostile_company_file_exits_2(state, kind, phrase, tmp_path):
    path = hc.wide_csv(tmp_path) if kind == "wide" else hc.nul_csv(tmp_path)
    run = hc.run_cli("company", str(path), "--regime", "apr-2025-licensing", env=state["env"])
    _assert_refused(run, phrase)
    assert path.name in run.err


def test_company_wide_header_is_refused_before_parsing():
    raw = b",".join(b"c%d" % i for i in range(5000)) + b"\n1\n"
    res = parse_stockpile_csv(raw)
    assert not res.ok and "5,000 columns" in str(res.errors[0])
    assert len(res.errors) == 1


# ---------------------------------------------------------------------------- releases
@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A data home holding a good dataset ingested from the fixture release."""
    h = tmp_path_factory.mktemp("datahome")
    run = hc.run_cli("ingest", "baci", str(hc.BACI), "--data-dir", str(h), capped=False)  # DuckDB's arenas
    assert run.code == 0, run.err
    return h


RELEASES = {
    "bomb-trade": (lambda d: hc.zip_bomb(d, "trade"), "compression ratio"),
    "bomb-country": (lambda d: hc.zip_bomb(d, "country"), "compression ratio"),
    "bomb-product": (lambda d: hc.zip_bomb(d, "product"), "compression ratio"),
    "header-only": (hc.header_only, "no flows kept"),
    "duplicate-years": (hc.duplicate_years, "10001 trade files for year 2023"),
    "year-1000": (lambda d: hc.years_out_of_range(d, 1000), "outside 1995–2025"),
    "year-2999": (lambda d: hc.years_out_of_range(d, 2999), "outside 1995–2025"),
    "year-2026": (lambda d: hc.years_out_of_range(d, 2026), "outside 1995–2025"),
    "junk": (hc.junk_release, "do not parse"),
}


@pytest.mark.parametrize("case", list(RELEASES))
def test_hostile_release_is_refused_and_the_dataset_stays(home, case, tmp_path):
    build, phrase = RELEASES[case]
    release = build(tmp_path)
    before = hc.tree_digest(home)
    run = hc.run_cli("ingest", "baci", str(release), "--data-dir", str(home))
    _assert_refused(run, phrase)
    assert hc.tree_digest(home) == before
    assert not [p for p in home.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_junk_refusal_quotes_the_first_failing_lines(home, tmp_path):
    run = hc.run_cli("ingest", "baci", str(hc.junk_release(tmp_path)), "--data-dir", str(home))
    assert run.code == 2 and "line 2:" in run.err and "first:" in run.err


def test_side_files_are_streamed_with_a_cap(tmp_path):
    from chokepoint.ingest.baci import _Release
    rel = _Release(hc.header_only(tmp_path))
    try:
        m = rel.country[0]
        assert guard.read_member(rel, m).startswith(b"country_code")
        with pytest.raises(guard.IngestError, match="larger than the 100 bytes limit"):
            guard.read_member(rel, m, cap=100)
    finally:
        rel.close()


def test_year_bounds_follow_the_release():
    assert guard.year_bounds("HS92", "202601") == (1995, 2025)
    assert guard.year_bounds("HS17", "202401") == (2017, 2023)
    assert guard.year_bounds(None, None)[0] == 1988


def test_stale_tmp_folders_are_removed_by_the_next_ingest_live_ones_kept(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    stale = h / ".tmp-baci-hs92-v202601-deadbeef"
    (stale / ".src").mkdir(parents=True)
    (stale / ".src" / "BACI.csv").write_bytes(b"x" * 1000)
    live = h / ".tmp-other-0badc0de"
    live.mkdir()
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)                     # an ingest in progress holds its folder
    try:
        run = hc.run_cli("ingest", "baci", str(hc.BACI), "--data-dir", str(h), capped=False)
        assert run.code == 0, run.err
        assert not stale.exists() and live.exists()
    finally:
        os.close(fd)
    assert {p.name for p in h.iterdir()} == {"baci-hs92-v202601", live.name}


# ---------------------------------------------------------------------------- exit codes
def test_closed_stdout_pipe_ends_quietly():
    """`... | head -0`: the reader is gone before the first write; no traceback, no 'internal error'."""
    p = subprocess.Popen([sys.executable, "-m", "chokepoint", "exposure", "--importer", "USA", "--material",
                          "ndfeb_magnet", "--format", "csv"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    p.stdout.close()
    err = p.stderr.read().decode()
    code = p.wait(120)
    assert code in (0, 141), (code, err)
    assert err == "", err
    out = subprocess.run(f"{sys.executable} -m chokepoint exposure --importer USA --material ndfeb_magnet "
                         "--format csv | head -3", shell=True, cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert len(out.stdout.splitlines()) == 3 and out.stderr == "", out.stderr


# ---------------------------------------------------------------------------- read-only queries
def test_query_connection_cannot_write_anywhere(tmp_path):
    con = db.base_connection()
    cur = con.cursor()
    data, tmp_dir = db.DATA.resolve(), ROOT / ".tmp"
    before = {p.name for p in data.iterdir()}
    tmp_before = set(tmp_dir.iterdir()) if tmp_dir.exists() else set()
    attacks = [f"COPY (SELECT 1 AS x) TO '{data}/leak.csv'",
               f"COPY (SELECT * FROM materials) TO '{data}/materials.parquet' (FORMAT parquet)",
               "COPY (SELECT 1 AS x) TO '.tmp/leak.csv'", f"COPY (SELECT 1 AS x) TO '{tmp_dir}/leak.csv'",
               f"COPY (SELECT 1 AS x) TO '{tmp_path}/leak.csv'",
               f"ATTACH '{data}/evil.duckdb' AS e", f"EXPORT DATABASE '{data}/dump'",
               "CREATE TABLE t AS SELECT 1", "SELECT 1; COPY (SELECT 1) TO '.tmp/x.csv'",
               "SET temp_directory = '.tmp'", "INSTALL httpfs"]
    try:
        for sql in attacks:
            with pytest.raises(duckdb.Error):
                cur.execute(sql)
        assert cur.execute("SELECT count(*) FROM materials").fetchone()[0] > 0     # reads still work
    finally:
        cur.close()
    assert {p.name for p in data.iterdir()} == before
    assert (set(tmp_dir.iterdir()) if tmp_dir.exists() else set()) == tmp_before
    assert not (tmp_path / "leak.csv").exists()
    assert not db.run_query("control_timeline", controller="CHN").empty
