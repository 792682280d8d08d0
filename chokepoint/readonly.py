"""The query connection as a read-only object (issue 08): only SELECT statements reach DuckDB.

DuckDB's settings cannot make an in-memory connection read-only: ``allowed_directories`` (needed
to read the dataset's parquet files) also lets ``COPY ... TO``, ``ATTACH`` and ``EXPORT DATABASE``
write inside those folders, and the default ``temp_directory`` (``./.tmp``) is always writable.
So ``db`` sets ``temp_directory = ''`` (no spill folder) and hands out this wrapper: every statement
is split and typed by DuckDB's own parser (``extract_statements``) and anything but SELECT is
refused before it runs. Writes go through the ingest and workspace code paths only.
"""
from __future__ import annotations

import duckdb

ALLOWED = frozenset({duckdb.StatementType.SELECT})


def check_select(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise ``duckdb.PermissionException`` unless ``sql`` is SELECT statements only."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error:
        raise
    if not statements:
        raise duckdb.PermissionException("empty query")
    for st in statements:
        if st.type not in ALLOWED:
            name = str(st.type).rsplit(".", 1)[-1]
            raise duckdb.PermissionException(f"the query connection is read-only: {name} statements are refused "
                                             "(only SELECT runs here)")


class ReadOnlyConnection:
    """A DuckDB connection or cursor that runs SELECT statements only."""

    __slots__ = ("_con",)

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def cursor(self) -> "ReadOnlyConnection":
        return ReadOnlyConnection(self._con.cursor())

    def execute(self, sql: str, parameters=None) -> duckdb.DuckDBPyConnection:
        check_select(self._con, sql)
        return self._con.execute(sql, parameters) if parameters is not None else self._con.execute(sql)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "ReadOnlyConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
