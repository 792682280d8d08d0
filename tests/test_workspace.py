"""Workspace: saved uploads as named, per-tenant snapshots, on both backends.

Every test that takes ``ws`` runs twice: on the embedded DuckDB file and on a real PostgreSQL
database (a throwaway cluster started by the ``pg_cluster`` fixture in conftest.py).

FIXTURES: the CSVs below are generated here; sites ("EXAMPLE plant A") and quantities are
INVENTED test values. Every workspace lives in pytest's tmp_path, never in the repo or the
user's data directory.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from chokepoint import workspace as ws_mod
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.workspace import NotSignedIn, SnapshotNotFound, Workspace, WorkspaceBusy, WorkspaceError, tenant_for

ROOT = Path(__file__).resolve().parent.parent

FILE_A = b"""site,material,on_hand,monthly_use,supplier_country,supplier_share
EXAMPLE plant A,Dysprosium oxide,300,100,CN,0.8
EXAMPLE plant A,Dysprosium oxide,,,NA,0.2
EXAMPLE plant A,NdFeB magnets,50,10,JP,1
EXAMPLE plant B,titanium sponge,20,5,,
"""
FILE_B = b"""site;material;on_hand;monthly_use;supplier_country;supplier_share
EXAMPLE plant A;Dysprosium oxide;250,5;100;CN;80%
EXAMPLE plant A;Dysprosium oxide;;;NA;20%
EXAMPLE plant A;NdFeB magnets;50;12;JP;1
EXAMPLE plant C;Terbium oxide;3;1;CN;1
"""


def _parsed(raw: bytes, filename: str = "stock.csv"):
    res = parse_stockpile_csv(raw, filename=filename)
    assert res.ok, res.errors
    return res


@pytest.fixture
def ws(any_ws):
    return any_ws


def _target(ws) -> str:
    return ws.url if ws.backend == "postgresql" else str(ws.path)


def _count(ws, sql: str) -> int:
    """A count over the workspace's own tables, outside the operations under test."""
    if ws.backend == "postgresql":
        import psycopg
        with psycopg.connect(ws.url) as con:
            return con.execute(sql).fetchone()[0]
    con = duckdb.connect(str(ws.path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------------------- basic operations
def test_save_list_open_round_trip(ws):
    res = _parsed(FILE_A)
    info = ws.save("local", "  June stock  ", res, FILE_A)
    assert info.name == "June stock" and info.rows == 4 and info.filename == "stock.csv"
    assert info.sha256 == hashlib.sha256(FILE_A).hexdigest()
    assert info.created_at.tzinfo is not None and info.created_at.utcoffset().total_seconds() == 0
    assert [i.snapshot_id for i in ws.list("local")] == [info.snapshot_id]
    snap = ws.open("local", info.snapshot_id)
    assert snap.info == info
    pd.testing.assert_frame_equal(snap.lines, res.lines, check_exact=True)
    pd.testing.assert_frame_equal(snap.holdings, res.holdings, check_exact=True)
    assert snap.lines["supplier_country"].tolist()[1] == "NAM"
    assert ws.raw("local", info.snapshot_id) == FILE_A


def test_rename_and_delete(ws):
    a = ws.save("local", "first", _parsed(FILE_A), FILE_A)
    b = ws.save("local", "second", _parsed(FILE_B), FILE_B)
    renamed = ws.rename("local", a.snapshot_id, "first (checked)")
    assert renamed.name == "first (checked)" and renamed.sha256 == a.sha256
    assert {i.name for i in ws.list("local")} == {"first (checked)", "second"}
    ws.delete("local", a.snapshot_id)
    assert [i.snapshot_id for i in ws.list("local")] == [b.snapshot_id]
    with pytest.raises(SnapshotNotFound):
        ws.open("local", a.snapshot_id)
    with pytest.raises(SnapshotNotFound):
        ws.delete("local", a.snapshot_id)
    assert _count(ws, f"SELECT count(*) FROM snapshot_lines WHERE snapshot_id = '{a.snapshot_id}'") == 0


def test_compare_two_snapshots(ws):
    a = ws.save("local", "May", _parsed(FILE_A), FILE_A)
    b = ws.save("local", "June", _parsed(FILE_B), FILE_B)
    cmp = ws.compare("local", a.snapshot_id, b.snapshot_id).set_index(["site", "material_id"])
    dy = cmp.loc[("EXAMPLE plant A", "dysprosium_oxide")]
    assert (dy["on_hand_t_a"], dy["on_hand_t_b"], dy["on_hand_change_t"]) == (300.0, 250.5, -49.5)
    assert dy["status"] == "changed"
    mag = cmp.loc[("EXAMPLE plant A", "ndfeb_magnet")]
    assert mag["on_hand_change_t"] == 0 and mag["monthly_use_change_t"] == 2.0
    assert cmp.loc[("EXAMPLE plant B", "titanium_sponge"), "status"] == "removed"
    assert cmp.loc[("EXAMPLE plant B", "titanium_sponge"), "on_hand_change_t"] == -20.0
    tb = cmp.loc[("EXAMPLE plant C", "terbium_oxide")]
    assert tb["status"] == "added" and pd.isna(tb["on_hand_t_a"]) and tb["on_hand_change_t"] == 3.0
    per_mat = ws.compare("local", a.snapshot_id, b.snapshot_id, per_site=False).set_index("material_id")
    assert per_mat.loc["dysprosium_oxide", "on_hand_change_t"] == -49.5
    same = ws.compare("local", a.snapshot_id, a.snapshot_id)
    assert set(same["status"]) == {"unchanged"}


@pytest.mark.parametrize("bad", ["", "   ", "x" * 81, "line\nbreak", "tab\there", "nul\x00", "bidi\u202eevil"])
def test_bad_names_are_rejected(ws, bad):
    with pytest.raises(WorkspaceError):
        ws.save("local", bad, _parsed(FILE_A), FILE_A)
    assert ws.list("local") == []


def test_path_like_names_are_only_labels(ws, tmp_path):
    ws.list("local")                      # creates the workspace file
    before = sorted(p.name for p in tmp_path.rglob("*"))
    info = ws.save("local", "../../etc/passwd", _parsed(FILE_A), FILE_A)
    info2 = ws.save("local", "'); DROP TABLE snapshots; --", _parsed(FILE_A), FILE_A)
    assert ws.open("local", info.snapshot_id).info.name == "../../etc/passwd"
    assert ws.open("local", info2.snapshot_id).info.name == "'); DROP TABLE snapshots; --"
    after = sorted(p.name for p in tmp_path.rglob("*"))
    assert set(after) - set(before) <= {"workspace.duckdb.wal"}
    assert len(ws.list("local")) == 2


def test_a_rejected_file_cannot_be_saved(ws):
    bad = parse_stockpile_csv(b"material,on_hand,monthly_use\nunobtainium,1,1\n")
    with pytest.raises(WorkspaceError, match="errors cannot be saved"):
        ws.save("local", "bad", bad, b"")
    assert ws.list("local") == []


def test_default_path_env_and_per_user_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "elsewhere.duckdb"))
    assert Workspace.default_path() == tmp_path / "elsewhere.duckdb"
    monkeypatch.delenv("CHOKEPOINT_WORKSPACE")
    import platformdirs
    p = Workspace.default_path()
    assert p == Path(platformdirs.user_data_dir("chokepoint")) / "workspace.duckdb"
    assert ROOT not in p.parents, "the default workspace is outside the repo"


# ---------------------------------------------------------------------------- tenants
def test_tenants_never_see_each_others_snapshots(ws):
    a = ws.save("u-alice", "alice stock", _parsed(FILE_A), FILE_A)
    b = ws.save("u-bob", "bob stock", _parsed(FILE_B), FILE_B)
    assert [i.snapshot_id for i in ws.list("u-alice")] == [a.snapshot_id]
    assert [i.snapshot_id for i in ws.list("u-bob")] == [b.snapshot_id]
    assert ws.list("local") == []
    for call in (lambda: ws.open("u-bob", a.snapshot_id), lambda: ws.raw("u-bob", a.snapshot_id),
                 lambda: ws.rename("u-bob", a.snapshot_id, "mine now"), lambda: ws.delete("u-bob", a.snapshot_id),
                 lambda: ws.compare("u-bob", b.snapshot_id, a.snapshot_id)):
        with pytest.raises(SnapshotNotFound, match="not found"):
            call()
    # alice's snapshot is untouched by bob's attempts
    assert ws.open("u-alice", a.snapshot_id).info.name == "alice stock"


@pytest.mark.parametrize("tenant", ["", "local' OR '1'='1", "a b", "x" * 200, None])
def test_malformed_tenant_ids_are_refused(ws, tenant):
    with pytest.raises(WorkspaceError):
        ws.list(tenant)


def test_tenant_for_local_and_login():
    assert tenant_for(None, login_configured=False) == "local"
    assert tenant_for({"email": "x@example.org"}, login_configured=False) == "local"
    alice = {"is_logged_in": True, "iss": "https://accounts.example.org", "sub": "123", "email": "a@example.org"}
    t = tenant_for(alice, login_configured=True)
    assert t.startswith("u-") and len(t) == 34 and t != "local"
    assert tenant_for(dict(alice, email="changed@example.org", name="A"), login_configured=True) == t
    assert tenant_for(dict(alice, iss="https://other.example.org"), login_configured=True) != t
    assert tenant_for(dict(alice, sub="124"), login_configured=True) != t
    for bad in (None, {}, {"is_logged_in": False}, {"is_logged_in": True, "email": "a@example.org"},
                {"is_logged_in": True, "iss": "x", "sub": ""}):
        with pytest.raises(NotSignedIn):
            tenant_for(bad, login_configured=True)


# ---------------------------------------------------------------------------- atomic saves
def test_exception_inside_the_transaction_leaves_only_whole_snapshots(ws, monkeypatch):
    keep = ws.save("local", "kept", _parsed(FILE_A), FILE_A)
    real = ws._insert_lines

    def half_then_fail(con, sid, tenant, lines):
        real(con, sid, tenant, lines.iloc[:2])          # half the lines are written ...
        raise RuntimeError("disk full (simulated)")     # ... then the save dies

    monkeypatch.setattr(ws, "_insert_lines", half_then_fail)
    with pytest.raises(RuntimeError, match="simulated"):
        ws.save("local", "broken", _parsed(FILE_B), FILE_B)
    monkeypatch.setattr(ws, "_insert_lines", real)
    assert [i.snapshot_id for i in ws.list("local")] == [keep.snapshot_id]
    assert _count(ws, "SELECT count(*) FROM snapshot_lines") == keep.rows
    assert _count(ws, "SELECT count(*) FROM snapshots") == 1
    # the workspace still works afterwards
    ws.save("local", "after", _parsed(FILE_B), FILE_B)
    assert len(ws.list("local")) == 2


_KILLED_SAVE = textwrap.dedent("""
    import sys, time
    from chokepoint import workspace as w
    from chokepoint.stockpile_csv import parse_stockpile_csv
    raw = open(sys.argv[2], "rb").read()
    ws = w.open_workspace(sys.argv[1])
    real = ws._insert_lines
    def slow(con, sid, tenant, lines):
        real(con, sid, tenant, lines)       # every line written, not yet committed
        print("INSIDE", flush=True)
        time.sleep(120)
    ws._insert_lines = slow
    ws.save("local", "never committed", parse_stockpile_csv(raw), raw)
""")


def test_killed_process_mid_save_leaves_only_whole_snapshots(ws, tmp_path):
    keep = ws.save("local", "kept", _parsed(FILE_A), FILE_A)
    src = tmp_path / "b.csv"
    src.write_bytes(FILE_B)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, _target(ws), str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        line = proc.stdout.readline()
        assert line.strip() == b"INSIDE", proc.stderr.read().decode()[-2000:]
    finally:
        proc.kill()                      # SIGKILL: no rollback, no cleanup
        proc.wait(10)
    assert [i.snapshot_id for i in ws.list("local")] == [keep.snapshot_id]
    assert _count(ws, "SELECT count(*) FROM snapshot_lines") == keep.rows
    snap = ws.open("local", keep.snapshot_id)
    assert snap.info.rows == len(snap.lines) == 4


_HOLD_LOCK = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("LOCKED", flush=True)
    time.sleep(120)
""")


def test_another_process_holding_the_lock_is_reported_as_busy(tmp_path, monkeypatch):
    """DuckDB only: its file lock keeps other processes out (PostgreSQL has no such lock)."""
    ws = Workspace(tmp_path / "ws" / "workspace.duckdb")
    ws.save("local", "kept", _parsed(FILE_A), FILE_A)
    monkeypatch.setattr(ws_mod, "_BUSY_RETRY_S", 0.3)
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(ws.path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"LOCKED"
        with pytest.raises(WorkspaceBusy, match="in use by another process"):
            ws.save("local", "blocked", _parsed(FILE_B), FILE_B)
    finally:
        proc.kill()
        proc.wait(10)
    assert [i.name for i in ws.list("local")] == ["kept"]


def test_concurrent_sessions_in_one_process(ws):
    res, errors = _parsed(FILE_A), []

    def worker(k):
        try:
            for j in range(5):
                ws.save("local", f"t{k}-{j}", res, FILE_A)
                ws.list("local")
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(ws.list("local")) == 20
    assert _count(ws, "SELECT count(*) FROM snapshot_lines") == 20 * 4


# ---------------------------------------------------------------------------- backends, schema versions
def test_schema_is_versioned_by_the_migration_table(ws):
    ws.list("local")
    assert ws.migrations() == [(m.version, m.name) for m in ws.MIGRATIONS]
    assert ws_mod.SCHEMA_VERSION == max(m.version for m in ws.MIGRATIONS)
    assert _count(ws, "SELECT count(*) FROM schema_migrations") == len(ws.MIGRATIONS)
    # a second store on the same workspace (another replica or process) applies nothing twice
    again = ws_mod.open_workspace(_target(ws))
    try:
        assert len(again.list("local")) == 0 and again.migrations() == ws.migrations()
    finally:
        again.close()


def test_a_workspace_from_a_newer_version_is_refused_not_written(ws):
    ws.list("local")
    import datetime as dt
    with ws._transaction() as con:
        con.execute("INSERT INTO schema_migrations VALUES (%(v)s, 'from the future', %(at)s)",
                    {"v": 999, "at": dt.datetime(2030, 1, 1)})
    newer = ws_mod.open_workspace(_target(ws))
    if newer.backend == "duckdb":
        ws_mod.duckdb_backend._READY.clear()        # a fresh process would check again
    try:
        with pytest.raises(WorkspaceError, match="schema version 999, newer than this Chokepoint"):
            newer.list("local")
    finally:
        newer.close()


def test_an_old_embedded_file_without_the_migration_table_is_upgraded_in_place(tmp_path):
    """Files written by the first schema version have meta.schema_version = 1 and no schema_migrations."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for stmt in ws_mod.Workspace.MIGRATIONS[0].statements:
        con.execute(stmt)
    con.execute("INSERT INTO snapshots VALUES ('0123456789abcdef', 'local', 'old', TIMESTAMP '2025-01-01', "
                "'x', 0, 'a.csv', NULL, NULL, NULL, NULL, ''::BLOB)")
    con.close()
    ws = Workspace(path)
    assert [i.name for i in ws.list("local")] == ["old"]
    assert [v for v, _ in ws.migrations()] == [1, 2]


def test_open_workspace_picks_the_backend_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CHOKEPOINT_WORKSPACE_URL", raising=False)
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "w.duckdb"))
    assert isinstance(ws_mod.open_workspace(), Workspace)
    assert Workspace.default().path == tmp_path / "w.duckdb"
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE_URL", "postgresql://u:secret@db.example.invalid:5433/chk")
    pg = ws_mod.open_workspace()
    assert isinstance(pg, ws_mod.PostgresWorkspace) and pg.backend == "postgresql"
    assert "secret" not in pg.describe() and "db.example.invalid:5433/chk" in pg.describe()
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE_URL", "mysql://u:secret@db/x")     # a wrong scheme: never a file path
    bad = ws_mod.open_workspace()
    assert isinstance(bad, ws_mod.PostgresWorkspace)
    with pytest.raises(ws_mod.WorkspaceUnavailable, match=r"must start with postgresql://.*CHOKEPOINT_WORKSPACE_URL") as ei:
        bad.list("local")
    assert "secret" not in str(ei.value) and not list(tmp_path.glob("mysql*"))


def test_unreachable_server_is_one_clear_error_not_a_traceback(pg_cluster):
    """A server that does not answer: WorkspaceUnavailable, one line, no password, fast on repeat."""
    import socket
    import time
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                    # nothing listens here once closed
    ws = ws_mod.PostgresWorkspace(f"postgresql://chokepoint:hunter2@127.0.0.1:{port}/nowhere")
    try:
        for call in (lambda: ws.list("local"), lambda: ws.save("local", "x", _parsed(FILE_A), FILE_A),
                     lambda: ws.open("local", "0123456789abcdef")):
            t0 = time.monotonic()
            with pytest.raises(ws_mod.WorkspaceUnavailable) as ei:
                call()
            msg = str(ei.value)
            assert "\n" not in msg and "hunter2" not in msg, msg
            assert f"127.0.0.1:{port}/nowhere is unreachable" in msg
            assert isinstance(ei.value, WorkspaceError)
        assert time.monotonic() - t0 < 1.0, "after a failure, calls fail fast instead of waiting again"
    finally:
        ws.close()


def test_a_server_restart_costs_no_error(pg_cluster):
    """Pooled connections are checked before use: after the server drops them, the next call reconnects."""
    import psycopg
    ws = ws_mod.PostgresWorkspace(pg_cluster.create_database())
    try:
        info = ws.save("local", "before", _parsed(FILE_A), FILE_A)
        with psycopg.connect(ws.url, autocommit=True) as con:
            con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'chokepoint' AND pid <> pg_backend_pid()")
        assert [i.snapshot_id for i in ws.list("local")] == [info.snapshot_id]
    finally:
        ws.close()
