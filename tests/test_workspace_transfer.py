"""`python -m chokepoint workspace export|import`: a tenant's snapshots move between
backends (DuckDB <-> PostgreSQL) with a sha256 per snapshot; import verifies every checksum and
refuses duplicates unless --skip-existing. The stockpile files are INVENTED test data.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from chokepoint import cli
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.workspace import Workspace, WorkspaceError, open_workspace, transfer

FILE_A = b"""site,material,on_hand,monthly_use,supplier_country,supplier_share
EXAMPLE plant A,Dysprosium oxide,300.1,100,CN,0.8
EXAMPLE plant A,Dysprosium oxide,,,NA,0.2
EXAMPLE plant A,NdFeB magnets,50,10,JP,1
EXAMPLE plant B,titanium sponge,20,5,,
"""
FILE_B = "site;material;on_hand;monthly_use;supplier_country;supplier_share\n" \
         "EXAMPLE Süd;Dysprosium oxide;250,5;100,3333333;CN;80%\n" \
         "EXAMPLE Süd;Terbium oxide;3;0,1;CN;1\n".encode("cp1252")


def _other(kind: str, tmp_path, pg_cluster) -> str:
    return pg_cluster.create_database() if kind == "postgresql" else str(tmp_path / "other.duckdb")


def _fill(ws, tenant="local"):
    a = ws.save(tenant, "May", parse_stockpile_csv(FILE_A, filename="may.csv"), FILE_A)
    b = ws.save(tenant, "Juni — Süd", parse_stockpile_csv(FILE_B, filename="juni.csv"), FILE_B)
    ws.rename(tenant, a.snapshot_id, "May (checked)")
    ws.save("u-someone-else", "not mine", parse_stockpile_csv(FILE_A), FILE_A)
    return a, b


def test_export_then_import_into_the_other_backend_reproduces_every_snapshot(any_ws, tmp_path, pg_cluster, capsys):
    src = any_ws
    a, b = _fill(src)
    other_kind = "duckdb" if src.backend == "postgresql" else "postgresql"
    dst_target = _other(other_kind, tmp_path, pg_cluster)
    src_target = src.url if src.backend == "postgresql" else str(src.path)
    out1, out2 = tmp_path / "export1.jsonl", tmp_path / "export2.jsonl"

    assert cli.main(["workspace", "export", str(out1), "--workspace", src_target]) == 0
    assert cli.main(["workspace", "import", str(out1), "--workspace", dst_target]) == 0
    assert cli.main(["workspace", "export", str(out2), "--workspace", dst_target]) == 0
    printed = capsys.readouterr().out
    assert "exported 2 snapshot(s)" in printed and "imported 2 snapshot(s)" in printed

    # byte-for-byte: the same records and checksums from either backend
    assert out1.read_bytes().splitlines()[1:] == out2.read_bytes().splitlines()[1:]
    sums1 = [json.loads(x)["sha256"] for x in out1.read_text().splitlines()[1:]]
    assert len(sums1) == 2 and len(set(sums1)) == 2
    dst = open_workspace(dst_target)
    try:
        assert dst.backend == other_kind
        assert [i for i in dst.list("local")] == [i for i in src.list("local")]
        assert dst.list("u-someone-else") == []                 # only the exported tenant moved
        for sid in (a.snapshot_id, b.snapshot_id):
            assert dst.raw("local", sid) == src.raw("local", sid)
            pd.testing.assert_frame_equal(dst.open("local", sid).lines, src.open("local", sid).lines,
                                          check_exact=True)
            assert transfer.checksum(transfer.to_record(*dst.dump("local", sid))) == \
                transfer.checksum(transfer.to_record(*src.dump("local", sid)))
        pd.testing.assert_frame_equal(dst.compare("local", a.snapshot_id, b.snapshot_id),
                                      src.compare("local", a.snapshot_id, b.snapshot_id), check_exact=True)

        # importing again: refused as a whole without the flag, a no-op with it
        code = cli.main(["workspace", "import", str(out1), "--workspace", dst_target])
        err = capsys.readouterr().err
        assert code == 2 and "2 of 2 snapshots already exist" in err and "--skip-existing" in err
        assert cli.main(["workspace", "import", str(out1), "--workspace", dst_target, "--skip-existing"]) == 0
        printed = capsys.readouterr().out
        assert "imported 0 snapshot(s)" in printed and "skipped 2 already there" in printed
        assert len(dst.list("local")) == 2
    finally:
        dst.close()


def test_a_damaged_export_is_refused_before_anything_is_written(tmp_path, capsys):
    src = Workspace(tmp_path / "src.duckdb")
    _fill(src)
    out = tmp_path / "export.jsonl"
    transfer.export_to_file(src, "local", out)
    lines = out.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["snapshot"]["lines"][0][5] = 250.6                   # one quantity changed after export
    (tmp_path / "damaged.jsonl").write_text("\n".join([lines[0], lines[1], json.dumps(rec)]) + "\n")
    dst = Workspace(tmp_path / "dst.duckdb")
    with pytest.raises(WorkspaceError, match="line 3: checksum mismatch"):
        transfer.import_file(dst, tmp_path / "damaged.jsonl")
    assert dst.list("local") == []                            # the good first record was not written either
    (tmp_path / "short.jsonl").write_text("\n".join(lines[:2]) + "\n")
    with pytest.raises(WorkspaceError, match="header says 2 snapshots, the file has 1"):
        transfer.import_file(dst, tmp_path / "short.jsonl")
    (tmp_path / "junk.jsonl").write_text("hello\n")
    assert cli.main(["workspace", "import", str(tmp_path / "junk.jsonl"),
                     "--workspace", str(tmp_path / "dst.duckdb")]) == 2
    assert "not a workspace export" in capsys.readouterr().err
    assert dst.list("local") == []


def test_same_id_with_different_content_is_never_overwritten(tmp_path):
    src = Workspace(tmp_path / "src.duckdb")
    a, _ = _fill(src)
    out = tmp_path / "export.jsonl"
    transfer.export_to_file(src, "local", out)
    dst = Workspace(tmp_path / "dst.duckdb")
    transfer.import_file(dst, out)
    dst.rename("local", a.snapshot_id, "changed since")
    with pytest.raises(WorkspaceError, match="already exists .* with different content"):
        transfer.import_file(dst, out, skip_existing=True)
    assert dst.open("local", a.snapshot_id).info.name == "changed since"


def test_status_names_the_backend_and_schema_version(tmp_path, capsys):
    target = str(tmp_path / "s.duckdb")
    assert cli.main(["workspace", "status", "--workspace", target]) == 0
    assert "duckdb workspace" in capsys.readouterr().out
    assert cli.main(["workspace", "export", "--workspace", target]) == 2
    assert "needs a FILE.jsonl" in capsys.readouterr().err
