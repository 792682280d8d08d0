"""Real trade data: CEPII BACI releases and UN Comtrade downloads -> dataset folders.

* ``ingest_baci(path)`` / ``ingest_comtrade(paths)`` write ``<home>/<name>/`` atomically
  (see ``common`` for the folder layout); ``python -m chokepoint ingest baci|comtrade ...``.
* ``ingest_monthly(paths)`` writes a monthly customs dataset (``observed_monthly`` only) the same way;
  ``python -m chokepoint ingest monthly ...``.
* ``list_datasets(home)`` lists the built-in dataset and every ingested one, for the sidebar.
* ``resolve_dataset(name, home)`` turns a dataset name (or folder) into the folder to hand to
  ``db.base_connection`` / ``db.run_query(..., data_dir=...)``.
* ``load_provenance(folder)`` is the table provenance of a dataset, built-in tables included.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import dataset as _builtin
from .common import IngestError, IngestResult
from .storage import data_home, recover

BUILTIN = "built-in"

__all__ = ["DatasetInfo", "IngestError", "IngestResult", "BUILTIN", "data_home", "list_datasets",
           "resolve_dataset", "load_provenance", "ingest_baci", "ingest_comtrade", "ingest_monthly"]


@dataclass(frozen=True)
class DatasetInfo:
    name: str          # "built-in", "baci-hs92-v202601", "comtrade-1a2b3c4d"
    kind: str          # "built-in" | "baci" | "comtrade" | "monthly"
    release: str       # e.g. "V202601"; for Comtrade the years and file count
    rows: int          # trade_flows rows
    path: Path         # the folder to pass as data_dir
    title: str = ""
    created: str = ""  # ISO timestamp of the ingest ("" for the built-in data)

    @property
    def label(self) -> str:
        """One line for a select box."""
        if self.kind == BUILTIN:
            return f"Built-in extract ({self.release}, {self.rows:,} flows)"
        what = "monthly rows" if self.kind == "monthly" else "flows"
        return f"{self.name} ({self.rows:,} {what}, {self.created[:10]})"


def _builtin_info() -> DatasetInfo:
    try:
        tf = _builtin.load_provenance(_builtin.DATA)["trade_flows"]
        rows, producer = int(tf.get("rows", 0)), str(tf.get("producer", ""))
        title = str(tf.get("title", ""))
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        rows, producer, title = 0, "", ""
    release = producer[producer.find("(") + 1:producer.rfind(")")] if "(" in producer else "built-in"
    return DatasetInfo(BUILTIN, BUILTIN, release, rows, _builtin.DATA.resolve(), title, "")


def list_datasets(home: str | Path | None = None) -> list[DatasetInfo]:
    """The built-in dataset first, then each complete ingested dataset in ``home`` by name.

    ``home`` defaults to $CHOKEPOINT_DATA_HOME or the user data folder. Folders being written
    (``.tmp-*``) or unreadable are skipped.
    """
    out = [_builtin_info()]
    root = data_home(home)
    if not root.is_dir():
        return out
    recover(root)  # a swap killed between its two renames must not hide a dataset
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        meta_file = folder / "dataset.yml"
        if not meta_file.is_file() or not ((folder / "trade_flows").is_dir()
                                           or (folder / "observed_monthly.parquet").is_file()):
            continue
        try:
            meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        out.append(DatasetInfo(
            name=str(meta.get("name", folder.name)), kind=str(meta.get("kind", "?")),
            release=str(meta.get("release", "")), rows=int(meta.get("rows_kept", 0) or 0),
            path=folder.resolve(), title=str(meta.get("title", "")), created=str(meta.get("created", ""))))
    return out


def resolve_dataset(name: str | Path | None, home: str | Path | None = None) -> Path:
    """Folder of a dataset given its name (``built-in`` / None -> data/), or a folder path."""
    if name is None or str(name) in ("", BUILTIN):
        return _builtin.DATA.resolve()
    for info in list_datasets(home):
        if info.name == str(name):
            return info.path
    p = Path(name).expanduser()
    if p.is_dir() and ((p / "dataset.yml").is_file() or (p / "datasets.yml").is_file()):
        return p.resolve()
    names = ", ".join(i.name for i in list_datasets(home))
    raise IngestError(str(name), None, f"no such dataset (available: {names})")


def load_provenance(folder: str | Path) -> dict[str, dict]:
    """Table provenance of a dataset folder: its own tables over the built-in ones it falls back to."""
    folder = Path(folder).resolve()
    prov = dict(_builtin.load_provenance(_builtin.DATA))
    if folder != _builtin.DATA.resolve():
        own = yaml.safe_load((folder / "datasets.yml").read_text(encoding="utf-8"))["tables"]
        prov.update(own)
    return prov


def ingest_baci(*args, **kwargs) -> IngestResult:
    from .baci import ingest_baci as run
    return run(*args, **kwargs)


def ingest_comtrade(*args, **kwargs) -> IngestResult:
    from .comtrade import ingest_comtrade as run
    return run(*args, **kwargs)


def ingest_monthly(*args, **kwargs) -> IngestResult:
    from .monthly import ingest_monthly as run
    return run(*args, **kwargs)
