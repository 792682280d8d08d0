"""Export and import a tenant's snapshots between workspaces (DuckDB <-> PostgreSQL), with checksums.

File format (JSON Lines, UTF-8): a header line ::

    {"format": "chokepoint-workspace-export", "version": 1, "tenant": "...", "snapshots": N, ...}

then one line per snapshot, ``{"sha256": CHECKSUM, "snapshot": RECORD}``. RECORD holds every stored
column of the snapshot (``raw`` in base64, ``created_at`` as ISO UTC) and its lines as lists in
``STORED_LINE_COLUMNS`` order. CHECKSUM is the sha256 of RECORD's canonical serialisation: JSON
with sorted keys, no spaces, ASCII only, floats in Python's shortest round-trip form, NaN refused.
The same snapshot has the same checksum on either backend, so "export, import elsewhere, export
again" must give equal checksums (tests/test_workspace_transfer.py checks it).

Import verifies every checksum (and each raw file's sha256 and line count) before writing
anything, then restores each snapshot as it was — same id, name, time, bytes and lines — in one
transaction per snapshot. A snapshot id the target already has stops the import before any write,
unless ``skip_existing``: then identical snapshots (same checksum) are skipped, and a different
snapshot under the same id is still an error. An import cut short can be re-run with
``skip_existing`` to finish.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .base import STORED_LINE_COLUMNS, SnapshotNotFound, WorkspaceError, WorkspaceStore

FORMAT = "chokepoint-workspace-export"
VERSION = 1


@dataclass
class TransferReport:
    tenant: str
    snapshots: int = 0
    imported: int = 0
    skipped: int = 0
    checksums: dict[str, str] = field(default_factory=dict)


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            raise WorkspaceError("a stored quantity is infinite: cannot export it exactly")
        return v
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):     # numpy scalar
        return _jsonable(v.item())
    return v


def to_record(snap: dict[str, Any], lines: list[tuple]) -> dict[str, Any]:
    """A snapshot (from WorkspaceStore.dump) as a JSON-ready record."""
    rec = {k: _jsonable(v) for k, v in snap.items() if k not in ("raw", "created_at")}
    at = snap["created_at"]
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    rec["created_at"] = at.isoformat() + "Z"
    rec["rows"] = int(rec["rows"])
    rec["raw"] = base64.b64encode(bytes(snap["raw"])).decode("ascii")
    rec["lines"] = [[_jsonable(v) for v in line] for line in lines]
    return rec


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def checksum(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def from_record(rec: dict[str, Any]) -> tuple[dict[str, Any], list[tuple]]:
    """A record back to (snapshot columns, lines) for WorkspaceStore.restore."""
    snap = {k: v for k, v in rec.items() if k != "lines"}
    snap["raw"] = base64.b64decode(rec["raw"], validate=True)
    snap["created_at"] = dt.datetime.fromisoformat(rec["created_at"].removesuffix("Z"))
    return snap, [tuple(line) for line in rec["lines"]]


def export_tenant(ws: WorkspaceStore, tenant: str, out: TextIO) -> TransferReport:
    """Write every snapshot of ``tenant`` (oldest first) to ``out``; the report has their checksums."""
    infos = list(reversed(ws.list(tenant)))
    report = TransferReport(tenant, snapshots=len(infos))
    header = {"format": FORMAT, "version": VERSION, "tenant": tenant, "snapshots": len(infos),
              "source": ws.backend, "schema_version": ws.schema_version,
              "line_columns": list(STORED_LINE_COLUMNS)}
    out.write(json.dumps(header, sort_keys=True) + "\n")
    for info in infos:
        rec = to_record(*ws.dump(tenant, info.snapshot_id))
        digest = checksum(rec)
        report.checksums[info.snapshot_id] = digest
        out.write(json.dumps({"sha256": digest, "snapshot": rec}, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=True, allow_nan=False) + "\n")
    return report


def export_to_file(ws: WorkspaceStore, tenant: str, path: Path | str) -> TransferReport:
    """Export to a file, written under a temp name then renamed (never a half-written export)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            report = export_tenant(ws, tenant, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return report


def _read(lines: Iterator[str], where: str) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    try:
        header = json.loads(next(lines))
    except StopIteration:
        raise WorkspaceError(f"{where}: empty file, not a workspace export") from None
    except json.JSONDecodeError as e:
        raise WorkspaceError(f"{where} line 1: not a workspace export ({e.msg})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise WorkspaceError(f"{where} line 1: not a workspace export (no format {FORMAT!r})")
    if header.get("version") != VERSION:
        raise WorkspaceError(f"{where}: export format version {header.get('version')!r}, this Chokepoint reads {VERSION}")
    items = []
    for n, text in enumerate(lines, start=2):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
            digest, rec = item["sha256"], item["snapshot"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise WorkspaceError(f"{where} line {n}: not a snapshot record") from None
        if checksum(rec) != digest:
            raise WorkspaceError(f"{where} line {n}: checksum mismatch for snapshot {rec.get('snapshot_id')!r}: "
                                 "the file was changed or damaged; nothing imported")
        if rec.get("tenant") != header.get("tenant"):
            raise WorkspaceError(f"{where} line {n}: snapshot of another tenant than the header's; nothing imported")
        snap, body = from_record(rec)
        if hashlib.sha256(snap["raw"]).hexdigest() != snap["sha256"] or len(body) != snap["rows"]:
            raise WorkspaceError(f"{where} line {n}: snapshot {snap['snapshot_id']!r} is not whole; nothing imported")
        items.append((digest, rec))
    if len(items) != header.get("snapshots"):
        raise WorkspaceError(f"{where}: header says {header.get('snapshots')} snapshots, the file has {len(items)}; "
                             "nothing imported")
    return header, items


def import_file(ws: WorkspaceStore, path: Path | str, *, skip_existing: bool = False) -> TransferReport:
    """Import an export file into ``ws`` (see the module doc for checks and duplicates)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            header, items = _read(iter(f), str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise WorkspaceError(f"cannot read {path}: {e}") from None
    tenant = header["tenant"]
    report = TransferReport(tenant, snapshots=len(items))
    todo = []
    clashes = []
    for digest, rec in items:
        sid = rec["snapshot_id"]
        report.checksums[sid] = digest
        try:
            existing = checksum(to_record(*ws.dump(tenant, sid)))
        except SnapshotNotFound:
            todo.append(rec)
            continue
        if existing != digest:
            raise WorkspaceError(f"snapshot {sid} already exists in {ws.describe()} with different content; "
                                 "nothing imported")
        clashes.append(sid)
    if clashes and not skip_existing:
        raise WorkspaceError(f"{len(clashes)} of {len(items)} snapshots already exist in {ws.describe()} "
                             f"(first: {clashes[0]}); nothing imported. Re-run with --skip-existing to import "
                             "only the missing ones")
    report.skipped = len(clashes)
    for rec in todo:
        ws.restore(*from_record(rec))
        report.imported += 1
    return report
