"""The embedded backend (default): one DuckDB file, no server.

* **Where**: ``CHOKEPOINT_WORKSPACE`` if set, else ``platformdirs.user_data_dir("chokepoint")/
  workspace.duckdb`` (directory created with mode 0700).
* **Atomic**: a save is one DuckDB transaction (snapshot row + every line); any exception rolls it
  back, and a killed process never commits, so only whole snapshots are ever visible.
* **Shared**: every operation opens the file, does its work and closes it, so app sessions and
  processes (app + CLI) on one host can share one file. If another process holds DuckDB's file
  lock, the operation retries briefly and then raises :class:`WorkspaceBusy`; it never writes
  around it. Several hosts cannot share the file: use the PostgreSQL backend for that.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from . import base
from .base import Migration, WorkspaceBusy, WorkspaceError

ENV_VAR = "CHOKEPOINT_WORKSPACE"
#: Seconds a locked file is retried before WorkspaceBusy (the package module's value is read at call time).
_BUSY_RETRY_S = 3.0
#: One operation at a time per process (app sessions are threads); other processes are kept out
#: by DuckDB's file lock. Migrations run once per file per process.
_LOCK = threading.RLock()
_READY: set[str] = set()
_CONFIG = {"enable_external_access": False, "autoload_known_extensions": False,
           "autoinstall_known_extensions": False}
_PARAM = re.compile(r"%\((\w+)\)s")

MIGRATIONS = (
    Migration(1, "snapshots and their lines", (
        """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS snapshots (
            snapshot_id VARCHAR PRIMARY KEY,
            tenant      VARCHAR NOT NULL,
            name        VARCHAR NOT NULL,
            created_at  TIMESTAMP NOT NULL,      -- UTC
            sha256      VARCHAR NOT NULL,        -- of the uploaded bytes
            rows        INTEGER NOT NULL,        -- supply lines
            filename    VARCHAR NOT NULL,
            encoding    VARCHAR, delimiter VARCHAR, decimal_sep VARCHAR, thousands_sep VARCHAR,
            raw         BLOB NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS snapshot_lines (
            snapshot_id      VARCHAR NOT NULL,
            tenant           VARCHAR NOT NULL,
            line_no          INTEGER NOT NULL,
            site             VARCHAR NOT NULL,
            site_country     VARCHAR,
            material_id      VARCHAR NOT NULL,
            material_input   VARCHAR NOT NULL,
            on_hand_t        DOUBLE NOT NULL,
            monthly_use_t    DOUBLE NOT NULL,
            supplier_country VARCHAR,
            supplier_share   DOUBLE NOT NULL,
            source_row       INTEGER NOT NULL)""",
        # files made before the migration table kept their version here
        """INSERT INTO meta VALUES ('schema_version', '1') ON CONFLICT DO NOTHING""",
    )),
    Migration(2, "index snapshots by tenant", (
        """CREATE INDEX IF NOT EXISTS snapshots_tenant ON snapshots (tenant, created_at)""",
    )),
)


def _busy_retry_s() -> float:
    from chokepoint import workspace as pkg  # tests and the fault harness tune the package's value
    return float(getattr(pkg, "_BUSY_RETRY_S", _BUSY_RETRY_S))


class _DuckConn:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        cur = self.con.execute(_PARAM.sub(r"$\1", sql), dict(params or {}))
        return cur.fetchall() if cur.description else []

    def frame(self, sql: str, params: Mapping[str, Any], columns: list[str]) -> pd.DataFrame:
        return self.con.execute(_PARAM.sub(r"$\1", sql), dict(params)).df()

    def insert_lines(self, snapshot_id: str, tenant: str, lines: pd.DataFrame) -> None:
        self.con.register("_incoming_lines", lines)
        try:
            self.con.execute(
                "INSERT INTO snapshot_lines SELECT $id, $t, line_no, site, site_country, material_id, "
                "material_input, on_hand_t, monthly_use_t, supplier_country, supplier_share, source_row "
                "FROM _incoming_lines", {"id": snapshot_id, "t": tenant})
        finally:
            self.con.unregister("_incoming_lines")


class Workspace(base.WorkspaceStore):
    """Snapshots in one DuckDB file; every method opens a short-lived connection."""

    backend = "duckdb"
    MIGRATIONS = MIGRATIONS

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def describe(self) -> str:
        return str(self.path)

    @staticmethod
    def default_path() -> Path:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return Path(env).expanduser()
        import platformdirs
        return Path(platformdirs.user_data_dir("chokepoint")) / "workspace.duckdb"

    @classmethod
    def default(cls) -> base.WorkspaceStore:
        """The configured workspace: PostgreSQL when CHOKEPOINT_WORKSPACE_URL is set, else this file."""
        from chokepoint.workspace import open_workspace
        return open_workspace()

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection, holding the process lock for the whole operation.

        DuckDB shares one database instance between the connections of a process; opening and
        closing them from several threads at once is not safe, so operations of one process run
        one at a time (they take milliseconds). Other processes are kept out by DuckDB's file lock.
        """
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            deadline = time.monotonic() + _busy_retry_s()
            while True:
                try:
                    con = duckdb.connect(str(self.path), config=dict(_CONFIG))
                    break
                except duckdb.IOException as e:
                    if "lock" not in str(e).lower():
                        raise WorkspaceError(f"cannot open the workspace {self.path}: {e}") from e
                    if time.monotonic() > deadline:
                        raise WorkspaceBusy(f"the workspace {self.path} is in use by another process; "
                                            "try again in a moment") from e
                    time.sleep(0.1)
            try:
                key = str(self.path.resolve())
                if key not in _READY:
                    con.execute("BEGIN TRANSACTION")
                    try:
                        self._migrate(_DuckConn(con))
                        con.execute("COMMIT")
                    except BaseException:
                        con.execute("ROLLBACK")
                        raise
                    _READY.add(key)
                yield con
            finally:
                con.close()

    @contextmanager
    def _session(self) -> Iterator[_DuckConn]:
        with self._connect() as con:
            yield _DuckConn(con)

    @contextmanager
    def _transaction(self) -> Iterator[_DuckConn]:
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield _DuckConn(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
