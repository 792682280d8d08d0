"""Build and check the built-in dataset: data/sources/*.csv -> data/*.parquet + data/datasets.yml.

``build`` reads the curated CSVs with DuckDB's CSV reader (the column types declared in
data/sources/tables.yml, no sniffing), runs each table's queries/build/<table>.sql (codes
normalised through the catalogue by ``iso()``; labelled estimates such as consumption from
imports) and writes one parquet per table with its provenance (see :mod:`chokepoint.tables`). ``check`` re-reads what is on disk
and validates the contracts; it returns every violation, not just the first.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import yaml

from . import catalog, tables
from .constants import WORLD

DATA = catalog.ROOT / "data"

def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _iso(code: str | None) -> str | None:
    return None if code is None else catalog.country_iso3(code)


def build(data_dir: Path = DATA) -> dict[str, int]:
    """Write data_dir/*.parquet and data_dir/datasets.yml from data_dir/sources. Returns rows per table.

    Each table is declared in data_dir/sources/tables.yml and built by queries/build/<table>.sql
    over one ``src_<file stem>`` view per declared source file."""
    sources = data_dir / "sources"
    meta = tables.load(sources / "tables.yml")
    con = duckdb.connect()
    con.create_function("iso", _iso, ["VARCHAR"], "VARCHAR")
    for fname, types in meta.files.items():
        rel = con.read_csv(str(sources / fname), header=True, columns=types, encoding="utf-8",
                           delimiter=",", quotechar='"')
        con.register(f"src_{Path(fname).stem}", rel)
    provenance: dict[str, dict] = {}
    counts: dict[str, int] = {}
    for name, t in meta.tables.items():
        arrow = con.sql(t.build_sql()).to_arrow_table()
        _check_schema(t, con.sql(t.build_sql()).types, arrow.column_names)
        out = data_dir / f"{name}.parquet"
        tmp = out.with_suffix(".parquet.tmp")
        pq.write_table(arrow, tmp, compression="zstd")
        tmp.replace(out)
        provenance[name] = _provenance(t, meta.accessed, out, arrow.num_rows, meta.origins_of(t))
        counts[name] = arrow.num_rows
    header = ("# Provenance of the built-in dataset. Written by `python -m chokepoint data build`;\n"
              "# edit data/sources/tables.yml instead.\n")
    (data_dir / "datasets.yml").write_text(
        header + yaml.safe_dump({"tables": provenance},
                                sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return counts


def _check_schema(t: tables.Table, types: list, names: list[str]) -> None:
    """The build query must give exactly the declared columns, in order, with the declared types."""
    declared = [(c, col.type) for c, col in t.columns.items()]
    built = [(n, str(ty)) for n, ty in zip(names, types)]
    if built != declared:
        raise ValueError(f"queries/build/{t.name}.sql gives {built}; tables.yml declares {declared}")


def _provenance(t: tables.Table, accessed: str, out: Path, rows: int,
                origins: list[dict[str, str]] | None = None) -> dict:
    """The table's datasets.yml entry: its declaration plus the file's checksum and rows, and the
    origins of source files copied from a public extract (repository, path, commit, licence)."""
    entry = {
        "file": out.name, "title": t.title, "producer": t.producer, "url": t.url,
        "accessed": accessed, "licence": t.licence, "sources": [f"sources/{s}" for s in t.sources],
        "key": list(t.key), "caveats": list(t.caveats), "sha256": sha256(out) if out.exists() else "",
        "rows": rows, "columns": t.column_docs(),
    }
    if origins:
        entry["origins"] = origins
    return entry


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when PyYAML has it: ~20x faster


def load_provenance(data_dir: Path = DATA) -> dict[str, dict]:
    """The provenance of every table (datasets.yml), parsed once per version of the file."""
    path = data_dir / "datasets.yml"
    st = path.stat()
    return copy.deepcopy(_parsed_provenance(str(path.resolve()), st.st_mtime_ns, st.st_size))  # callers may edit theirs


@functools.lru_cache(maxsize=16)
def _parsed_provenance(path: str, mtime_ns: int, size: int) -> dict[str, dict]:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_SafeLoader)["tables"]  # noqa: S506 - a safe loader


def check(data_dir: Path = DATA) -> list[str]:
    """Every contract violation in data_dir, as lines 'table: what is wrong'. Empty when all is well.

    The contracts come from the table declarations (data_dir/sources/tables.yml, else the
    built-in one); the checksums and row counts from data_dir/datasets.yml."""
    try:
        prov = load_provenance(data_dir)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        return [f"datasets.yml: cannot be read ({e})"]
    declared = data_dir / "sources" / "tables.yml"
    try:
        meta = tables.load(declared if declared.is_file() else tables.TABLES_YML)
    except tables.MetadataError as e:
        return e.problems
    on_disk = {p.stem for p in data_dir.glob("*.parquet")}
    problems = [f"{stem}: {stem}.parquet has no provenance entry in datasets.yml"
                for stem in sorted(on_disk - set(prov))]
    problems += _origin_checksum_problems(meta, data_dir / "sources")
    for name, p in prov.items():
        t = meta.tables.get(name)
        problems += _table_problems(name, p, t, data_dir, meta.origins_of(t) if t else [])
    return problems


def _origin_checksum_problems(meta: tables.Metadata, sources: Path) -> list[str]:
    """A source file copied from an extract must still be the file whose sha256 tables.yml gives."""
    problems = []
    for f, o in meta.origins.items():
        path = sources / f
        if path.is_file() and sha256(path) != o["sha256"]:
            problems.append(f"sources/{f}: sha256 differs from its origin in tables.yml "
                            f"({o['repository']}, {o['path']}): the file was changed after it was taken")
    return problems


def _table_problems(name: str, p: dict, t: tables.Table | None, data_dir: Path,
                    origins: list[dict[str, str]] | None = None) -> list[str]:
    path = data_dir / p["file"]
    if not path.exists():
        return [f"{name}: {p['file']} is missing"]
    problems = [f"{name}: provenance has no {field}" for field in
                ("title", "producer", "url", "accessed", "licence", "sha256", "rows", "columns") if not p.get(field)]
    if t is not None:
        want = _provenance(t, p.get("accessed", ""), path, 0, origins)
        stale = [f for f in ("title", "producer", "url", "licence", "sources", "key", "caveats", "columns",
                             "origins") if p.get(f) != want.get(f)]
        if stale:
            problems.append(f"{name}: {', '.join(stale)} in datasets.yml differ from tables.yml "
                            "(run `python -m chokepoint data build`)")
    if p.get("sha256") and sha256(path) != p["sha256"]:
        problems.append(f"{name}: sha256 of {p['file']} does not match datasets.yml")
    try:
        df = pq.read_table(path).to_pandas()
    except Exception as e:  # noqa: BLE001 - any unreadable file is a violation to report
        return problems + [f"{name}: {p['file']} cannot be read ({e})"]
    if len(df) != p.get("rows"):
        problems.append(f"{name}: {len(df)} rows, datasets.yml says {p.get('rows')}")
    if set(df.columns) != set(p.get("columns", {})):
        return problems + [f"{name}: columns {sorted(df.columns)} differ from datasets.yml"]
    problems += _key_and_source_problems(name, df, p.get("key", []))
    if t is not None:
        problems += _column_check_problems(name, df, t)
    return problems


def _key_and_source_problems(name: str, df: pd.DataFrame, key: list[str]) -> list[str]:
    problems = []
    dup = df[df.duplicated(key, keep=False)] if key else df.iloc[0:0]
    if len(dup):
        first = dup.iloc[0][key].to_dict()
        problems.append(f"{name}: key {key} not unique ({len(dup)} rows, e.g. {first})")
    if "source" in df.columns:
        n = int(df["source"].isna().sum() + (df["source"].astype(str).str.strip() == "").sum())
        if n:
            problems.append(f"{name}: {n} rows without a source")
    return problems


def _column_check_problems(name: str, df: pd.DataFrame, t: tables.Table) -> list[str]:
    """The declared column checks: share in [0, 1], nonneg, iso3, material, selector."""
    problems: list[str] = []
    for col in t.columns_with("share"):
        for _, r in df[(df[col] < 0) | (df[col] > 1)].head(5).iterrows():
            problems.append(f"{name}: {col} = {r[col]} outside [0, 1] (row {r.name + 1})")
    for col in t.columns_with("nonneg"):
        for _, r in df[df[col] < 0].head(5).iterrows():
            problems.append(f"{name}: {col} = {r[col]} is negative (row {r.name + 1})")
    for col in t.columns_with("iso3"):
        for code in sorted(c for c in set(df[col].dropna()) if not catalog.is_iso3(c)):
            problems.append(f"{name}: {col} {code!r} is not a known ISO3 code")
    mats = set(catalog.materials())
    for col in t.columns_with("material"):
        for m in sorted(set(df[col].dropna()) - mats):
            problems.append(f"{name}: {col} {m!r} is not in the materials catalogue")
    for col in t.columns_with("world_total"):
        problems += _world_total_problems(name, df, col)
    selectors = set(catalog.selector_names())
    for col in t.columns_with("selector"):
        flat = {x for v in df[col].dropna() for x in (v if not isinstance(v, str) else [v])}
        for m in sorted(flat - selectors):
            problems.append(f"{name}: {col} {m!r} is not a catalogue material or group")
    return problems


#: World totals are published rounded (USGS: three significant figures), so country rows may sum
#: to a little more than the world row; more than this fraction above it is an error.
WORLD_ROUNDING = 0.01


def edition(source: str) -> str:
    """The edition a production row comes from: "USGS MCS 2026" for any citation of Mineral
    Commodity Summaries 2026 (primary or relayed), else the citation itself."""
    m = re.search(r"Mineral Commodity Summaries (\d{4})", str(source))
    return f"USGS MCS {m.group(1)}" if m else str(source)


def _world_total_problems(name: str, df: pd.DataFrame, col: str) -> list[str]:
    """Country rows above their world total, or a world total and country rows from different
    editions (a world figure of one edition with country figures of another cannot be compared)."""
    problems: list[str] = []
    d = df.dropna(subset=[col]).assign(_edition=df["source"].map(edition))
    for (year, mat, stage), g in d.groupby(["year", "material_id", "stage"], sort=True):
        world = g[g["country"] == WORLD]
        if world.empty:
            continue
        where = f"{name}: {mat} {stage} {year}"
        eds = sorted(set(g["_edition"]))
        if len(eds) > 1:
            problems.append(f"{where} mixes editions ({'; '.join(eds)}): take the world total and the "
                            "country rows from one edition")
        total = float(world[col].iloc[0])
        countries = g[g["country"] != WORLD]
        for _, r in countries[countries[col] > total].iterrows():
            problems.append(f"{where}: {r['country']} {r[col]:,.0f} t is above the world total {total:,.0f} t")
        s = float(countries[col].sum())
        if s > total * (1 + WORLD_ROUNDING):
            problems.append(f"{where}: the countries sum to {s:,.0f} t, above the world total {total:,.0f} t")
    return problems
