"""The query layer: one locked-down DuckDB connection per dataset, SQL from queries/*.sql.

* ``base_connection(data_dir)`` makes an in-memory DuckDB with one view per ``data_dir/*.parquet``,
  then locks it: external access off except for the data folder, no extension autoload or install,
  no temp folder, configuration locked, and only SELECT statements (``readonly``). One per process and dataset (cached here; the app also wraps it in
  ``st.cache_resource``).
* ``run_query(name, **params)`` loads ``queries/<name>.sql``, binds its ``$params`` and runs it on a
  fresh cursor (connections are not thread-safe; cursors are cheap). Missing or unknown parameters
  are errors, values are always bound, never formatted into SQL.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .catalog import ROOT
from .readonly import ReadOnlyConnection

QUERIES = ROOT / "queries"
DATA = ROOT / "data"
_lock = threading.Lock()
_connections: dict[Path, ReadOnlyConnection] = {}


class QueryError(ValueError):
    """A query asked for with missing or unknown parameters, or that does not exist."""


def _strip_sql_comments(sql: str) -> str:
    sql = re.sub(r"--[^\n]*", "", sql)
    sql = re.sub(r"/\*.*?\*/", "", sql, flags=re.S)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)  # string literals cannot hold parameters


@lru_cache(maxsize=None)
def load_query(name: str) -> tuple[str, frozenset[str]]:
    """SQL text of queries/<name>.sql and the set of its $parameter names."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise QueryError(f"bad query name {name!r}")
    path = QUERIES / f"{name}.sql"
    if not path.exists():
        raise QueryError(f"no query named {name!r} in queries/")
    sql = path.read_text(encoding="utf-8")
    params = frozenset(re.findall(r"\$([A-Za-z_]\w*)", _strip_sql_comments(sql)))
    return sql, params


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES.glob("*.sql"))


def base_connection(data_dir: Path | str = DATA) -> ReadOnlyConnection:
    """The process-wide locked connection for a dataset folder (views over its parquet files)."""
    data_dir = Path(data_dir).resolve()
    with _lock:
        con = _connections.get(data_dir)
        if con is None:
            con = _make_connection(data_dir)
            _connections[data_dir] = con
        return con


def table_sources(data_dir: Path) -> dict[str, Path]:
    """Table name -> parquet file or hive-partitioned folder for a dataset folder.

    A dataset folder holds ``<table>.parquet`` files and/or ``<table>/`` folders of partitioned
    parquet (``year=2024/part-0.parquet``; written by the ingesters). Tables it does not hold come
    from the built-in ``data/`` folder, so an ingested trade dataset still has the catalogue,
    production, stockpiles and the rest.
    """
    out: dict[str, Path] = {}
    for folder in ([DATA.resolve()] if data_dir == DATA.resolve() else [DATA.resolve(), data_dir]):
        for p in folder.glob("*.parquet"):
            out[p.stem] = p
        for p in folder.iterdir() if folder.is_dir() else []:
            if p.is_dir() and any(p.rglob("*.parquet")) and not p.name.startswith((".", "_")):
                out[p.name] = p
    return dict(sorted(out.items()))


def _make_connection(data_dir: Path) -> ReadOnlyConnection:
    con = duckdb.connect(":memory:", config={
        "autoload_known_extensions": False, "autoinstall_known_extensions": False,
        "threads": 2,
    })
    if not data_dir.is_dir():
        raise FileNotFoundError(f"dataset folder {data_dir} does not exist")
    tables = table_sources(data_dir)
    if not tables:
        raise FileNotFoundError(f"no parquet tables in {data_dir}: run `python -m chokepoint data build`")
    for name, p in tables.items():
        # identifiers cannot be bound; the names come from our own files and are checked here
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"unexpected table name {name!r} in {p.parent}")
        if p.is_dir():
            # the files carry every column (year included): the folder names only prune files
            glob = str(p / "**" / "*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = false)")
        else:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{str(p).replace(chr(39), chr(39) * 2)}')")
    dirs = sorted({str(DATA.resolve()) + "/", str(data_dir) + "/"})
    con.execute("SET allowed_directories = $dirs", {"dirs": dirs})
    con.execute("SET temp_directory = ''")          # no spill folder: ./.tmp is not writable either
    con.execute("SET allow_persistent_secrets = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return ReadOnlyConnection(con)                   # SELECT only: no COPY TO / ATTACH / EXPORT


def run_query(name: str, data_dir: Path | str = DATA, **params: Any) -> pd.DataFrame:
    """Run queries/<name>.sql with exactly its $params bound; returns a DataFrame."""
    sql, wanted = load_query(name)
    given = set(params)
    if given - wanted:
        raise QueryError(f"query {name!r} has no parameter(s) {sorted(given - wanted)}; it takes {sorted(wanted)}")
    if wanted - given:
        raise QueryError(f"query {name!r} needs parameter(s) {sorted(wanted - given)}")
    cur = base_connection(data_dir).cursor()
    try:
        return cur.execute(sql, params or None).df()
    finally:
        cur.close()


def preview(table: str, n: int = 20, data_dir: Path | str = DATA) -> pd.DataFrame:
    """First n rows of one dataset table (the name is checked against the views, n is bound)."""
    if table not in table_sources(Path(data_dir).resolve()) or not re.fullmatch(r"[a-z][a-z0-9_]*", table):
        raise QueryError(f"no table named {table!r}")
    cur = base_connection(data_dir).cursor()
    try:
        return cur.execute(f"SELECT * FROM {table} LIMIT ?", [int(n)]).df()  # name checked above
    finally:
        cur.close()
