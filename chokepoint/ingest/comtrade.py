"""UN Comtrade CSV downloads (API or bulk) -> an ingested trade dataset.

Column names vary between the API (``refYear``, ``reporterISO``, ``primaryValue``...), the bulk and
web downloads (``RefYear``, ``ReporterISO``, ``PrimaryValue``...) and the legacy CSV
(``Year``, ``Reporter ISO``, ``Trade Flow Code``, ``Trade Value (US$)``, ``Netweight (kg)``); they
are matched case- and punctuation-insensitively. Comma- or tab-separated, optionally gzipped.

Only annual, total rows of the catalogue's HS codes are kept (customs procedure C00, mode of
transport 0, second partner World when those columns exist); partner World (W00) is dropped;
re-imports and re-exports (RM, RX; legacy codes 3, 4) are ignored and counted. Imports and exports
are reconciled into one flow per (year, exporter, importer, HS6): the importer's report (flow M,
CIF) is preferred, else the exporter's mirror (flow X, FOB); ``flow_basis`` records which.
Quantities: netWgt in kg -> t, else qty when its unit is kg, else null.
"""
from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import catalog
from .common import (
    IngestError,
    IngestResult,
    Progress,
    Timer,
    catalogue_hs,
    connect,
    country_table,
    duckdb_line,
    fmt_rows,
    locate_bad_line,
    now_iso,
    sql_str,
    stderr_progress,
    to_iso3,
)
from .derive import (
    derive_tables,
    flows_summary,
)
from .guard import check_years, refuse_empty
from .storage import (
    BackgroundDigest,
    FileDigest,
    Staging,
    data_home,
    table_entry,
    write_provenance,
)

URL = "https://comtradeplus.un.org/"
LICENCE = "UN Comtrade terms of use (attribute United Nations Statistics Division)"
SOURCE_M = "UN Comtrade, importer-reported imports (CIF)"
SOURCE_X = "UN Comtrade, exporter-reported exports (FOB), mirrored"

#: role -> accepted header names, normalised (lowercase, letters and digits only).
ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("refyear", "year"),
    "period": ("period", "refperiodid"),
    "freq": ("freqcode",),
    "reporter": ("reporteriso", "reporteriso3"),
    "reporter_desc": ("reporterdesc", "reporter"),
    "partner": ("partneriso", "partneriso3"),
    "partner_desc": ("partnerdesc", "partner"),
    "flow": ("flowcode", "tradeflowcode"),
    "cmd": ("cmdcode", "commoditycode"),
    "value": ("primaryvalue", "tradevalueus", "tradevalue"),
    "netwgt": ("netwgt", "netweightkg"),
    "qty": ("qty",),
    "qtyunit": ("qtyunitabbr", "qtyunit"),
    "partner2": ("partner2code",),
    "customs": ("customscode",),
    "mot": ("motcode",),
}
REQUIRED = ("reporter", "partner", "flow", "cmd", "value")
LEGACY_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8-sig", newline="") if path.suffix == ".gz" else \
        open(path, encoding="utf-8-sig", newline="")


def _header(path: Path) -> tuple[list[str], str]:
    """(column names, delimiter) from the first line."""
    try:
        with _open_text(path) as f:
            first = f.readline()
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise IngestError(path, 1, f"cannot read the header line: {e}") from None
    if not first.strip():
        raise IngestError(path, 1, "empty file (no header line)")
    first = first.rstrip("\r\n")
    delim = "\t" if first.count("\t") > first.count(",") else ","
    import csv
    names = next(csv.reader([first], delimiter=delim))
    names = [n.strip() or f"column{i + 1}" for i, n in enumerate(names)]
    return names, delim


def _roles(names: list[str], path: Path) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for n in names:
        by_norm.setdefault(_norm(n), n)
    roles = {}
    for role, aliases in ALIASES.items():
        for a in aliases:
            if a in by_norm:
                roles[role] = by_norm[a]
                break
    missing = [r for r in REQUIRED if r not in roles]
    if "year" not in roles and "period" not in roles:
        missing.insert(0, "year")
    if missing:
        want = {"year": "refYear or period", "reporter": "reporterISO", "partner": "partnerISO",
                "flow": "flowCode", "cmd": "cmdCode", "value": "primaryValue"}
        raise IngestError(path, 1, "missing column(s) " + ", ".join(want[m] for m in missing)
                          + f" (found: {', '.join(names[:12])}{', ...' if len(names) > 12 else ''})")
    return roles


def _digest(path: Path) -> FileDigest:
    """sha256 of the file as downloaded; lines of its text (decompressed for .gz)."""
    d = BackgroundDigest(path).get()
    if path.suffix == ".gz":
        lines = 0
        with gzip.open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                lines += block.count(b"\n")
        d.lines = lines
    return d


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load_file(con: duckdb.DuckDBPyConnection, fid: int, path: Path) -> int:
    names, delim = _header(path)
    roles = _roles(names, path)
    cols = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"

    def col(role: str, default: str = "NULL") -> str:
        return f"nullif(trim({_q(roles[role])}), '')" if role in roles else default

    year = col("year") if "year" in roles else "NULL"
    if "period" in roles:
        year = f"coalesce({year}, left({col('period')}, 4))"
    monthly = f"length({col('period')}) = 6" if "period" in roles else "false"
    if "freq" in roles:
        monthly = f"(upper({col('freq')}) = 'M' OR {monthly})"
    flow = f"upper({col('flow')})"
    sql = f"""
        INSERT INTO raw
        SELECT {fid} AS file_id,
               CAST({year} AS INTEGER) AS year,
               {monthly} AS monthly,
               upper({col('reporter')}) AS reporter, {col('reporter_desc')} AS reporter_desc,
               upper({col('partner')}) AS partner, {col('partner_desc')} AS partner_desc,
               CASE {flow} {' '.join(f"WHEN '{k}' THEN '{v}'" for k, v in LEGACY_FLOWS.items())}
                    ELSE {flow} END AS flow,
               lpad({col('cmd')}, 6, '0') AS hs6,
               CAST({col('value')} AS DOUBLE) AS value_usd,
               CAST({col('netwgt')} AS DOUBLE) AS netwgt_kg,
               CAST({col('qty')} AS DOUBLE) AS qty,
               lower({col('qtyunit')}) AS qtyunit,
               ({col('customs')} IS NULL OR upper({col('customs')}) = 'C00')
               AND ({col('mot')} IS NULL OR {col('mot')} = '0')
               AND ({col('partner2')} IS NULL OR {col('partner2')} = '0') AS is_total
        FROM read_csv({sql_str(path)}, header = true, auto_detect = false, columns = {cols},
                      delim = {sql_str(delim)}, quote = '"', escape = '"', strict_mode = true)
        WHERE lpad({col('cmd')}, 6, '0') IN (SELECT hs6 FROM hs_keep)"""
    try:
        return con.execute(sql).fetchone()[0]
    except duckdb.Error as e:
        line, reason = duckdb_line(e)
        if line is None:
            idx = {r: names.index(roles[r]) for r in ("value", "netwgt", "qty", "year", "cmd") if r in roles}
            line, found = locate_bad_line(path, _checker(idx), str(path)) if path.suffix != ".gz" else (None, None)
            reason = found or reason
        raise IngestError(path, line, reason) from None


def _checker(idx: dict[str, int]):
    codes = set(catalog.hs_codes())

    def check(header: list[str], f: list[str]) -> str | None:
        if len(f) != len(header):
            return f"expected {len(header)} fields, found {len(f)}"
        if f[idx["cmd"]].strip().zfill(6) not in codes:
            return None
        for role in ("value", "netwgt", "qty"):
            if role in idx and f[idx[role]].strip():
                try:
                    float(f[idx[role]])
                except ValueError:
                    return f"{header[idx[role]]} = {f[idx[role]]!r} is not a number"
        if "year" in idx and f[idx["year"]].strip() and not f[idx["year"]].strip().isdigit():
            return f"{header[idx['year']]} = {f[idx['year']]!r} is not a year"
        return None
    return check


def dataset_name(digests: list[str]) -> str:
    return "comtrade-" + hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:8]


_RAW_TABLE = """CREATE TABLE raw (file_id INTEGER, year INTEGER, monthly BOOLEAN, reporter VARCHAR,
    reporter_desc VARCHAR, partner VARCHAR, partner_desc VARCHAR, flow VARCHAR, hs6 VARCHAR,
    value_usd DOUBLE, netwgt_kg DOUBLE, qty DOUBLE, qtyunit VARCHAR, is_total BOOLEAN)"""

#: what is dropped, and why (reported, never silent): label -> condition on ``raw``
_DROPPED = (("re-imports/re-exports and other flows (not M or X)", "flow NOT IN ('M', 'X')"),
            ("partner World (W00)", "flow IN ('M', 'X') AND partner IN ('W00', 'WLD')"),
            ("customs / transport / second-partner breakdown rows", "flow IN ('M', 'X') AND "
             "partner NOT IN ('W00', 'WLD') AND NOT is_total"))

_FLOWS_SQL = f"""
    WITH c AS (
        SELECT c.file_id, c.year, c.flow, m1.iso3 AS reporter, m2.iso3 AS partner, c.hs6, h.material_id,
               c.value_usd,
               CASE WHEN c.netwgt_kg IS NOT NULL THEN c.netwgt_kg / 1000
                    WHEN c.qtyunit IN ('kg', 'weight in kilograms') THEN c.qty / 1000 END AS quantity_t
        FROM clean c JOIN hs_keep h USING (hs6)
        LEFT JOIN cmap m1 ON m1.code = c.reporter LEFT JOIN cmap m2 ON m2.code = c.partner
    ), m AS (
        SELECT year, partner AS exporter, reporter AS importer, hs6, material_id, value_usd, quantity_t
        FROM c WHERE flow = 'M'
        QUALIFY row_number() OVER (PARTITION BY year, partner, reporter, hs6 ORDER BY file_id) = 1
    ), x AS (
        SELECT year, reporter AS exporter, partner AS importer, hs6, material_id, value_usd, quantity_t
        FROM c WHERE flow = 'X'
        QUALIFY row_number() OVER (PARTITION BY year, reporter, partner, hs6 ORDER BY file_id) = 1
    )
    SELECT year, exporter, importer, hs6, material_id, value_usd, quantity_t,
           {sql_str(SOURCE_M)} AS source, 'importer report' AS flow_basis FROM m
    UNION ALL
    SELECT x.year, x.exporter, x.importer, x.hs6, x.material_id, x.value_usd, x.quantity_t,
           {sql_str(SOURCE_X)}, 'exporter mirror'
    FROM x ANTI JOIN m USING (year, exporter, importer, hs6)"""


@dataclass
class _Cleaned:
    """What reading and cleaning the files found, for the provenance."""

    files: list[Path]
    file_meta: list[dict] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    other_flows: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)       # non-ISO codes mapped, and how
    unmapped: dict[str, str] = field(default_factory=dict)    # codes kept as they are, and why
    duplicates: int = 0


def ingest_comtrade(paths: list[str | Path] | str | Path, data_dir: str | Path | None = None,
                    progress: Progress = stderr_progress) -> IngestResult:
    """Ingest one or more Comtrade CSV downloads into ``<data home>/comtrade-<sha8>/``."""
    clock = Timer()
    files = _input_files(paths)
    home = data_home(data_dir)
    digests = {p: BackgroundDigest(p) for p in files}
    con = connect()
    catalogue_hs(con)
    con.execute(_RAW_TABLE)
    got = _Cleaned(files)
    for fid, p in enumerate(files):
        got.file_meta.append(_read_file(con, fid, p, digests[p], len(files), progress))
    _clean(con, got)
    name = dataset_name([f["sha256"] for f in got.file_meta])
    with Staging(home, name) as stage:
        out_dir = stage.path / "trade_flows"
        out_dir.mkdir()
        con.execute(f"""COPY ({_FLOWS_SQL}) TO {sql_str(out_dir)} (FORMAT parquet, COMPRESSION zstd,
                        PARTITION_BY (year), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true,
                        FILENAME_PATTERN 'comtrade_{{i}}')""")
        rows, years, codes = flows_summary(con, stage.path)
        refuse_empty(", ".join(p.name for p in files), rows)
        basis = dict(con.execute("SELECT flow_basis, count(*) FROM tf GROUP BY ALL ORDER BY 1").fetchall()) if rows else {}
        derived = derive_tables(con, stage.path, "HS (as reported)",
                                "UN Comtrade (importer reports, else exporter mirrors); world totals and "
                                "exporter shares computed by Chokepoint from the reconciled flows")
        con.close()
        meta = _provenance(name, got, rows, years, basis)
        caveats = ["One flow per (year, exporter, importer, HS6): the importer's report when it exists "
                   "(CIF), else the exporter's mirror (FOB); see flow_basis.",
                   "Re-imports and re-exports are ignored; partner World rows are dropped."]
        caveats += [f"Unmapped country codes kept as they are: {', '.join(sorted(got.unmapped))}"] if got.unmapped else []
        tables = {
            "trade_flows": table_entry(stage.path, "trade_flows", meta, rows, caveats,
                                       extra_columns=["flow_basis"]),
            "trade_series": table_entry(stage.path, "trade_series", meta, derived["trade_series"]),
            "top_traders": table_entry(stage.path, "top_traders", meta, derived["top_traders"]),
        }
        write_provenance(stage.path, meta, tables)
        final = stage.commit()
    for label, n in got.dropped.items():
        progress(f"{name}: ignored {fmt_rows(n)} rows: {label}")
    progress(f"{name}: {fmt_rows(rows)} flows ({', '.join(f'{v} {k}' for k, v in basis.items())}) "
             f"for years {years} -> {final} ({clock():.1f} s)")
    return IngestResult(name, final, rows, years, got.unmapped, clock())


def _input_files(paths: list[str | Path] | str | Path) -> list[Path]:
    """The files to read, resolved; at least one, each an existing file."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [Path(p).expanduser().resolve() for p in paths]
    if not files:
        raise IngestError("-", None, "no Comtrade files given")
    for p in files:
        if not p.is_file():
            raise IngestError(p, None, "no such file")
    return files


def _read_file(con: duckdb.DuckDBPyConnection, fid: int, p: Path, digest: BackgroundDigest, n_files: int,
               progress: Progress) -> dict:
    """Load one file into ``raw`` (annual data only, every row with a year); its provenance entry."""
    t = Timer()
    kept = _load_file(con, fid, p)
    d = _digest(p) if p.suffix == ".gz" else digest.get()
    if con.execute("SELECT count(*) FROM raw WHERE file_id = ? AND monthly", [fid]).fetchone()[0]:
        raise IngestError(p, None, "monthly data (freqCode M / period YYYYMM) is not supported: "
                                   "download annual data (freqCode A)")
    if con.execute("SELECT count(*) FROM raw WHERE file_id = ? AND year IS NULL", [fid]).fetchone()[0]:
        raise IngestError(p, None, "rows without a year (refYear/period empty)")
    check_years(p, [r[0] for r in con.execute("SELECT DISTINCT year FROM raw WHERE file_id = ?", [fid]).fetchall()])
    rows = max(d.lines - 1, 0)
    progress(f"[{fid + 1}/{n_files}] {p.name}: {fmt_rows(rows)} rows read, {fmt_rows(kept)} with "
             f"catalogue HS codes ({t():.1f} s)")
    return {"name": p.name, "sha256": d.sha256, "bytes": d.bytes, "rows": rows, "rows_catalogue_hs": int(kept)}


def _clean(con: duckdb.DuckDBPyConnection, got: _Cleaned) -> None:
    """``raw`` -> ``clean`` (total M and X rows with a partner country) and ``cmap`` (Comtrade code ->
    ISO3); counts what is dropped and which codes could not be mapped (kept as they are)."""
    for label, cond in _DROPPED:
        n = con.execute(f"SELECT count(*) FROM raw WHERE {cond}").fetchone()[0]
        if n:
            got.dropped[label] = int(n)
    got.other_flows = dict(con.execute("SELECT flow, count(*) FROM raw WHERE flow NOT IN ('M', 'X') GROUP BY ALL "
                                       "ORDER BY 1").fetchall())
    con.execute("""CREATE TABLE clean AS SELECT * FROM raw
                   WHERE flow IN ('M', 'X') AND partner NOT IN ('W00', 'WLD') AND is_total""")
    mapping = {}
    for code, desc in con.execute("""SELECT code, any_value(descr) FROM (
            SELECT reporter AS code, reporter_desc AS descr FROM clean
            UNION ALL SELECT partner, partner_desc FROM clean) WHERE code IS NOT NULL GROUP BY code""").fetchall():
        iso, note = to_iso3(code, desc)
        if iso:
            mapping[code] = iso
            if iso != code:
                got.notes[code] = f"{code} ({desc}) -> {iso}" + (f": {note}" if note else "")
        else:
            mapping[code] = code
            got.unmapped[code] = f"Comtrade code {code} ({desc or 'no name'}): not an ISO 3166 country; kept as is"
    country_table(con, "cmap", mapping)
    got.duplicates = int(con.execute(
        "SELECT count(*) - count(DISTINCT (year, flow, reporter, partner, hs6)) FROM clean").fetchone()[0])


def _provenance(name: str, got: _Cleaned, rows: int, years: list[int], basis: dict) -> dict:
    """The dataset's provenance entry (``meta`` of datasets.yml)."""
    files = got.files
    release = f"{years[0]}-{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "no flows")
    return {
        "kind": "comtrade", "name": name,
        "title": f"UN Comtrade {release}: reconciled bilateral flows of the catalogue's HS lines",
        "producer": "United Nations Statistics Division (UN Comtrade)", "url": URL, "licence": LICENCE,
        "release": f"{release} ({len(files)} file{'s' if len(files) > 1 else ''})",
        "input": [str(p) for p in files], "created": now_iso(),
        "files": got.file_meta, "rows_kept": rows, "years": years, "hs6": sorted(catalog.hs_codes()),
        "flow_basis": basis,
        "dropped": got.dropped, "ignored_flow_codes": got.other_flows,
        "duplicate_reports_dropped": got.duplicates,
        "units": {"value_usd": "USD (primaryValue: CIF for imports, FOB for exports)",
                  "quantity_t": "t (netWgt kg / 1000, else qty when its unit is kg, else null)"},
        "countries_mapped_non_iso": got.notes, "unmapped_codes": got.unmapped,
    }
