"""The tables of the dataset, declared once (data/sources/tables.yml), dbt style.

Each table has one definition: provenance (title, producer, url, licence, source files), key,
caveats and its columns (DuckDB type, unit, description, contract checks). Its build query is
``queries/build/<table>.sql``. Everything else is derived from this: the build and the contracts
(:mod:`chokepoint.dataset`), data/datasets.yml, the column docs of ingested datasets
(:mod:`chokepoint.ingest`) and the *Data and methods* page.

:func:`load` validates the file and raises :class:`MetadataError` listing every problem (a column
doc that is not a mapping, a missing unit, an unknown type or check, ...), which
``python -m chokepoint data check`` reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import catalog

TABLES_YML = catalog.SOURCES / "tables.yml"
BUILD_SQL = catalog.ROOT / "queries" / "build"

#: DuckDB column types a table may declare.
TYPES = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "VARCHAR[]")
#: Contract checks a column may declare (see :func:`chokepoint.dataset.check`).
#: ``world_total`` (a quantity column beside country, year, material_id, stage and source): the
#: country rows of one year, material and stage come from one edition of their source and sum to
#: at most the WLD row (within WORLD_ROUNDING, as world totals are published rounded).
CHECKS = ("share", "nonneg", "iso3", "material", "selector", "world_total")
_TABLE_FIELDS = ("title", "producer", "url", "licence", "sources", "key", "caveats", "columns")
_COLUMN_FIELDS = ("type", "unit", "description", "checks")
#: What an ``origins`` entry (a source file copied from a public extract) must say.
ORIGIN_FIELDS = ("producer", "licence", "attribution", "repository", "path", "commit", "accessed", "sha256")
_ORIGIN_OPTIONAL = ("units",)


class MetadataError(ValueError):
    """tables.yml is malformed; ``problems`` lists every one as 'tables.yml: where: what'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    unit: str
    description: str
    checks: tuple[str, ...] = ()

    def doc(self) -> dict[str, str]:
        """The column's entry in a datasets.yml."""
        return {"type": self.type, "description": self.description, "unit": self.unit}


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    producer: str
    url: str
    licence: str
    sources: tuple[str, ...]
    key: tuple[str, ...]
    caveats: tuple[str, ...]
    columns: dict[str, Column]
    #: Columns an ingested copy may add (e.g. Comtrade's flow_basis); not in the built-in table.
    optional_columns: dict[str, Column]

    def column_docs(self, *, optional: bool = False) -> dict[str, dict[str, str]]:
        cols = dict(self.columns, **self.optional_columns) if optional else self.columns
        return {c: col.doc() for c, col in cols.items()}

    def columns_with(self, check: str) -> list[str]:
        return [c for c, col in self.columns.items() if check in col.checks]

    def build_sql(self, sql_dir: Path = BUILD_SQL) -> str:
        return (sql_dir / f"{self.name}.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Metadata:
    accessed: str
    files: dict[str, dict[str, str]]     # source file -> column -> DuckDB type
    tables: dict[str, Table]
    #: source file -> where it was taken from (ORIGIN_FIELDS), for files copied from an extract
    origins: dict[str, dict[str, str]] = field(default_factory=dict)

    def origins_of(self, t: Table) -> list[dict[str, str]]:
        """The origins of a table's source files, each with its ``file`` (datasets.yml, the page)."""
        return [{"file": f"sources/{s}", **self.origins[s]} for s in t.sources if s in self.origins]


def load(path: Path = TABLES_YML) -> Metadata:
    """Read and validate tables.yml; raises MetadataError naming every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise MetadataError([f"{path.name}: cannot be read ({e})"]) from e
    except yaml.YAMLError as e:
        raise MetadataError([f"{path.name}: not valid YAML ({' '.join(str(e).split())})"]) from e
    problems = validate(raw)
    if problems:
        raise MetadataError([f"{path.name}: {p}" for p in problems])
    return Metadata(str(raw["accessed"]), {f: dict(t) for f, t in raw["files"].items()},
                    {name: _table(name, t) for name, t in raw["tables"].items()},
                    {f: {k: str(v) for k, v in o.items()} for f, o in (raw.get("origins") or {}).items()})


def table(name: str, path: Path = TABLES_YML) -> Table:
    return load(path).tables[name]


def _column(name: str, d: dict[str, Any]) -> Column:
    return Column(name, d["type"], str(d["unit"]), str(d["description"]), tuple(d.get("checks", ())))


def _table(name: str, t: dict[str, Any]) -> Table:
    return Table(name, str(t["title"]), str(t["producer"]), str(t["url"]), str(t["licence"]),
                 tuple(t["sources"]), tuple(t["key"]), tuple(str(c) for c in t.get("caveats") or ()),
                 {c: _column(c, d) for c, d in t["columns"].items()},
                 {c: _column(c, d) for c, d in (t.get("optional_columns") or {}).items()})


# ------------------------------------------------------------------ validation
def validate(raw: Any) -> list[str]:
    """Every problem of a parsed tables.yml, as 'where: what' (empty when it is well formed)."""
    if not isinstance(raw, dict):
        return ["the file must be a mapping with accessed, files and tables"]
    problems = [f"{k}: missing" for k in ("accessed", "files", "tables") if not raw.get(k)]
    files = raw.get("files") or {}
    if not isinstance(files, dict):
        return problems + ["files: must map each source file to its column types"]
    for f, types in files.items():
        if not isinstance(types, dict) or not types:
            problems.append(f"files.{f}: must map each column to a DuckDB type")
            continue
        problems += [f"files.{f}.{c}: unknown type {t!r} (one of {', '.join(TYPES)})"
                     for c, t in types.items() if t not in TYPES]
    problems += _origin_problems(raw.get("origins"), files)
    tables = raw.get("tables") or {}
    if not isinstance(tables, dict):
        return problems + ["tables: must map each table name to its definition"]
    for name, t in tables.items():
        problems += _table_problems(name, t, files)
    return problems


def _origin_problems(origins: Any, files: dict) -> list[str]:
    if origins is None:
        return []
    if not isinstance(origins, dict):
        return ["origins: must map each source file to where it was taken from"]
    problems = []
    for f, o in origins.items():
        where = f"origins.{f}"
        if f not in files:
            problems.append(f"{where}: not declared under files")
        if not isinstance(o, dict):
            problems.append(f"{where}: must be a mapping of {', '.join(ORIGIN_FIELDS)}")
            continue
        problems += [f"{where}: no {k}" for k in ORIGIN_FIELDS if not str(o.get(k) or "").strip()]
        problems += [f"{where}: unknown field {k!r}" for k in o if k not in ORIGIN_FIELDS + _ORIGIN_OPTIONAL]
    return problems


def _table_problems(name: str, t: Any, files: dict) -> list[str]:
    where = f"tables.{name}"
    if not isinstance(t, dict):
        return [f"{where}: must be a mapping"]
    problems = [f"{where}: no {k}" for k in _TABLE_FIELDS if k != "caveats" and not t.get(k)]
    problems += [f"{where}: unknown field {k!r}" for k in t if k not in _TABLE_FIELDS + ("optional_columns",)]
    problems += [f"{where}.sources: {s!r} is not declared under files" for s in t.get("sources") or ()
                 if s not in files]
    if not isinstance(t.get("caveats") or [], list) or not all(isinstance(c, str) for c in t.get("caveats") or []):
        problems.append(f"{where}.caveats: must be a list of text")
    cols = t.get("columns") or {}
    if not isinstance(cols, dict):
        return problems + [f"{where}.columns: must map each column to its doc"]
    problems += [f"{where}.key: {k!r} is not a column" for k in t.get("key") or () if k not in cols]
    for section in ("columns", "optional_columns"):
        for c, d in (t.get(section) or {}).items():
            problems += _column_problems(f"{where}.{section}.{c}", d)
    return problems


def _column_problems(where: str, d: Any) -> list[str]:
    if not isinstance(d, dict):
        return [f"{where}: must be a mapping {{type, unit, description}}, got {d!r} "
                "(quote text that holds ':' or ',')"]
    problems = [f"{where}: unknown field {k!r}" for k in d if k not in _COLUMN_FIELDS]
    problems += [f"{where}: no {k}" for k in ("type", "unit", "description")
                 if not isinstance(d.get(k), str) or not d[k].strip()]
    if isinstance(d.get("type"), str) and d["type"] not in TYPES:
        problems.append(f"{where}: unknown type {d['type']!r} (one of {', '.join(TYPES)})")
    checks = d.get("checks", [])
    if not isinstance(checks, list):
        return problems + [f"{where}.checks: must be a list"]
    problems += [f"{where}: unknown check {c!r} (one of {', '.join(CHECKS)})" for c in checks if c not in CHECKS]
    return problems
