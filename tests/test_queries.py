"""Every queries/*.sql runs on the built-in data; the query layer binds and locks down."""
import re

import duckdb
import pytest

from chokepoint import db

# One sample value per parameter name used anywhere in queries/ (a new parameter needs a sample).
SAMPLES = {
    "hs6_list": ["850511", "280530"], "hs6": "850511", "controller": "CHN", "material_id": "ndfeb_magnet",
    "year": 2024, "role": "exporter", "importer": "IND", "basis": "value", "material": "permanent_magnets",
    "country": "USA", "supplier": "JPN", "group": "rare_earths", "materials": ["permanent_magnets"],
    "importers": ["IND", "USA"], "stage": "mine", "top_n": 10,
    "measure": "target", "reporter": "GBR",
}


@pytest.mark.parametrize("name", db.query_names())
def test_query_has_a_header_and_runs(name):
    sql, params = db.load_query(name)
    head = sql.split("\n", 12)
    assert sql.startswith("--"), f"{name}.sql has no header comment"
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    assert "Params:" in header and "Output:" in header, f"{name}.sql header lacks Params/Output"
    missing = params - set(SAMPLES)
    assert not missing, f"add a sample value for {sorted(missing)} in tests/test_queries.py"
    df = db.run_query(name, **{p: SAMPLES[p] for p in params})
    assert len(df.columns) > 0
    assert head  # header parsed


@pytest.mark.parametrize("name", db.query_names())
def test_query_has_no_file_paths_or_formatting(name):
    sql, _ = db.load_query(name)
    assert not re.search(r"read_(parquet|csv)|\.parquet|\{\w*\}|%s", sql), name


def test_missing_and_unknown_parameters_are_rejected():
    with pytest.raises(db.QueryError, match="needs parameter"):
        db.run_query("control_timeline")
    with pytest.raises(db.QueryError, match="has no parameter"):
        db.run_query("control_timeline", controller="CHN", bogus=1)
    with pytest.raises(db.QueryError):
        db.run_query("../etc/passwd")


def test_values_are_bound_not_formatted():
    hostile = "CHN'; DROP VIEW control_events; --"
    assert db.run_query("control_timeline", controller=hostile).empty
    assert not db.run_query("control_timeline", controller="CHN").empty


def test_connection_is_locked_down():
    cur = db.base_connection().cursor()
    with pytest.raises(duckdb.Error):
        cur.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.Error):
        cur.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        cur.execute("INSTALL httpfs")
