"""Build and check the built-in dataset: data/sources/*.csv -> data/*.parquet + data/datasets.yml.

``build`` reads the curated CSVs with DuckDB's CSV reader (explicit column types, no sniffing of
types), normalises codes through the catalogue, derives the labelled estimates (consumption from
imports) and writes one parquet per table with its provenance. ``check`` re-reads what is on disk
and validates the contracts; it returns every violation, not just the first.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import yaml

from . import catalog

DATA = catalog.ROOT / "data"

# Column types of each curated CSV, as DuckDB reads them.
_CSV_TYPES: dict[str, dict[str, str]] = {
    "materials.csv": dict(material_id="VARCHAR", name="VARCHAR", group="VARCHAR", subgroup="VARCHAR",
                          form="VARCHAR", elements="VARCHAR", hs6="VARCHAR", synonyms="VARCHAR",
                          note="VARCHAR", source="VARCHAR"),
    "hs_codes.csv": dict(hs6="VARCHAR", description="VARCHAR", material_id="VARCHAR",
                         caveat="VARCHAR", source="VARCHAR"),
    "baci_2024_import_sources.csv": dict(year="INTEGER", hs6="VARCHAR", material="VARCHAR",
                                         importer="VARCHAR", importer_name="VARCHAR", supplier="VARCHAR",
                                         supplier_name="VARCHAR", value_kusd="DOUBLE", qty_t="DOUBLE",
                                         source="VARCHAR"),
    "import_shares.csv": dict(importer="VARCHAR", material_id="VARCHAR", supplier="VARCHAR", share="DOUBLE",
                              period="VARCHAR", basis="VARCHAR", source="VARCHAR"),
    "baci_world_series.csv": dict(year="INTEGER", hs6="VARCHAR", hs_vintage="VARCHAR",
                                  world_value_usd="DOUBLE", world_tonnes="DOUBLE", n_flows="INTEGER",
                                  china_export_share="DOUBLE", export_hhi="DOUBLE", source="VARCHAR"),
    "baci_top_traders.csv": dict(year="INTEGER", hs6="VARCHAR", role="VARCHAR", rank="INTEGER",
                                 iso2="VARCHAR", name="VARCHAR", value_usd="DOUBLE", share="DOUBLE",
                                 source="VARCHAR"),
    "production.csv": dict(year="INTEGER", country="VARCHAR", material_id="VARCHAR", stage="VARCHAR",
                           quantity_t="DOUBLE", share_of_world="DOUBLE", estimate="BOOLEAN",
                           unit_note="VARCHAR", source="VARCHAR"),
    "consumption.csv": dict(year="INTEGER", country="VARCHAR", material_id="VARCHAR",
                            apparent_consumption_t="DOUBLE", basis="VARCHAR", method="VARCHAR",
                            source="VARCHAR"),
    "stockpiles.csv": dict(holder="VARCHAR", holder_type="VARCHAR", country="VARCHAR", material="VARCHAR",
                           measure="VARCHAR", days_of_use="DOUBLE", quantity_t="DOUBLE", as_of="VARCHAR",
                           note="VARCHAR", source="VARCHAR"),
    "control_events.csv": dict(date="DATE", controller="VARCHAR", measure="VARCHAR", materials="VARCHAR",
                               items="VARCHAR", targets="VARCHAR", status="VARCHAR", note="VARCHAR",
                               source="VARCHAR", tag="VARCHAR"),
    "monthly_exports.csv": dict(period="VARCHAR", period_start="DATE", months="INTEGER", controller="VARCHAR",
                                material_id="VARCHAR", to_country="VARCHAR", quantity_t="DOUBLE",
                                yoy_change="DOUBLE", basis="VARCHAR", source="VARCHAR"),
}

# SQL that turns the CSV views into each table. `src_<file stem>` views are the CSVs.
_TABLE_SQL: dict[str, str] = {
    "materials": """SELECT material_id, name, "group", subgroup, form,
        string_split(elements, '|') AS elements, string_split(hs6, '|') AS hs6,
        string_split(synonyms, '|') AS synonyms, coalesce(note, '') AS note, source
        FROM src_materials""",
    "hs_codes": "SELECT hs6, description, material_id, coalesce(caveat, '') AS caveat, source FROM src_hs_codes",
    "trade_flows": """SELECT b.year, iso(b.supplier) AS exporter, iso(b.importer) AS importer, b.hs6,
        h.material_id, b.value_kusd * 1000 AS value_usd, b.qty_t AS quantity_t, b.source
        FROM src_baci_2024_import_sources b JOIN src_hs_codes h USING (hs6)
        ORDER BY year, hs6, importer, value_usd DESC""",
    "import_shares": """SELECT iso(importer) AS importer, material_id AS material, iso(supplier) AS supplier,
        share, period, basis, source FROM src_import_shares""",
    "trade_series": """SELECT year, hs6, hs_vintage, world_value_usd, world_tonnes AS world_quantity_t, n_flows,
        china_export_share, export_hhi, source FROM src_baci_world_series ORDER BY hs6, year""",
    "top_traders": """SELECT year, hs6, role, rank, iso(iso2) AS country, value_usd, share, source
        FROM src_baci_top_traders ORDER BY hs6, year, role, rank""",
    "production": """SELECT year, country, material_id, stage, quantity_t, share_of_world, estimate,
        unit_note, source FROM src_production""",
    # Published figures first; where none exists, an ESTIMATE from 2024 imports (basis = derived).
    "consumption": """
        WITH published AS (SELECT year, country, material_id, apparent_consumption_t, basis, method, source
                           FROM src_consumption),
        imports AS (SELECT b.year, iso(b.importer) AS country, h.material_id, sum(b.qty_t) AS q
                    FROM src_baci_2024_import_sources b JOIN src_hs_codes h USING (hs6)
                    GROUP BY ALL)
        SELECT * FROM published
        UNION ALL
        SELECT i.year, i.country, i.material_id, i.q, 'derived',
               'ESTIMATE: 2024 imports from all suppliers; no domestic production or re-export netting',
               'Derived by Chokepoint from CEPII BACI HS92 V202601 (2024)'
        FROM imports i
        WHERE NOT EXISTS (SELECT 1 FROM published p WHERE p.country = i.country
                          AND p.material_id = i.material_id)
        ORDER BY country, material_id""",
    "stockpiles": "SELECT * FROM src_stockpiles",
    "control_events": """SELECT date, controller, measure,
        CASE WHEN materials IS NULL THEN []::VARCHAR[] ELSE string_split(materials, '|') END AS materials,
        items, targets, status, coalesce(note, '') AS note, source, tag FROM src_control_events ORDER BY date""",
    "monthly_exports": "SELECT * FROM src_monthly_exports ORDER BY to_country, period_start",
}

# Contract rules per table: share columns in [0, 1], non-negative columns, ISO3 columns,
# material columns (material ids) and selector columns (ids or group/element selectors).
_CONTRACTS: dict[str, dict[str, tuple[str, ...]]] = {
    "trade_flows": dict(nonneg=("value_usd", "quantity_t"), iso3=("exporter", "importer"),
                        material=("material_id",)),
    "import_shares": dict(share=("share",), iso3=("importer", "supplier"), selector=("material",)),
    "trade_series": dict(share=("china_export_share", "export_hhi"), nonneg=("world_value_usd", "world_quantity_t")),
    "top_traders": dict(share=("share",), nonneg=("value_usd",), iso3=("country",)),
    "production": dict(share=("share_of_world",), nonneg=("quantity_t",), iso3=("country",),
                       material=("material_id",)),
    "consumption": dict(nonneg=("apparent_consumption_t",), iso3=("country",), material=("material_id",)),
    "stockpiles": dict(nonneg=("days_of_use", "quantity_t"), iso3=("country",), selector=("material",)),
    "control_events": dict(iso3=("controller",), selector=("materials",)),
    "monthly_exports": dict(nonneg=("quantity_t",), iso3=("controller", "to_country"), material=("material_id",)),
    "hs_codes": dict(material=("material_id",)),
    "materials": dict(),
}


def _meta(sources: Path) -> dict:
    return yaml.safe_load((sources / "tables.yml").read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _iso(code: str | None) -> str | None:
    return None if code is None else catalog.country_iso3(code)


def build(data_dir: Path = DATA) -> dict[str, int]:
    """Write data_dir/*.parquet and data_dir/datasets.yml from data_dir/sources. Returns rows per table."""
    sources = data_dir / "sources"
    meta = _meta(sources)
    con = duckdb.connect()
    con.create_function("iso", _iso, ["VARCHAR"], "VARCHAR")
    for fname, types in _CSV_TYPES.items():
        rel = con.read_csv(str(sources / fname), header=True, columns=types, encoding="utf-8",
                           delimiter=",", quotechar='"')
        con.register(f"src_{Path(fname).stem}", rel)
    provenance: dict[str, dict] = {}
    counts: dict[str, int] = {}
    for table, sql in _TABLE_SQL.items():
        arrow = con.sql(sql).to_arrow_table()
        out = data_dir / f"{table}.parquet"
        tmp = out.with_suffix(".parquet.tmp")
        pq.write_table(arrow, tmp, compression="zstd")
        tmp.replace(out)
        m = meta["tables"][table]
        missing = set(arrow.column_names) ^ set(m["columns"])
        if missing:
            raise ValueError(f"tables.yml columns for {table} differ from the data: {sorted(missing)}")
        provenance[table] = {
            "file": out.name, "title": m["title"], "producer": m["producer"], "url": m["url"],
            "accessed": meta["accessed"], "licence": m["licence"],
            "sources": [f"sources/{s}" for s in m["sources"]], "key": m["key"],
            "caveats": m.get("caveats", []), "sha256": sha256(out), "rows": arrow.num_rows,
            "columns": m["columns"],
        }
        counts[table] = arrow.num_rows
    header = ("# Provenance of the built-in dataset. Written by `python -m chokepoint data build`;\n"
              "# edit data/sources/tables.yml instead.\n")
    (data_dir / "datasets.yml").write_text(
        header + yaml.safe_dump({"tables": provenance},
                                sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return counts


def load_provenance(data_dir: Path = DATA) -> dict[str, dict]:
    return yaml.safe_load((data_dir / "datasets.yml").read_text(encoding="utf-8"))["tables"]


def check(data_dir: Path = DATA) -> list[str]:
    """Every contract violation in data_dir, as lines 'table: what is wrong'. Empty when all is well."""
    problems: list[str] = []
    try:
        prov = load_provenance(data_dir)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        return [f"datasets.yml: cannot be read ({e})"]
    on_disk = {p.stem for p in data_dir.glob("*.parquet")}
    for stem in sorted(on_disk - set(prov)):
        problems.append(f"{stem}: {stem}.parquet has no provenance entry in datasets.yml")
    mats = set(catalog.materials())
    selectors = set(catalog.selector_names())
    for table, p in prov.items():
        path = data_dir / p["file"]
        if not path.exists():
            problems.append(f"{table}: {p['file']} is missing")
            continue
        for field in ("title", "producer", "url", "accessed", "licence", "sha256", "rows", "columns"):
            if not p.get(field):
                problems.append(f"{table}: provenance has no {field}")
        if p.get("sha256") and sha256(path) != p["sha256"]:
            problems.append(f"{table}: sha256 of {p['file']} does not match datasets.yml")
        try:
            df = pq.read_table(path).to_pandas()
        except Exception as e:  # noqa: BLE001 - any unreadable file is a violation to report
            problems.append(f"{table}: {p['file']} cannot be read ({e})")
            continue
        if len(df) != p.get("rows"):
            problems.append(f"{table}: {len(df)} rows, datasets.yml says {p.get('rows')}")
        if set(df.columns) != set(p.get("columns", {})):
            problems.append(f"{table}: columns {sorted(df.columns)} differ from datasets.yml")
            continue
        key = p.get("key", [])
        dup = df[df.duplicated(key, keep=False)] if key else df.iloc[0:0]
        if len(dup):
            first = dup.iloc[0][key].to_dict()
            problems.append(f"{table}: key {key} not unique ({len(dup)} rows, e.g. {first})")
        if "source" in df.columns:
            n = int(df["source"].isna().sum() + (df["source"].astype(str).str.strip() == "").sum())
            if n:
                problems.append(f"{table}: {n} rows without a source")
        rules = _CONTRACTS.get(table, {})
        for col in rules.get("share", ()):
            bad = df[(df[col] < 0) | (df[col] > 1)]
            for _, r in bad.head(5).iterrows():
                problems.append(f"{table}: {col} = {r[col]} outside [0, 1] (row {r.name + 1})")
        for col in rules.get("nonneg", ()):
            bad = df[df[col] < 0]
            for _, r in bad.head(5).iterrows():
                problems.append(f"{table}: {col} = {r[col]} is negative (row {r.name + 1})")
        for col in rules.get("iso3", ()):
            for code in sorted(set(df[col].dropna()) - {c for c in set(df[col].dropna()) if catalog.is_iso3(c)}):
                problems.append(f"{table}: {col} {code!r} is not a known ISO3 code")
        for col in rules.get("material", ()):
            for m in sorted(set(df[col].dropna()) - mats):
                problems.append(f"{table}: {col} {m!r} is not in the materials catalogue")
        for col in rules.get("selector", ()):
            vals = df[col].dropna()
            flat = {x for v in vals for x in (v if not isinstance(v, str) else [v])}
            for m in sorted(flat - selectors):
                problems.append(f"{table}: {col} {m!r} is not a catalogue material or group")
    return problems
