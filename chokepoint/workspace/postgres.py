"""The server backend: PostgreSQL through psycopg 3 and a psycopg_pool connection pool.

Chosen by ``CHOKEPOINT_WORKSPACE_URL=postgresql://user:password@host:port/dbname`` (any libpq
connection string). Replicas on several hosts share one database; every statement is the same as
the embedded backend's (``chokepoint.workspace.base``) and filters by tenant.

* **Atomic**: a save is one transaction (``conn.transaction()``); a killed replica's open
  transaction is rolled back by the server when its connection drops.
* **Unreachable server**: any connection failure becomes :class:`WorkspaceUnavailable` with a one
  line message naming host, port and database (never the password). For a few seconds after a
  failure, calls fail at once instead of waiting on the pool again, so a page stays responsive.
* **Pool**: one per process and URL, opened on first use, ``min_size`` 1, ``max_size``
  ``CHOKEPOINT_WORKSPACE_POOL`` (default 4); connections are checked before use, so a server
  restart costs one failed check, not an error.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd

from . import base
from .base import STORED_LINE_COLUMNS, Migration, WorkspaceUnavailable

URL_ENV = "CHOKEPOINT_WORKSPACE_URL"
POOL_ENV = "CHOKEPOINT_WORKSPACE_POOL"
CONNECT_TIMEOUT_S = 3
#: After a failed connection, fail fast for this long (seconds).
_DOWN_FOR_S = 5.0
_MIGRATION_LOCK = 0x43484B50     # "CHKP": pg_advisory_xact_lock key, so replicas migrate one at a time

MIGRATIONS = (
    Migration(1, "snapshots and their lines", (
        """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS snapshots (
            snapshot_id TEXT PRIMARY KEY,
            tenant      TEXT NOT NULL,
            name        TEXT NOT NULL,
            created_at  TIMESTAMP NOT NULL,      -- UTC
            sha256      TEXT NOT NULL,           -- of the uploaded bytes
            rows        INTEGER NOT NULL,        -- supply lines
            filename    TEXT NOT NULL,
            encoding    TEXT, delimiter TEXT, decimal_sep TEXT, thousands_sep TEXT,
            raw         BYTEA NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS snapshot_lines (
            snapshot_id      TEXT NOT NULL,
            tenant           TEXT NOT NULL,
            line_no          INTEGER NOT NULL,
            site             TEXT NOT NULL,
            site_country     TEXT,
            material_id      TEXT NOT NULL,
            material_input   TEXT NOT NULL,
            on_hand_t        DOUBLE PRECISION NOT NULL,
            monthly_use_t    DOUBLE PRECISION NOT NULL,
            supplier_country TEXT,
            supplier_share   DOUBLE PRECISION NOT NULL,
            source_row       INTEGER NOT NULL)""",
        """INSERT INTO meta VALUES ('schema_version', '1') ON CONFLICT DO NOTHING""",
    )),
    Migration(2, "index snapshots by tenant", (
        """CREATE INDEX IF NOT EXISTS snapshots_tenant ON snapshots (tenant, created_at)""",
        # lines are read and deleted per snapshot; without this every open scans all tenants' lines
        """CREATE INDEX IF NOT EXISTS snapshot_lines_snapshot ON snapshot_lines (tenant, snapshot_id, line_no)""",
    )),
)

_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()


def redact(url: str) -> str:
    """host:port/dbname of a connection string (no user, no password)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
        d = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL: say so without echoing it
        return "(malformed workspace URL)"
    return f"{d.get('host') or 'localhost'}:{d.get('port') or 5432}/{d.get('dbname') or d.get('user') or ''}"


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] or type(e).__name__


class _PgConn:
    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, dict(params) if params is not None else None)
            return cur.fetchall() if cur.description else []

    def frame(self, sql: str, params: Mapping[str, Any], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(self.execute(sql, params), columns=columns)

    def insert_lines(self, snapshot_id: str, tenant: str, lines: pd.DataFrame) -> None:
        cols = list(STORED_LINE_COLUMNS)
        frame = lines[cols].astype(object)
        frame = frame.where(frame.notna(), None)
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY snapshot_lines (snapshot_id, tenant, {', '.join(cols)}) FROM STDIN") as cp:
                for row in frame.itertuples(index=False, name=None):
                    cp.write_row((snapshot_id, tenant, *row))


class PostgresWorkspace(base.WorkspaceStore):
    """Snapshots in a PostgreSQL database shared by every replica."""

    backend = "postgresql"
    MIGRATIONS = MIGRATIONS

    def __init__(self, url: str, *, pool_size: int = 4):
        # a wrong URL is reported by every operation (like an unreachable server), so the app
        # still starts and its pages say what is wrong instead of failing on import
        self._bad = None if isinstance(url, str) and url.startswith(("postgresql://", "postgres://")) else \
            f"the workspace URL must start with postgresql:// (got {str(url).split('://')[0][:20]!r}://...); check {URL_ENV}"
        self.url = url
        self.pool_size = pool_size
        self._down_until = 0.0
        self._down_msg = ""
        self._migrated = False
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "(invalid workspace URL)" if self._bad else f"postgresql://{redact(self.url)}"

    def _pool(self) -> Any:
        from psycopg_pool import ConnectionPool
        key = f"{self.url}#{self.pool_size}"
        with _POOLS_LOCK:
            pool = _POOLS.get(key)
            if pool is None:
                pool = ConnectionPool(self.url, min_size=1, max_size=self.pool_size, open=False,
                                      timeout=CONNECT_TIMEOUT_S + 1, check=ConnectionPool.check_connection,
                                      kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "autocommit": True,
                                              "application_name": "chokepoint"},
                                      name="chokepoint-workspace")
                pool.open(wait=False)
                _POOLS[key] = pool
            return pool

    def close(self) -> None:
        with _POOLS_LOCK:
            pool = _POOLS.pop(f"{self.url}#{self.pool_size}", None)
        if pool is not None:
            pool.close()

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A pooled connection (autocommit), schema migrated; connection failures -> WorkspaceUnavailable."""
        import psycopg
        from psycopg_pool import PoolTimeout
        if self._bad:
            raise WorkspaceUnavailable(self._bad)
        if time.monotonic() < self._down_until:
            raise WorkspaceUnavailable(self._down_msg)
        try:
            with self._pool().connection() as conn:
                if not self._migrated:
                    with self._lock, conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                        self._migrate(_PgConn(conn))
                    self._migrated = True
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as e:
            self._down(e)

    def _down(self, e: BaseException) -> None:
        self._down_msg = (f"the workspace server {redact(self.url)} is unreachable "
                          f"({_one_line(e)}); saved snapshots are unavailable")
        self._down_until = time.monotonic() + _DOWN_FOR_S
        raise WorkspaceUnavailable(self._down_msg) from None

    @contextmanager
    def _session(self) -> Iterator[_PgConn]:
        with self._conn() as conn:
            yield _PgConn(conn)

    @contextmanager
    def _transaction(self) -> Iterator[_PgConn]:
        with self._conn() as conn:
            with conn.transaction():
                yield _PgConn(conn)
