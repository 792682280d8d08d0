"""Hostile input: SQL-looking text, path traversal, binary and oversized files.

Every text a user can type or upload goes somewhere: a workspace label, a CLI argument, a bound
query parameter, a regime id or name, a dataset folder, a spreadsheet cell. For each we check it
stays data: stored verbatim as a label or rejected with a clear message, never executed as SQL,
never used as a path, never run as a spreadsheet formula. (The CSV corpus lives in
tests/test_stockpile_csv.py; the CSV reader is fuzzed in tests/test_fuzz_csv.py.)
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from chokepoint import cli, db, export, ingest, regimes, scenarios
from chokepoint.stockpile_csv import MAX_BYTES, parse_stockpile_csv
from chokepoint.workspace import SnapshotNotFound, WorkspaceError

ROOT = Path(__file__).resolve().parent.parent
BACI = ROOT / "tests" / "fixtures" / "baci_hs92_v202601"
SQL = ["'; DROP TABLE snapshots; --", "1 OR 1=1", "$importer", "' OR '1'='1", "x\"; DELETE FROM snapshot_lines; --",
       "1; ATTACH '/tmp/evil.db' AS e; --", "COPY snapshots TO '/tmp/leak.csv'"]
PATHS = ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini", "~/.ssh/id_rsa", "%2e%2e%2fetc%2fpasswd"]
OTHER = ["{{7*7}}", "<script>alert(1)</script>", "=HYPERLINK(\"http://evil\",\"x\")", "@SUM(A1)", "ñ€😀"]
HOSTILE = SQL + PATHS + OTHER
GOOD_CSV = b"site,material,on_hand,monthly_use,supplier_country,supplier_share\nEXAMPLE A,Dysprosium oxide,300,100,CN,1\n"


# ---------------------------------------------------------------------------- workspace
def test_hostile_snapshot_names_are_stored_as_labels_only(tmp_path, any_ws):
    ws = any_ws                                           # on both backends (DuckDB file, PostgreSQL)
    res = parse_stockpile_csv(GOOD_CSV)
    ws.list("local")
    files_before = sorted(p.name for p in tmp_path.rglob("*"))
    saved = {}
    for name in HOSTILE:
        saved[ws.save("local", name, res, GOOD_CSV).snapshot_id] = name
    first = next(iter(saved))
    for name in HOSTILE:                                  # rename is a label change too
        assert ws.rename("local", first, name).name == name
    saved[first] = HOSTILE[-1]
    listed = {i.snapshot_id: i.name for i in ws.list("local")}
    assert listed == saved
    for sid in saved:
        assert len(ws.open("local", sid).lines) == 1
    # nothing outside the workspace file was created, read or dropped
    assert set(sorted(p.name for p in tmp_path.rglob("*"))) - set(files_before) <= {"workspace.duckdb.wal"}
    assert not Path("/tmp/evil.db").exists() and not Path("/tmp/leak.csv").exists()
    with ws._session() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")}
    assert {"snapshots", "snapshot_lines", "meta"} <= tables
    # hostile snapshot ids and tenants are "not found" / refused, never interpreted
    for bad in HOSTILE:
        with pytest.raises(SnapshotNotFound):
            ws.open("local", bad)
        with pytest.raises(WorkspaceError):
            ws.list(bad)
    assert len(ws.list("local")) == len(HOSTILE)


# ---------------------------------------------------------------------------- CLI
def _cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as e:                  # argparse errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("bad", SQL + PATHS[:2])
def test_cli_rejects_hostile_arguments_with_one_line(capsys, bad):
    calls = [("exposure", "--importer", bad, "--material", "ndfeb_magnet"),
             ("exposure", "--importer", "USA", "--material", bad),
             ("cover", "--country", bad, "--material", "ndfeb_magnet", "--regime", "apr-2025-licensing"),
             ("cover", "--country", "USA", "--material", "ndfeb_magnet", "--regime", bad)]
    for argv in calls:
        code, out, err = _cli(capsys, *argv)
        assert code == 2, (argv, code, out, err)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in err, (argv, err)
        assert not out


def test_cli_as_a_process_prints_one_line_and_no_traceback():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for argv in (["exposure", "--importer", "'; DROP TABLE trade_flows; --", "--material", "ndfeb_magnet"],
                 ["ingest", "baci", "../../etc/passwd", "--data-dir", "/nonexistent/'; DROP"]):
        p = subprocess.run([sys.executable, "-m", "chokepoint", *argv], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 2, (argv, p.stdout, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr, p.stderr
    assert not Path("/nonexistent").exists()


def test_regime_file_argument_reads_only_the_named_file(capsys):
    code, out, err = _cli(capsys, "cover", "--country", "USA", "--material", "ndfeb_magnet",
                          "--regime-file", "../../etc/passwd")
    assert code == 2 and "Traceback" not in err and "problem" in err


def test_hostile_data_dir_names_are_only_folder_names(tmp_path, capsys):
    home = tmp_path / "'; DROP TABLE trade_flows; --"
    code, out, err = _cli(capsys, "ingest", "baci", str(BACI), "--data-dir", str(home))
    assert code == 0, err
    [info] = [d for d in ingest.list_datasets(home) if d.kind != ingest.BUILTIN]
    assert info.name == "baci-hs92-v202601" and info.path.parent == home.resolve()
    con = db._make_connection(info.path)      # the path is quoted in the views, not executed
    try:
        assert con.execute("SELECT count(*) FROM trade_flows").fetchone()[0] == info.rows
    finally:
        con.close()
    # dataset names from the user are looked up, never joined into paths
    for bad in PATHS:
        with pytest.raises(ingest.IngestError):
            ingest.resolve_dataset(bad, home)


# ---------------------------------------------------------------------------- queries
def test_query_parameters_are_bound_and_inert():
    good = {"control_timeline": db.run_query("control_timeline", controller="CHN"),
            "exposure_import_reliance": db.run_query("exposure_import_reliance", country="USA", year=2024)}
    assert all(len(v) > 0 for v in good.values())
    for bad in SQL + PATHS:
        assert db.run_query("control_timeline", controller=bad).empty, bad   # matches nothing: not a clause
        assert db.run_query("exposure_import_reliance", country=bad, year=2024).empty, bad
    pd.testing.assert_frame_equal(db.run_query("control_timeline", controller="CHN"), good["control_timeline"])
    pd.testing.assert_frame_equal(db.run_query("exposure_import_reliance", country="USA", year=2024),
                                  good["exposure_import_reliance"])
    # query names and parameter names are checked, never spliced
    for bad in ["x; DROP TABLE trade_flows", "../../etc/passwd", "exposure_supplier_shares.sql"]:
        with pytest.raises(db.QueryError):
            db.run_query(bad)
    with pytest.raises(db.QueryError):
        db.run_query("control_timeline", controller="CHN", **{"controller; DROP TABLE x": 1})
    # the user-facing connection cannot reach files outside the data folder
    cur = db.base_connection().cursor()
    try:
        with pytest.raises(duckdb.Error):
            cur.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.Error):
            cur.execute("SET enable_external_access = true")
    finally:
        cur.close()


# ---------------------------------------------------------------------------- regimes
def test_hostile_regime_ids_are_rejected_and_names_are_inert():
    rule = {"controller": "CHN", "materials": ["dysprosium"], "targets": "all", "approval_rate": 0.5}
    for bad in SQL + PATHS:
        with pytest.raises(regimes.RegimeError, match="id:"):
            regimes.parse_regime({"id": bad, "name": "x", "rules": [rule]})
    for bad in HOSTILE:
        r = regimes.parse_regime({"id": "user-regime", "name": bad, "rules": [rule]})
        assert r.name == bad.strip()
        assert regimes.load_regime(regimes.regime_to_yaml(r)) == r
        custom = scenarios.custom_regime(bad, [rule], taken=["custom-x"])
        assert regimes.ID_RE.match(custom.id) and "/" not in custom.id and "." not in custom.id
    for bad in ["'; DROP", "../../etc/passwd", "USA; DROP"]:
        with pytest.raises(regimes.RegimeError):
            regimes.parse_regime({"id": "r", "name": "r", "rules": [dict(rule, controller=bad)]})


def test_uploaded_regime_text_is_never_taken_as_a_server_path(tmp_path):
    """An uploaded YAML whose content is one line naming a server file must not read that file."""
    secret = tmp_path / "server-config.yml"
    secret.write_text("db_password: hunter2\napi_token: abc\n")
    for text in (str(secret), "../../etc/passwd.yml", "/etc/hostname.yaml"):
        with pytest.raises(regimes.RegimeError) as ei:
            regimes.load_regime(text)
        msg = " ".join(ei.value.problems)
        assert "db_password" not in msg and "api_token" not in msg and "cannot read" not in msg, msg
        assert "must be a mapping" in msg
    # a Path (the CLI's --regime-file, the library) is still a file
    with pytest.raises(regimes.RegimeError, match="unknown key"):
        regimes.load_regime(secret)


# ---------------------------------------------------------------------------- uploads via the reader
def _binaries() -> dict[str, bytes]:
    out = {"png": b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "gzip": b"\x1f\x8b\x08\x00" + os.urandom(500),
           "xlsx": b"PK\x03\x04" + os.urandom(500), "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(500),
           "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(800), "random": os.urandom(4096)}
    exe = shutil.which("ls")
    if exe:
        out["elf"] = Path(exe).read_bytes()[:65536]
    return out


def test_binary_and_oversized_uploads_are_refused_with_a_message():
    for kind, data in _binaries().items():
        res = parse_stockpile_csv(data, filename=f"upload.{kind}")
        assert not res.ok and res.errors, kind
        assert res.lines.empty
        assert all(len(str(e)) < 400 for e in res.errors), kind
    big = GOOD_CSV + b"EXAMPLE A,Dysprosium oxide,300,100,CN,1\n" * (MAX_BYTES // 40 + 1)
    res = parse_stockpile_csv(big)
    assert not res.ok and "limit is 25 MB" in str(res.errors[0])
    # a path in the upload's file name is a label, not a place
    res = parse_stockpile_csv(GOOD_CSV, filename="../../etc/passwd")
    assert res.ok and res.filename == "../../etc/passwd"


# ---------------------------------------------------------------------------- exports
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://evil\",\"click\")",
            "=cmd|' /C calc'!A0"]


def test_formula_strings_are_neutralised_in_csv_and_xlsx():
    df = pd.DataFrame({"site": FORMULAS, "on_hand_t": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                       "=col": ["x"] * 8})
    text = export.to_csv_bytes(df).decode("utf-8-sig")
    import csv
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "'=col"
    for f, row in zip(FORMULAS, rows[1:]):
        assert row[0] == "'" + f
    assert rows[1][1] == "-5.0"                            # numbers stay numbers
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(df)))
    sheet = wb.worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    col = [sheet.cell(row=i + 2, column=1).value.replace("_x000D_", "\r") for i in range(len(FORMULAS))]
    assert col == ["'" + f for f in FORMULAS]
    assert sheet.cell(row=2, column=2).value == -5


def test_formula_site_names_from_an_upload_are_neutralised_on_export():
    raw = (b"site,material,on_hand,monthly_use\n\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",Dysprosium oxide,3,1\n"
           b"@SUM(A1),NdFeB magnets,5,1\n")
    res = parse_stockpile_csv(raw)
    assert res.ok, res.errors
    assert any("formula" in w.message.lower() for w in res.warnings)
    text = export.to_csv_bytes(res.lines).decode("utf-8-sig")
    assert "\"'=HYPERLINK" in text and "\"'@SUM(A1)\"" in text
    assert "\n=" not in text and ",=" not in text and ",\"=" not in text
