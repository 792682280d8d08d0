"""Datasets across hosts: install a copy of an ingested dataset folder into this host's data home.

Ingested dataset folders are immutable once live (a re-ingest writes a new folder and swaps it in),
so replicas on several hosts share a dataset by copying the whole folder — never by writing into a
live one. ``sync_dataset(src, home)``:

1. computes the source's tree digest (sha256 over every file's relative path and sha256);
2. copies the whole folder into a staging folder of the target home (``.tmp-<name>-<rand>``, which
   readers never list) — the same :class:`~chokepoint.ingest.storage.Staging` an ingest uses;
3. re-computes the digest of the copy and refuses it if it differs (the source changed or the copy
   was damaged: nothing is installed);
4. swaps it in with the ingest's atomic two-rename commit under the data home's lock.

A reader on the target host therefore sees the previous complete folder or the new complete
folder, never a half-copied one; a copy killed midway leaves only a ``.tmp-`` folder. The source
can be another host's data home mounted read-only, or a folder that ``rsync -a`` brought over
(``python -m chokepoint ingest sync PATH``).
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from .common import IngestError
from .storage import Staging, data_home, digest_file


def tree_digest(folder: Path, *, skip: tuple[str, ...] = (".src",)) -> str:
    """sha256 over the sorted (relative path, file sha256) of every file of a folder."""
    h = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part in skip for part in p.relative_to(folder).parts))
    for p in files:
        h.update(f"{p.relative_to(folder).as_posix()}\0{digest_file(p).sha256}\n".encode())
    return h.hexdigest()


def sync_dataset(src: str | Path, home: str | Path | None = None, *, name: str | None = None) -> Path:
    """Install a complete copy of dataset folder ``src`` into ``home`` (atomic; see module doc)."""
    src = Path(src).expanduser()
    if not (src / "dataset.yml").is_file() or not ((src / "trade_flows").is_dir()
                                                   or (src / "observed_monthly.parquet").is_file()):
        raise IngestError(str(src), None, "not a complete dataset folder (no dataset.yml, or neither trade_flows/ "
                                          "nor observed_monthly.parquet)")
    name = name or src.name
    root = data_home(home)
    if root.resolve() == src.resolve().parent:
        raise IngestError(str(src), None, "the source is already in this data home")
    want = tree_digest(src)
    with Staging(root, name) as st:
        shutil.copytree(src, st.path, dirs_exist_ok=True, symlinks=False)
        got = tree_digest(st.path)
        if got != want:
            raise IngestError(str(src), None, "the copy differs from the source (changed while copying?); "
                                              "nothing was installed")
        return st.commit()
