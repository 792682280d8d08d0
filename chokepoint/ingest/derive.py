"""Tables derived from an ingested dataset's trade flows: ``trade_series`` (world totals, China's
export share, exporter HHI) and ``top_traders`` (top-8 exporters and importers by value), in the
built-in schemas. Their SQL is queries/ingest/<table>.sql, run with bound values over a ``tf``
view of the flows.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from .. import catalog
from .common import sql_str

SQL_DIR = catalog.ROOT / "queries" / "ingest"


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _flows_view(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Temp view ``tf`` over folder/trade_flows (a path in read_parquet cannot be bound)."""
    glob = sql_str(folder / "trade_flows" / "**" / "*.parquet")
    con.execute(f"CREATE OR REPLACE TEMP VIEW tf AS SELECT * FROM read_parquet({glob}, hive_partitioning = false)")


def derive_tables(con: duckdb.DuckDBPyConnection, folder: Path, hs_vintage: str, source: str) -> dict[str, int]:
    """Write trade_series.parquet and top_traders.parquet (built-in schemas) from folder/trade_flows."""
    _flows_view(con, folder)
    counts = {}
    for table, params in (("trade_series", {"vintage": hs_vintage, "source": source}),
                          ("top_traders", {"source": source})):
        out = folder / f"{table}.parquet"
        con.execute(f"CREATE OR REPLACE TEMP TABLE d AS {_sql(table)}", params)
        counts[table] = _one(con, "SELECT count(*) FROM d")
        con.execute(f"COPY d TO {sql_str(out)} (FORMAT parquet, COMPRESSION zstd)")
    return counts


def flows_summary(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[int, list[int], list[str]]:
    """(rows, years, distinct country codes) of folder/trade_flows."""
    if not any((folder / "trade_flows").rglob("*.parquet")):
        return 0, [], []
    _flows_view(con, folder)
    rows = _one(con, "SELECT count(*) FROM tf")
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM tf ORDER BY 1").fetchall()]
    codes = [r[0] for r in con.execute(
        "SELECT DISTINCT c FROM (SELECT exporter AS c FROM tf UNION SELECT importer FROM tf) ORDER BY 1").fetchall()]
    return rows, years, codes


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None, "an aggregate returns one row"
    return int(row[0])
