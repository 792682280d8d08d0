"""Saved company uploads: named snapshots in a DuckDB file outside the repo, per tenant.

A snapshot is one accepted upload: id, tenant, name (a label), created_at (UTC), the sha256 and
bytes of the original file, its row count and dialect, and its supply lines (holdings are derived
from the lines with :func:`chokepoint.stockpile_csv.holdings_from_lines`).

* **Where**: ``CHOKEPOINT_WORKSPACE`` if set, else ``platformdirs.user_data_dir("chokepoint")/
  workspace.duckdb`` (directory created with mode 0700).
* **Atomic**: a save is one DuckDB transaction (snapshot row + every line); any exception rolls it
  back, and a killed process never commits, so only whole snapshots are ever visible.
* **Shared**: every operation opens the file, does its work and closes it, so app sessions and
  processes (app + CLI) can share one file. If another process holds DuckDB's file lock, the
  operation retries briefly and then raises :class:`WorkspaceBusy`; it never writes around it.
* **Tenants**: every method takes ``tenant`` and filters by it in SQL with bound parameters; a
  snapshot of another tenant is "not found", exactly like one that does not exist. The tenant
  comes from :func:`tenant_for`, never from user input.
* **Names** are labels stored as data (1–80 characters after trimming, no control or bidi
  characters); they are never used as paths or SQL.

How ``chokepoint/ui`` gets the tenant (this module stays Streamlit-free)::

    def current_tenant() -> str:
        if not login_configured():            # no [auth] section in .streamlit/secrets.toml
            return workspace.tenant_for(None, login_configured=False)      # "local"
        if not st.user.is_logged_in:
            st.login(); st.stop()             # never fall back to "local" when login is on
        return workspace.tenant_for(st.user.to_dict(), login_configured=True)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from chokepoint import stockpile_csv
from chokepoint.stockpile_csv import LINE_COLUMNS, ParseResult

ENV_VAR = "CHOKEPOINT_WORKSPACE"
LOCAL_TENANT = "local"
NAME_MAX = 80
SCHEMA_VERSION = 1
_TENANT_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_BUSY_RETRY_S = 3.0
#: One operation at a time per process (app sessions are threads); other processes are kept out
#: by DuckDB's file lock. Schema creation runs once per file per process.
_LOCK = threading.RLock()
_READY: set[str] = set()
_CONFIG = {"enable_external_access": False, "autoload_known_extensions": False,
           "autoinstall_known_extensions": False}

_SCHEMA = [
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
]


class WorkspaceError(Exception):
    """A workspace operation failed; the message is meant for the user."""


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace file's write lock."""


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


# ------------------------------------------------------------------ tenants
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


def _check_tenant(tenant: str) -> str:
    if not isinstance(tenant, str) or not _TENANT_RE.match(tenant):
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


# ------------------------------------------------------------------ the store
class Workspace:
    """Snapshots in one DuckDB file; every method opens a short-lived connection."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @staticmethod
    def default_path() -> Path:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return Path(env).expanduser()
        import platformdirs
        return Path(platformdirs.user_data_dir("chokepoint")) / "workspace.duckdb"

    @classmethod
    def default(cls) -> Workspace:
        return cls(cls.default_path())

    # -- connection
    @contextmanager
    def _session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection, holding the process lock for the whole operation.

        DuckDB shares one database instance between the connections of a process; opening and
        closing them from several threads at once is not safe, so operations of one process run
        one at a time (they take milliseconds). Other processes are kept out by DuckDB's file lock.
        """
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            deadline = time.monotonic() + _BUSY_RETRY_S
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
                    for stmt in _SCHEMA:
                        con.execute(stmt)
                    con.execute("INSERT INTO meta VALUES ('schema_version', $v) ON CONFLICT DO NOTHING",
                                {"v": str(SCHEMA_VERSION)})
                    _READY.add(key)
                yield con
            finally:
                con.close()

    @staticmethod
    def _info(con: duckdb.DuckDBPyConnection, tenant: str, snapshot_id: str) -> SnapshotInfo:
        if not isinstance(snapshot_id, str) or not _ID_RE.fullmatch(snapshot_id):
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} not found")
        row = con.execute(f"SELECT {_INFO_COLS} FROM snapshots WHERE tenant = $t AND snapshot_id = $id",
                          {"t": tenant, "id": snapshot_id}).fetchone()
        if row is None:
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} not found")
        return _to_info(row)

    # -- operations
    def save(self, tenant: str, name: str, result: ParseResult, raw: bytes) -> SnapshotInfo:
        """Store an accepted upload as a new snapshot: one transaction, rolled back on any error."""
        _check_tenant(tenant)
        name = clean_name(name)
        if not result.ok:
            raise WorkspaceError("a file with errors cannot be saved")
        lines = stockpile_csv.coerce_lines(result.lines)
        lines.insert(0, "line_no", range(1, len(lines) + 1))
        info = SnapshotInfo(
            snapshot_id=secrets.token_hex(8), tenant=tenant, name=name,
            created_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
            sha256=hashlib.sha256(raw).hexdigest(), rows=len(lines),
            filename=_safe_label(result.filename),
            encoding=result.dialect.encoding, delimiter=result.dialect.delimiter)
        with self._session() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    "INSERT INTO snapshots VALUES ($id, $t, $name, $at, $sha, $rows, $fn, $enc, $delim, "
                    "$dec, $thou, $raw)",
                    {"id": info.snapshot_id, "t": tenant, "name": name,
                     "at": info.created_at.replace(tzinfo=None), "sha": info.sha256, "rows": info.rows,
                     "fn": info.filename, "enc": info.encoding, "delim": info.delimiter,
                     "dec": result.dialect.decimal, "thou": "".join(result.dialect.thousands),
                     "raw": raw})
                _insert_lines(con, info.snapshot_id, tenant, lines)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return info

    def list(self, tenant: str) -> list[SnapshotInfo]:
        """This tenant's snapshots, newest first."""
        _check_tenant(tenant)
        with self._session() as con:
            rows = con.execute(f"SELECT {_INFO_COLS} FROM snapshots WHERE tenant = $t "
                               "ORDER BY created_at DESC, snapshot_id", {"t": tenant}).fetchall()
        return [_to_info(r) for r in rows]

    def open(self, tenant: str, snapshot_id: str) -> Snapshot:
        """A snapshot's info, lines and holdings (SnapshotNotFound for another tenant's id)."""
        _check_tenant(tenant)
        with self._session() as con:
            info = self._info(con, tenant, snapshot_id)
            lines = con.execute(
                f"SELECT {', '.join(LINE_COLUMNS)} FROM snapshot_lines "
                "WHERE tenant = $t AND snapshot_id = $id ORDER BY line_no",
                {"t": tenant, "id": snapshot_id}).df()
        lines = stockpile_csv.coerce_lines(lines)
        return Snapshot(info, lines, stockpile_csv.holdings_from_lines(lines))

    def raw(self, tenant: str, snapshot_id: str) -> bytes:
        """The original uploaded bytes (for download)."""
        _check_tenant(tenant)
        with self._session() as con:
            self._info(con, tenant, snapshot_id)
            return bytes(con.execute("SELECT raw FROM snapshots WHERE tenant = $t AND snapshot_id = $id",
                                     {"t": tenant, "id": snapshot_id}).fetchone()[0])

    def rename(self, tenant: str, snapshot_id: str, new_name: str) -> SnapshotInfo:
        _check_tenant(tenant)
        new_name = clean_name(new_name)
        with self._session() as con:
            self._info(con, tenant, snapshot_id)
            con.execute("UPDATE snapshots SET name = $n WHERE tenant = $t AND snapshot_id = $id",
                        {"n": new_name, "t": tenant, "id": snapshot_id})
            return self._info(con, tenant, snapshot_id)

    def delete(self, tenant: str, snapshot_id: str) -> None:
        _check_tenant(tenant)
        with self._session() as con:
            self._info(con, tenant, snapshot_id)
            con.execute("BEGIN TRANSACTION")
            try:
                params = {"t": tenant, "id": snapshot_id}
                con.execute("DELETE FROM snapshot_lines WHERE tenant = $t AND snapshot_id = $id", params)
                con.execute("DELETE FROM snapshots WHERE tenant = $t AND snapshot_id = $id", params)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

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


_INFO_COLS = "snapshot_id, tenant, name, created_at, sha256, rows, filename, encoding, delimiter"


def _safe_label(text: str | None) -> str:
    """An uploaded file name as a display label: control characters dropped, at most 200 chars."""
    text = "".join(ch for ch in str(text or "") if unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))
    return text.strip()[:200] or "upload.csv"


def _to_info(row: tuple) -> SnapshotInfo:
    sid, tenant, name, at, sha, rows, fn, enc, delim = row
    return SnapshotInfo(sid, tenant, name, at.replace(tzinfo=dt.timezone.utc), sha, int(rows), fn, enc, delim)


def _insert_lines(con: duckdb.DuckDBPyConnection, snapshot_id: str, tenant: str, lines: pd.DataFrame) -> None:
    """Insert a snapshot's lines (inside the caller's transaction)."""
    con.register("_incoming_lines", lines)
    try:
        con.execute(
            "INSERT INTO snapshot_lines SELECT $id, $t, line_no, site, site_country, material_id, "
            "material_input, on_hand_t, monthly_use_t, supplier_country, supplier_share, source_row "
            "FROM _incoming_lines", {"id": snapshot_id, "t": tenant})
    finally:
        con.unregister("_incoming_lines")
