"""Saved company uploads: named snapshots per tenant, in an embedded file or on a PostgreSQL server.

A snapshot is one accepted upload: id, tenant, name (a label), created_at (UTC), the sha256 and
bytes of the original file, its row count and dialect, and its supply lines (holdings are derived
from the lines with :func:`chokepoint.stockpile_csv.holdings_from_lines`).

Backends, one interface (:class:`~chokepoint.workspace.base.WorkspaceStore`):

* **embedded** (default, no set-up): a DuckDB file — ``CHOKEPOINT_WORKSPACE`` or the per-user data
  dir (:mod:`chokepoint.workspace.duckdb_backend`). One host.
* **server**: ``CHOKEPOINT_WORKSPACE_URL=postgresql://...`` (:mod:`chokepoint.workspace.postgres`).
  Replicas on several hosts share it.

Both: a save is one transaction (all or nothing); every statement filters by tenant with bound
parameters, and a snapshot of another tenant is "not found", exactly like one that does not exist;
names (1–80 characters after trimming, no control or bidi characters) are labels stored as data,
never paths or SQL; the schema is versioned by ``schema_migrations``. The tenant comes from
:func:`tenant_for`, never from user input. Moving between backends: :mod:`.transfer`
(``python -m chokepoint workspace export|import``).

How ``chokepoint/ui`` gets the tenant (this package stays Streamlit-free)::

    def current_tenant() -> str:
        if not login_configured():            # no [auth] section in .streamlit/secrets.toml
            return workspace.tenant_for(None, login_configured=False)      # "local"
        if not st.user.is_logged_in:
            st.login(); st.stop()             # never fall back to "local" when login is on
        return workspace.tenant_for(st.user.to_dict(), login_configured=True)
"""
from __future__ import annotations

import os
from pathlib import Path

from .base import (
    LOCAL_TENANT,
    NAME_MAX,
    NotSignedIn,
    Snapshot,
    SnapshotInfo,
    SnapshotNotFound,
    WorkspaceBusy,
    WorkspaceError,
    WorkspaceStore,
    WorkspaceUnavailable,
    clean_name,
    tenant_for,
)
from .duckdb_backend import ENV_VAR, Workspace
from .postgres import URL_ENV, PostgresWorkspace

#: Seconds the embedded backend retries a locked file before WorkspaceBusy (read at call time).
_BUSY_RETRY_S = 3.0
SCHEMA_VERSION = max(m.version for m in Workspace.MIGRATIONS)

__all__ = ["ENV_VAR", "LOCAL_TENANT", "NAME_MAX", "SCHEMA_VERSION", "URL_ENV", "NotSignedIn", "PostgresWorkspace",
           "Snapshot", "SnapshotInfo", "SnapshotNotFound", "Workspace", "WorkspaceBusy", "WorkspaceError",
           "WorkspaceStore", "WorkspaceUnavailable", "clean_name", "default_target", "open_workspace", "tenant_for"]


def default_target() -> str:
    """The configured workspace: ``CHOKEPOINT_WORKSPACE_URL`` if set, else the DuckDB file's path."""
    url = os.environ.get(URL_ENV, "").strip()
    return url or str(Workspace.default_path())


def open_workspace(target: str | Path | None = None) -> WorkspaceStore:
    """A workspace for a target: a ``postgresql://`` URL, or a DuckDB file path (default: configured).

    Never raises for a bad target: a malformed URL or an unreachable server makes every operation
    raise :class:`WorkspaceUnavailable` with one line, so pages can go on read-only."""
    target = default_target() if target is None else str(target)
    if "://" in target:                        # a server URL (a wrong scheme is reported on first use)
        size = os.environ.get("CHOKEPOINT_WORKSPACE_POOL", "").strip()
        return PostgresWorkspace(target, pool_size=int(size) if size.isdigit() and int(size) > 0 else 4)
    return Workspace(target)
