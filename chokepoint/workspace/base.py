"""The workspace interface: every operation written once, over a small per-backend connection.

A backend (``duckdb_backend``, ``postgres``) supplies only: how to get a connection
(:meth:`WorkspaceStore._session`), its schema DDL per migration (:attr:`WorkspaceStore.MIGRATIONS`),
how to bulk-insert a snapshot's lines, and how to read rows into a DataFrame. The SQL of every
operation lives here, written once with ``%(name)s`` parameters (the DuckDB adapter rewrites them to
``$name``), and every statement on ``snapshots`` / ``snapshot_lines`` filters by ``tenant``.

Schema versions: table ``schema_migrations`` (version, name, applied_at) lists the migrations a
workspace has; on first use in a process the missing ones run in one transaction (on PostgreSQL
under an advisory lock, so replicas starting together migrate once). A workspace whose newest
version is above what this code knows is refused with a message, never written to.
"""
from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import pandas as pd

from chokepoint import stockpile_csv
from chokepoint.stockpile_csv import LINE_COLUMNS, ParseResult

LOCAL_TENANT = "local"
NAME_MAX = 80
_TENANT_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_ID_RE = re.compile(r"^[0-9a-f]{16}$")

#: Columns of the ``snapshots`` table, in order (also the order of an export record).
SNAPSHOT_COLUMNS = ("snapshot_id", "tenant", "name", "created_at", "sha256", "rows", "filename",
                    "encoding", "delimiter", "decimal_sep", "thousands_sep", "raw")
#: Columns of ``snapshot_lines`` after (snapshot_id, tenant), in order.
STORED_LINE_COLUMNS = ("line_no", "site", "site_country", "material_id", "material_input", "on_hand_t",
                       "monthly_use_t", "supplier_country", "supplier_share", "source_row")
_INFO_COLS = "snapshot_id, tenant, name, created_at, sha256, rows, filename, encoding, delimiter"


class WorkspaceError(Exception):
    """A workspace operation failed; the message is meant for the user."""


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace file's write lock."""


class WorkspaceUnavailable(WorkspaceError):
    """The workspace server cannot be reached (the message is one line, without credentials)."""


class SnapshotNotFound(WorkspaceError, LookupError):
    """No such snapshot for this tenant (including: it belongs to another tenant)."""


class NotSignedIn(WorkspaceError):
    """Login is configured but there is no signed-in identity to map to a tenant."""


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    tenant: str
    name: str
    created_at: dt.datetime     # UTC, timezone-aware
    sha256: str
    rows: int
    filename: str
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, eq=False)
class Snapshot:
    info: SnapshotInfo
    lines: pd.DataFrame
    holdings: pd.DataFrame


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


class Conn(Protocol):
    """What a backend's session yields: statements with ``%(name)s`` parameters."""

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]: ...

    def frame(self, sql: str, params: Mapping[str, Any], columns: list[str]) -> pd.DataFrame: ...

    def insert_lines(self, snapshot_id: str, tenant: str, lines: pd.DataFrame) -> None: ...


# ------------------------------------------------------------------ tenants and names
def tenant_for(claims: Mapping[str, Any] | None, *, login_configured: bool) -> str:
    """The tenant of a user: ``"local"`` without login; with login a stable hashed id.

    With login, the id is ``"u-" + sha256(issuer NUL subject)[:32]``: OIDC's ``iss`` + ``sub``
    identify an account for good (an email may change or be reassigned, so it is not used).
    Missing claims raise :class:`NotSignedIn` — never a fallback to the local tenant.
    """
    if not login_configured:
        return LOCAL_TENANT
    if not claims or not claims.get("is_logged_in", True):
        raise NotSignedIn("sign in to use the workspace")
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not isinstance(sub, str) or not iss.strip() or not sub.strip():
        raise NotSignedIn("the sign-in provider did not return an issuer and subject (iss, sub)")
    return "u-" + hashlib.sha256(f"{iss}\x00{sub}".encode()).hexdigest()[:32]


def check_tenant(tenant: str) -> str:
    if not isinstance(tenant, str) or not _TENANT_RE.fullmatch(tenant):
        raise WorkspaceError("invalid tenant id")
    return tenant


def clean_name(name: str) -> str:
    """A snapshot name, trimmed; WorkspaceError if empty, too long or with control characters."""
    if not isinstance(name, str):
        raise WorkspaceError("a snapshot name must be text")
    name = name.strip()
    if not name:
        raise WorkspaceError("a snapshot name cannot be empty")
    if len(name) > NAME_MAX:
        raise WorkspaceError(f"a snapshot name has at most {NAME_MAX} characters (this one has {len(name)})")
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Zl", "Zp")
           or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"]
    if bad:
        raise WorkspaceError(f"a snapshot name cannot contain control characters ({ascii(bad[0])})")
    return name


def safe_label(text: str | None) -> str:
    """An uploaded file name as a display label: control characters dropped, at most 200 chars."""
    text = "".join(ch for ch in str(text or "") if unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))
    return text.strip()[:200] or "upload.csv"


def _to_info(row: tuple) -> SnapshotInfo:
    sid, tenant, name, at, sha, rows, fn, enc, delim = row
    return SnapshotInfo(sid, tenant, name, at.replace(tzinfo=dt.timezone.utc), sha, int(rows), fn, enc, delim)


# ------------------------------------------------------------------ the store
class WorkspaceStore(ABC):
    """Named per-tenant snapshots; subclasses supply connections and DDL, never operation SQL."""

    #: Short backend name ("duckdb", "postgresql").
    backend: ClassVar[str]
    #: The schema, oldest first; never edit a released migration, add a new one.
    MIGRATIONS: ClassVar[tuple[Migration, ...]]

    @property
    def schema_version(self) -> int:
        return max(m.version for m in self.MIGRATIONS)

    # -- backend hooks
    @abstractmethod
    @contextmanager
    def _session(self) -> Iterator[Conn]:
        """A connection in autocommit mode, schema migrated."""

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Conn]:
        """A connection inside one transaction: committed on exit, rolled back on any exception."""

    @abstractmethod
    def describe(self) -> str:
        """Where the workspace is, for messages (never with a password)."""

    def close(self) -> None:  # noqa: B027 - an optional hook: only pooled backends override it
        """Release pooled connections (no-op where there are none)."""

    def _insert_lines(self, con: Conn, snapshot_id: str, tenant: str, lines: pd.DataFrame) -> None:
        """Insert a snapshot's lines inside the caller's transaction (a seam the tests patch)."""
        con.insert_lines(snapshot_id, tenant, lines)

    # -- schema
    def _migrate(self, con: Conn) -> None:
        """Apply missing migrations; called by the backend inside one transaction."""
        con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
        done = {int(v) for (v,) in con.execute("SELECT version FROM schema_migrations")}
        if done and max(done) > self.schema_version:
            raise WorkspaceError(
                f"the workspace {self.describe()} has schema version {max(done)}, newer than this "
                f"Chokepoint knows ({self.schema_version}); upgrade Chokepoint before using it")
        for m in self.MIGRATIONS:
            if m.version in done:
                continue
            for stmt in m.statements:
                con.execute(stmt)
            con.execute("INSERT INTO schema_migrations VALUES (%(v)s, %(n)s, %(at)s)",
                        {"v": m.version, "n": m.name, "at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)})

    def migrations(self) -> list[tuple[int, str]]:
        """(version, name) of the migrations this workspace has, oldest first."""
        with self._session() as con:
            return [(int(v), n) for v, n in con.execute("SELECT version, name FROM schema_migrations ORDER BY version")]

    @staticmethod
    def _info(con: Conn, tenant: str, snapshot_id: str) -> SnapshotInfo:
        if not isinstance(snapshot_id, str) or not _ID_RE.fullmatch(snapshot_id):
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} not found")
        rows = con.execute(f"SELECT {_INFO_COLS} FROM snapshots WHERE tenant = %(t)s AND snapshot_id = %(id)s",
                           {"t": tenant, "id": snapshot_id})
        if not rows:
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} not found")
        return _to_info(rows[0])

    # -- operations
    def save(self, tenant: str, name: str, result: ParseResult, raw: bytes) -> SnapshotInfo:
        """Store an accepted upload as a new snapshot: one transaction, rolled back on any error."""
        check_tenant(tenant)
        name = clean_name(name)
        if not result.ok:
            raise WorkspaceError("a file with errors cannot be saved")
        lines = stockpile_csv.coerce_lines(result.lines)
        lines.insert(0, "line_no", range(1, len(lines) + 1))
        info = SnapshotInfo(
            snapshot_id=secrets.token_hex(8), tenant=tenant, name=name,
            created_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
            sha256=hashlib.sha256(raw).hexdigest(), rows=len(lines),
            filename=safe_label(result.filename),
            encoding=result.dialect.encoding, delimiter=result.dialect.delimiter)
        record = {"snapshot_id": info.snapshot_id, "tenant": tenant, "name": name,
                  "created_at": info.created_at.replace(tzinfo=None), "sha256": info.sha256, "rows": info.rows,
                  "filename": info.filename, "encoding": info.encoding, "delimiter": info.delimiter,
                  "decimal_sep": result.dialect.decimal, "thousands_sep": "".join(result.dialect.thousands),
                  "raw": raw}
        with self._transaction() as con:
            self._insert_snapshot(con, record)
            self._insert_lines(con, info.snapshot_id, tenant, lines)
        return info

    @staticmethod
    def _insert_snapshot(con: Conn, record: Mapping[str, Any]) -> None:
        cols = ", ".join(SNAPSHOT_COLUMNS)
        vals = ", ".join(f"%({c})s" for c in SNAPSHOT_COLUMNS)
        con.execute(f"INSERT INTO snapshots ({cols}) VALUES ({vals})", dict(record))

    def list(self, tenant: str) -> list[SnapshotInfo]:
        """This tenant's snapshots, newest first."""
        check_tenant(tenant)
        with self._session() as con:
            rows = con.execute(f"SELECT {_INFO_COLS} FROM snapshots WHERE tenant = %(t)s "
                               "ORDER BY created_at DESC, snapshot_id", {"t": tenant})
        return [_to_info(r) for r in rows]

    def open(self, tenant: str, snapshot_id: str) -> Snapshot:
        """A snapshot's info, lines and holdings (SnapshotNotFound for another tenant's id)."""
        check_tenant(tenant)
        with self._session() as con:
            info = self._info(con, tenant, snapshot_id)
            lines = con.frame(f"SELECT {', '.join(LINE_COLUMNS)} FROM snapshot_lines "
                              "WHERE tenant = %(t)s AND snapshot_id = %(id)s ORDER BY line_no",
                              {"t": tenant, "id": snapshot_id}, list(LINE_COLUMNS))
        lines = stockpile_csv.coerce_lines(lines)
        return Snapshot(info, lines, stockpile_csv.holdings_from_lines(lines))

    def raw(self, tenant: str, snapshot_id: str) -> bytes:
        """The original uploaded bytes (for download)."""
        check_tenant(tenant)
        with self._session() as con:
            self._info(con, tenant, snapshot_id)
            return bytes(con.execute("SELECT raw FROM snapshots WHERE tenant = %(t)s AND snapshot_id = %(id)s",
                                     {"t": tenant, "id": snapshot_id})[0][0])

    def rename(self, tenant: str, snapshot_id: str, new_name: str) -> SnapshotInfo:
        check_tenant(tenant)
        new_name = clean_name(new_name)
        with self._transaction() as con:
            self._info(con, tenant, snapshot_id)
            con.execute("UPDATE snapshots SET name = %(n)s WHERE tenant = %(t)s AND snapshot_id = %(id)s",
                        {"n": new_name, "t": tenant, "id": snapshot_id})
            return self._info(con, tenant, snapshot_id)

    def delete(self, tenant: str, snapshot_id: str) -> None:
        check_tenant(tenant)
        with self._transaction() as con:
            self._info(con, tenant, snapshot_id)
            params = {"t": tenant, "id": snapshot_id}
            con.execute("DELETE FROM snapshot_lines WHERE tenant = %(t)s AND snapshot_id = %(id)s", params)
            con.execute("DELETE FROM snapshots WHERE tenant = %(t)s AND snapshot_id = %(id)s", params)

    def compare(self, tenant: str, id_a: str, id_b: str, *, per_site: bool = True) -> pd.DataFrame:
        """Stock and use change from snapshot a to b, per (site, material) or per material.

        Columns: [site,] material_id, on_hand_t_a, on_hand_t_b, on_hand_change_t,
        monthly_use_t_a, monthly_use_t_b, monthly_use_change_t, status (added, removed,
        changed, unchanged). A holding present in one snapshot only counts as 0 t in the other
        for the change columns (its own column stays empty).
        """
        a = self.open(tenant, id_a).holdings
        b = self.open(tenant, id_b).holdings
        keys = ["site", "material_id"] if per_site else ["material_id"]
        cols = ["on_hand_t", "monthly_use_t"]
        if not per_site:
            a = a.groupby(keys, sort=False)[cols].sum().reset_index()
            b = b.groupby(keys, sort=False)[cols].sum().reset_index()
        m = a[keys + cols].merge(b[keys + cols], on=keys, how="outer", suffixes=("_a", "_b"),
                                 indicator=True, sort=False)
        for c in cols:
            m[f"{c.removesuffix('_t')}_change_t"] = m[f"{c}_b"].fillna(0.0) - m[f"{c}_a"].fillna(0.0)
        same = (m["on_hand_change_t"] == 0) & (m["monthly_use_change_t"] == 0)
        m["status"] = "changed"
        m.loc[same, "status"] = "unchanged"
        m.loc[m["_merge"] == "left_only", "status"] = "removed"
        m.loc[m["_merge"] == "right_only", "status"] = "added"
        m["status"] = m["status"].astype("str")
        out = m[keys + ["on_hand_t_a", "on_hand_t_b", "on_hand_change_t",
                        "monthly_use_t_a", "monthly_use_t_b", "monthly_use_change_t", "status"]]
        return out.sort_values(keys, kind="stable").reset_index(drop=True)

    # -- export / import (chokepoint.workspace.transfer builds on these)
    def dump(self, tenant: str, snapshot_id: str) -> tuple[dict[str, Any], builtins.list[tuple]]:
        """Every stored column of a snapshot and its lines (STORED_LINE_COLUMNS order, by line_no)."""
        check_tenant(tenant)
        with self._session() as con:
            self._info(con, tenant, snapshot_id)
            row = con.execute(f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM snapshots "
                              "WHERE tenant = %(t)s AND snapshot_id = %(id)s", {"t": tenant, "id": snapshot_id})[0]
            lines = con.execute(f"SELECT {', '.join(STORED_LINE_COLUMNS)} FROM snapshot_lines "
                                "WHERE tenant = %(t)s AND snapshot_id = %(id)s ORDER BY line_no",
                                {"t": tenant, "id": snapshot_id})
        record = dict(zip(SNAPSHOT_COLUMNS, row, strict=True))
        record["raw"] = bytes(record["raw"])
        return record, [tuple(r) for r in lines]

    def restore(self, record: Mapping[str, Any], lines: builtins.list[tuple]) -> None:
        """Insert an exported snapshot as it was (same id, name, time, bytes and lines): one transaction.

        A snapshot id that this tenant already has raises WorkspaceError; nothing is written.
        """
        check_tenant(record["tenant"])
        clean_name(record["name"])
        frame = pd.DataFrame(lines, columns=list(STORED_LINE_COLUMNS))
        with self._transaction() as con:
            if con.execute("SELECT 1 FROM snapshots WHERE tenant = %(t)s AND snapshot_id = %(id)s",
                           {"t": record["tenant"], "id": record["snapshot_id"]}):
                raise WorkspaceError(f"snapshot {record['snapshot_id']} already exists in {self.describe()}")
            self._insert_snapshot(con, record)
            self._insert_lines(con, record["snapshot_id"], record["tenant"], frame)
