"""Where ingested datasets live and how they are written safely: the data home, staging folders
swapped in atomically under a lock, recovery of an interrupted swap, fsync, checksums and the
provenance files of a dataset folder.

A dataset folder ``<home>/<name>/`` holds::

    trade_flows/year=YYYY/*.parquet   bilateral flows (same columns as data/trade_flows.parquet,
                                      Comtrade adds a nullable ``flow_basis``)
    trade_series.parquet              world totals, China's export share, exporter HHI (year x hs6)
    top_traders.parquet               top-8 exporters and importers by value (year x hs6)
    dataset.yml                       release provenance: files, sha256, rows, unmapped codes
    datasets.yml                      table provenance in the built-in format (data/datasets.yml)

It is written to ``<home>/.tmp-<name>-<random>/`` and swapped in only when complete, so a failure
never touches the previous copy; folders starting with '.' are ignored by the query layer. A
``.tmp-`` folder left by a killed ingest is removed by the next ingest (guard.clean_stale).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import tables as _tables

ENV_HOME = "CHOKEPOINT_DATA_HOME"
_BLOCK = 1 << 22  # 4 MiB copy / hash blocks


# ------------------------------------------------------------------------------ data home
def data_home(override: str | Path | None = None) -> Path:
    """Where ingested datasets live: ``override``, else $CHOKEPOINT_DATA_HOME, else the user data dir."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs
    return (Path(platformdirs.user_data_dir("chokepoint")) / "datasets").resolve()




# ------------------------------------------------------------------------------ hashing
@dataclass
class FileDigest:
    sha256: str = ""
    bytes: int = 0
    lines: int = 0          # newline-terminated lines, plus one for an unterminated last line


def digest_stream(src, dst=None) -> FileDigest:
    """sha256, size and line count of a binary stream, copying it to ``dst`` when given."""
    h, n, lines, last = hashlib.sha256(), 0, 0, b"\n"
    for block in iter(lambda: src.read(_BLOCK), b""):
        h.update(block)
        n += len(block)
        lines += block.count(b"\n")
        last = block[-1:]
        if dst is not None:
            dst.write(block)
    if n and last != b"\n":
        lines += 1
    return FileDigest(h.hexdigest(), n, lines)


def digest_file(path: Path) -> FileDigest:
    with open(path, "rb") as f:
        return digest_stream(f)


class BackgroundDigest(threading.Thread):
    """Hash a file in a thread (hashlib releases the GIL) while DuckDB scans it."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.result: FileDigest | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = digest_file(self.path)
        except BaseException as e:  # noqa: BLE001 - re-raised by get()
            self.error = e

    def get(self) -> FileDigest:
        self.join()
        if self.error:
            raise self.error
        assert self.result is not None, "run() sets result or error"
        return self.result


# ------------------------------------------------------------------------------ staging
def recover(home: Path) -> list[str]:
    """Undo a swap interrupted between its two renames; returns what it did.

    ``commit`` moves the live folder to ``.old-<name>-<rand>`` and then the new one into place. A
    kill between the two leaves only the old copy, which is complete (it was live). Here, for a name
    with no live folder, the newest ``.old-`` copy goes back; ``.old-`` copies beside a live folder
    are leftovers of a finished swap and are removed. ``.tmp-`` folders may belong to a running
    ingest and are left alone (readers never list them).
    """
    done: list[str] = []
    if not home.is_dir():
        return done
    with _swap_lock(home, wait=False) as held:
        if held:  # else a swap is under way right now: nothing to recover
            _recover_locked(home, done)
    return done


@contextlib.contextmanager
def _swap_lock(home: Path, *, wait: bool):
    """An exclusive flock on the data home folder itself around a swap's two renames (and around
    recovery, so a reader never 'restores' a folder that a live swap has just moved aside)."""
    fd = os.open(home, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _recover_locked(home: Path, done: list[str]) -> None:
    olds: dict[str, list[Path]] = {}
    for p in home.iterdir():
        m = re.fullmatch(r"\.old-(.+)-[0-9a-f]{8}", p.name)
        if m and p.is_dir():
            olds.setdefault(m.group(1), []).append(p)
    for name, copies in olds.items():
        copies.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        live = home / name
        if not live.exists():
            try:
                os.replace(copies[0], live)
                done.append(f"restored {name} from {copies[0].name}")
                copies = copies[1:]
            except OSError:
                continue
        for c in copies:
            shutil.rmtree(c, ignore_errors=True)
            done.append(f"removed leftover {c.name}")


class Staging:
    """A temporary dataset folder swapped in atomically by ``commit`` (see module doc)."""

    def __init__(self, home: Path, name: str):
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
            raise ValueError(f"bad dataset name {name!r}")
        self.home, self.name = home, name
        home.mkdir(parents=True, exist_ok=True)
        recover(home)
        from .guard import clean_stale, hold
        with _swap_lock(home, wait=True):  # killed ingests' folders go; ours is held from birth
            self.removed = clean_stale(home)
            self.path = home / f".tmp-{name}-{secrets.token_hex(4)}"
            self.path.mkdir()
            self._hold: int | None = hold(self.path)
        self.scratch = self.path / ".src"  # extracted zip members; removed before commit
        self.scratch.mkdir()

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        from .guard import release_hold
        release_hold(self._hold)
        self._hold = None

    def commit(self) -> Path:
        shutil.rmtree(self.scratch, ignore_errors=True)
        _fsync_tree(self.path)
        final = self.home / self.name
        old = None
        with _swap_lock(self.home, wait=True):
            if final.exists():
                old = self.home / f".old-{self.name}-{secrets.token_hex(4)}"
                os.replace(final, old)
            try:
                os.replace(self.path, final)
            except BaseException:
                if old is not None:
                    os.replace(old, final)
                raise
            _fsync_dir(self.home)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return final


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(dirpath))


# ------------------------------------------------------------------------------ provenance
def parts_digest(folder: Path) -> tuple[str, list[str]]:
    """sha256 over the sorted (relative path, sha256) of a partitioned table's files."""
    h = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*.parquet"))
    for p in files:
        h.update(f"{p.relative_to(folder).as_posix()} {digest_file(p).sha256}\n".encode())
    return h.hexdigest(), [p.relative_to(folder).as_posix() for p in files]


def write_provenance(folder: Path, release: dict, tables: dict[str, dict]) -> None:
    """dataset.yml (release provenance) and datasets.yml (table provenance, built-in format)."""
    (folder / "dataset.yml").write_text(
        "# Provenance of an ingested dataset (written by `python -m chokepoint ingest`).\n"
        + yaml.safe_dump(release, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    (folder / "datasets.yml").write_text(
        "# Table provenance of an ingested dataset, in the format of data/datasets.yml.\n"
        "# Tables not listed here come from the built-in data/ folder.\n"
        + yaml.safe_dump({"tables": tables}, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def table_entry(folder: Path, table: str, release: dict, rows: int, caveats: Iterable[str] = (),
                extra_columns: Iterable[str] = ()) -> dict:
    """A table's datasets.yml entry: its declaration in tables.yml (key, column docs; the
    ``extra_columns`` of its optional columns that this copy has) with the release's provenance."""
    t = _tables.table(table)
    path = folder / table
    if path.is_dir():
        sha, _ = parts_digest(path)
        fname = f"{table}/"
    else:
        path = folder / f"{table}.parquet"
        sha, fname = digest_file(path).sha256, path.name
    columns = t.column_docs()
    columns.update({c: t.optional_columns[c].doc() for c in extra_columns})
    return {
        "file": fname, "title": release["title"] + (f" — {table}" if table != "trade_flows" else ""),
        "producer": release["producer"], "url": release["url"], "accessed": release["created"][:10],
        "licence": release["licence"], "sources": [f["name"] for f in release["files"]], "key": list(t.key),
        "caveats": list(caveats), "sha256": sha, "rows": int(rows), "columns": columns,
    }
