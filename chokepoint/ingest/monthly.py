"""A user's monthly customs files -> an ingested ``observed_monthly`` table (``ingest monthly``).

The inputs are any mix of HMRC OTS, Comex Stat and UN Comtrade monthly files with the code tables
they need (HMRC's country lookup, Comex Stat's PAIS.csv); see ``monthly_layouts`` for the layouts.
Each trade file is streamed once by DuckDB (explicit column types, catalogue HS lines only), then
checked: every month a real YYYYMM, every flow known, every country code in its producer's table.
A refused file names the file, the line and the reason, and nothing is written.

Kept: imports and exports of the catalogue's HS lines, summed per month, reporter, partner, flow and
national code (HMRC publishes several lines per port or EU/non-EU flow). Dropped and counted: partners
that are no country (customs' user-assigned codes, Comex Stat's unnamed ones, Comtrade areas), partner
World and breakdown rows (Comtrade), re-imports and re-exports. Values stay in the file's currency
(``value_native``, ``currency``); ``value_usd`` is filled only where the file is in US dollars (Comex
Stat, Comtrade): HMRC's pounds sterling are never converted, as no rate is invented.

The dataset folder ``<home>/monthly-<sha8>/`` holds ``observed_monthly.parquet`` (the built-in table's
columns plus ``value_native`` and ``currency``) and the provenance files; every other table comes from
the built-in data, so ``observed --data-dir <folder>`` and ``backtest --data-dir <folder>`` read it.
"""
from __future__ import annotations

import hashlib
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
    duckdb_line,
    fmt_rows,
    now_iso,
    sql_str,
    stderr_progress,
    to_iso3,
)
from .comtrade import _digest
from .derive import SQL_DIR
from .guard import MAX_SIDE_BYTES, refuse_empty, year_bounds
from .monthly_layouts import (
    COMEX,
    COMEX_PAIS,
    COMTRADE,
    HMRC,
    HMRC_COUNTRIES,
    PRODUCERS,
    TradeFile,
    alpha_to_iso3,
    classify,
    first_line,
    insert_sql,
    read_code_table,
    trade_file,
    value_of,
)
from .storage import BackgroundDigest, Staging, data_home, table_entry, write_provenance

_RAW_TABLE = """CREATE TABLE raw (file_id INTEGER, period INTEGER, reporter VARCHAR, reporter_desc VARCHAR,
    partner VARCHAR, partner_desc VARCHAR, flow VARCHAR, native_code VARCHAR, value_native DOUBLE,
    qty_kg DOUBLE, confidential BOOLEAN, is_total BOOLEAN, annual BOOLEAN)"""
VALUE_BASIS = {
    HMRC: "not in USD: HMRC publishes pounds sterling; value_native holds GBP and value_usd is empty "
          "(no exchange rate is applied)",
    COMEX: "USD FOB as published by Comex Stat",
    COMTRADE: "USD as reported to UN Comtrade (primaryValue: imports CIF, exports FOB)",
}
#: what is dropped, and why (reported, never silent): label -> condition on ``joined``
_DROPPED = (("re-imports, re-exports and other flows", "flow NOT IN ('import', 'export')"),
            ("partner World (Comtrade W00)", "status = 'world'"),
            ("Comtrade customs / transport / second-partner breakdown rows", "NOT is_total"),
            ("partner is no country (confidential, stores and provisions, unnamed areas)", "status = 'other'"))


@dataclass
class _Inputs:
    files: list[Path]
    trade: list[TradeFile] = field(default_factory=list)
    hmrc_countries: dict[str, str] | None = None
    pais: dict[str, str] | None = None
    tables: list[tuple[Path, str]] = field(default_factory=list)       # code tables: (path, kind)
    file_meta: list[dict] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    non_countries: dict[str, str] = field(default_factory=dict)


def ingest_monthly(paths: list[str | Path] | str | Path, data_dir: str | Path | None = None,
                   progress: Progress = stderr_progress) -> IngestResult:
    """Ingest monthly customs files into ``<data home>/monthly-<sha8>/`` (see module doc)."""
    clock = Timer()
    got = _inputs(paths)
    home = data_home(data_dir)
    digests = {p: BackgroundDigest(p) for p in got.files}
    con = connect()
    catalogue_hs(con)
    con.execute(_RAW_TABLE)
    for fid, tf in enumerate(got.trade):
        t = Timer()
        kept = _load(con, tf, fid)
        d = _digest(tf.path) if tf.path.suffix == ".gz" else digests[tf.path].get()   # rows of the text
        got.file_meta.append({"name": tf.path.name, "layout": tf.layout, "sha256": d.sha256, "bytes": d.bytes,
                              "rows": max(d.lines - 1, 0), "rows_catalogue_hs": int(kept)})
        progress(f"[{fid + 1}/{len(got.trade)}] {tf.path.name} ({tf.layout}): {fmt_rows(max(d.lines - 1, 0))} rows "
                 f"read, {fmt_rows(kept)} with catalogue HS codes ({t():.1f} s)")
    for fid, tf in enumerate(got.trade):
        _check_periods(con, tf, fid)
    _map_countries(con, got)
    _check_overlap(con, got)
    for path, kind in got.tables:
        d = digests[path].get()
        got.file_meta.append({"name": path.name, "layout": kind, "sha256": d.sha256, "bytes": d.bytes,
                              "rows": max(d.lines - 1, 0)})
    _files_table(con, got)
    con.execute(f"CREATE TEMP TABLE om AS {(SQL_DIR / 'observed_monthly.sql').read_text(encoding='utf-8')}")
    rows = int(_one(con, "SELECT count(*) FROM om")[0])
    refuse_empty(", ".join(tf.path.name for tf in got.trade), rows)
    name = "monthly-" + hashlib.sha256("\n".join(sorted(f["sha256"] for f in got.file_meta)).encode()).hexdigest()[:8]
    with Staging(home, name) as stage:
        con.execute(f"COPY om TO {sql_str(stage.path / 'observed_monthly.parquet')} (FORMAT parquet, COMPRESSION zstd)")
        meta = _provenance(con, name, got, rows)
        con.close()
        caveats = [f"Value: {meta['value_basis'][r]} ({r})." for r in sorted(meta["value_basis"])]
        caveats += ["National codes map to HS6 by their first six digits; only the catalogue's HS lines are kept.",
                    "Rows of one month, partner, flow and code are summed (HMRC publishes several: EU and "
                    "non-EU flows, ports); a month is confidential when HMRC suppressed any of its lines."]
        caveats += [f"Dropped {n:,} rows: {label}" for label, n in got.dropped.items()]
        table = table_entry(stage.path, "observed_monthly", meta, rows, caveats,
                            extra_columns=["value_native", "currency"])
        write_provenance(stage.path, meta, {"observed_monthly": table})
        final = stage.commit()
    for label, n in got.dropped.items():
        progress(f"{name}: ignored {fmt_rows(n)} rows: {label}")
    progress(f"{name}: {fmt_rows(rows)} monthly rows, {meta['release']} -> {final} ({clock():.1f} s)")
    return IngestResult(name, final, rows, meta["years"], {}, clock())


def _inputs(paths: list[str | Path] | str | Path) -> _Inputs:
    """Resolve and classify the inputs: trade files (by layout) and code tables."""
    files = [Path(p).expanduser().resolve() for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not files:
        raise IngestError("-", None, "no monthly files given")
    got = _Inputs(files)
    for p in files:
        if not p.is_file():
            raise IngestError(p, None, "no such file")
        kind, names, delim = classify(p)
        if kind in (HMRC_COUNTRIES, COMEX_PAIS):
            table = read_code_table(p, kind, MAX_SIDE_BYTES)
            if kind == HMRC_COUNTRIES:
                got.hmrc_countries = {**(got.hmrc_countries or {}), **table}
            else:
                got.pais = {**(got.pais or {}), **table}
            got.tables.append((p, kind))
        else:
            got.trade.append(trade_file(p, kind, names, delim))
    if not got.trade:
        raise IngestError(files[0], None, "no trade files among the inputs (only code tables)")
    for tf in got.trade:
        if tf.layout == HMRC and "alpha" not in tf.roles and got.hmrc_countries is None:
            raise IngestError(tf.path, 1, "CountryId is HMRC's own country number: add HMRC's country lookup "
                                          "(the OTS Country table as CSV: CountryId, CountryCodeAlpha, ...) to the files")
        if tf.layout == COMEX and "iso3" not in tf.roles and got.pais is None:
            raise IngestError(tf.path, 1, "CO_PAIS is Comex Stat's own country code: add Comex Stat's country "
                                          "table PAIS.csv (CO_PAIS;CO_PAIS_ISON3;CO_PAIS_ISOA3;...) to the files")
    return got


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The one row of a query (an aggregate, a COPY/INSERT count)."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, "the query returns one row"
    return row


def _load(con: duckdb.DuckDBPyConnection, tf: TradeFile, fid: int) -> int:
    """One trade file's catalogue rows into ``raw``; a malformed line stops the ingest naming it."""
    try:
        return int(_one(con, insert_sql(tf, fid))[0])
    except duckdb.Error as e:
        line, reason = duckdb_line(e)
        raise IngestError(tf.path, line, reason) from None


def _refuse(tf: TradeFile, column: str | None, value: object, reason: str) -> IngestError:
    """An IngestError at the first catalogue row whose ``column`` holds ``value``."""
    want = str(value).strip().upper()

    def same(row: dict[str, str]) -> bool:
        got = value_of(row, column).upper()
        return got == want or (got.lstrip("-").isdigit() and want.lstrip("-").isdigit() and int(got) == int(want))
    return IngestError(tf.path, first_line(tf, same) if column else None, reason)


def _check_periods(con: duckdb.DuckDBPyConnection, tf: TradeFile, fid: int) -> None:
    """Monthly data only, each period a month within the years trade data can hold; HMRC flows 1-4."""
    r = tf.roles
    if _one(con, "SELECT count(*) FROM raw WHERE file_id = ? AND annual", [fid])[0]:
        freq, per = r.get("freq"), r.get("period")
        line = first_line(tf, lambda row: value_of(row, freq).upper() == "A" or len(value_of(row, per)) == 4)
        raise IngestError(tf.path, line, "annual data (freqCode A / period YYYY): ingest it with `ingest comtrade`; "
                                         "`ingest monthly` takes monthly downloads (freqCode M, period YYYYMM)")
    lo, hi = year_bounds()
    bad = con.execute("""SELECT period FROM raw WHERE file_id = ? AND (period IS NULL OR period % 100 NOT BETWEEN 1 AND 12
                         OR period // 100 NOT BETWEEN ? AND ?) LIMIT 1""", [fid, lo, hi]).fetchall()
    if bad:
        p = bad[0][0]
        if tf.layout == COMEX:
            y, m = (str(p // 100), str(p % 100)) if p is not None else ("", "")
            line = first_line(tf, lambda row: value_of(row, r["year"]) == y and value_of(row, r["month"]).lstrip("0") == m)
            raise IngestError(tf.path, line, f"CO_ANO/CO_MES {y}/{m} is not a month of {lo}–{hi}")
        col = r.get("period") if tf.layout != COMTRADE or p is not None else None
        raise _refuse(tf, col, p, f"{col or 'period'} {p} is not a month (YYYYMM) of {lo}–{hi}")
    if tf.layout == HMRC:
        flow = con.execute("SELECT flow FROM raw WHERE file_id = ? AND flow NOT IN ('import', 'export') LIMIT 1",
                           [fid]).fetchall()
        if flow:
            code = flow[0][0].removeprefix("FlowTypeId ")
            raise _refuse(tf, r["flow"], code, f"FlowTypeId {code} is not 1-4 (EU imports, EU exports, non-EU "
                                               "imports, non-EU exports)")


def _classify_code(got: _Inputs, tf: TradeFile, code: str, desc: str | None) -> tuple[str | None, str]:
    """(ISO3 or None, status: 'country' | 'world' | 'other' | 'unknown: reason') of a partner code."""
    if tf.layout == COMTRADE:
        if code in ("W00", "WLD", "0"):
            return None, "world"
        iso, _ = to_iso3(code, desc)
        return (iso, "country") if iso and iso not in ("WLD", "ROW", "EUN") else (None, "other")
    table = got.hmrc_countries if tf.layout == HMRC and "alpha" not in tf.roles else \
        got.pais if tf.layout == COMEX and "iso3" not in tf.roles else None
    if table is not None:
        if code not in table:
            which = "HMRC's country lookup" if tf.layout == HMRC else "Comex Stat's PAIS.csv"
            col = "CountryId" if tf.layout == HMRC else "CO_PAIS"
            return None, f"unknown: {col} {code} is not in {which}"
        iso, _ = alpha_to_iso3(table[code])
        return (iso, "country") if iso else (None, "other")
    iso, is_country = alpha_to_iso3(code)
    if iso:
        return iso, "country"
    col = "CountryCodeAlpha" if tf.layout == HMRC else "CO_PAIS_ISOA3"
    return None, (f"unknown: {col} {code!r} is not an ISO 3166 country code" if is_country else "other")


def _map_countries(con: duckdb.DuckDBPyConnection, got: _Inputs) -> None:
    """Tables ``cmap`` (file, partner code -> ISO3, status) and ``rmap`` (Comtrade reporters); an
    unknown code stops the ingest at its first line; what is dropped is counted in ``got``."""
    cmap, rmap = [], []
    for fid, code, desc in con.execute("SELECT file_id, partner, any_value(partner_desc) FROM raw "
                                       "GROUP BY ALL ORDER BY ALL").fetchall():
        tf = got.trade[fid]
        iso, status = _classify_code(got, tf, code or "", desc)
        if status.startswith("unknown"):
            col = {HMRC: tf.roles.get("alpha") or tf.roles.get("country_id"),
                   COMEX: tf.roles.get("iso3") or tf.roles.get("country")}.get(tf.layout)
            raise _refuse(tf, col, code, status.removeprefix("unknown: "))
        if status == "other":
            got.non_countries[f"{tf.layout} {code}"] = desc or ""
        cmap.append((fid, code, iso, status))
    for fid, code, desc in con.execute("SELECT DISTINCT file_id, reporter, reporter_desc FROM raw "
                                       "ORDER BY ALL").fetchall():
        iso, _ = to_iso3(code, desc) if got.trade[fid].layout == COMTRADE else (code, None)
        if not iso or not catalog.is_iso3(iso) or iso in ("WLD", "ROW", "EUN"):
            tf = got.trade[fid]
            raise _refuse(tf, tf.roles.get("reporter"), code, f"reporter {code!r} ({desc or 'no name'}) is not a country")
        rmap.append((fid, code, iso))
    con.execute("CREATE TABLE cmap (file_id INTEGER, code VARCHAR, iso3 VARCHAR, status VARCHAR)")
    con.execute("CREATE TABLE rmap (file_id INTEGER, code VARCHAR, iso3 VARCHAR)")
    if cmap:
        con.executemany("INSERT INTO cmap VALUES (?, ?, ?, ?)", cmap)
    if rmap:
        con.executemany("INSERT INTO rmap VALUES (?, ?, ?)", rmap)
    con.execute("""CREATE TABLE joined AS SELECT raw.*, r.iso3 AS reporter_iso3, c.iso3 AS partner_iso3, c.status
                   FROM raw JOIN rmap r USING (file_id) JOIN cmap c USING (file_id)
                   WHERE r.code IS NOT DISTINCT FROM raw.reporter AND c.code IS NOT DISTINCT FROM raw.partner""")
    for label, cond in _DROPPED:
        n = int(_one(con, f"SELECT count(*) FROM joined WHERE {cond}")[0])
        if n:
            got.dropped[label] = n
    con.execute("""CREATE TABLE mapped AS SELECT file_id, period, reporter_iso3 AS reporter, partner_iso3 AS partner,
                   flow, native_code, value_native, qty_kg, confidential FROM joined
                   WHERE flow IN ('import', 'export') AND is_total AND status = 'country'""")


def _check_overlap(con: duckdb.DuckDBPyConnection, got: _Inputs) -> None:
    """Two files with the same reporter, flow and month would be added up: refuse them."""
    dup = con.execute("""SELECT reporter, flow, period, min(file_id), max(file_id)
                         FROM (SELECT DISTINCT file_id, reporter, flow, period FROM mapped)
                         GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 1""").fetchall()
    if dup:
        rep, flow, period, a, b = dup[0]
        raise IngestError(got.trade[b].path, None, f"{rep} {flow}s of {period // 100}-{period % 100:02d} are also in "
                                                   f"{got.trade[a].path.name}: give each month once (two files of "
                                                   "the same month would be added up)")


def _files_table(con: duckdb.DuckDBPyConnection, got: _Inputs) -> None:
    """Table ``files (file_id, currency, source)``: each trade file's citation."""
    rows = []
    for fid, tf in enumerate(got.trade):
        producer, _url, licence, currency, value = PRODUCERS[tf.layout]
        m = got.file_meta[fid]
        rows.append((fid, currency, f"{producer}, file {m['name']} (sha256 {m['sha256'][:12]}…), ingested "
                                    f"{now_iso()[:10]}; value in {value}; {licence}"))
    con.execute("CREATE TABLE files (file_id INTEGER, currency VARCHAR, source VARCHAR)")
    con.executemany("INSERT INTO files VALUES (?, ?, ?)", rows)


def _provenance(con: duckdb.DuckDBPyConnection, name: str, got: _Inputs, rows: int) -> dict:
    """The dataset's provenance entry (``meta`` of datasets.yml)."""
    layouts = sorted({tf.layout for tf in got.trade})
    for fid, n in con.execute("SELECT file_id, count(*) FROM mapped GROUP BY ALL").fetchall():
        got.file_meta[fid]["rows_kept"] = int(n)       # before summing a month's lines per partner
    first, last = _one(con, "SELECT min(period), max(period) FROM om")
    years = [r[0] for r in con.execute("SELECT DISTINCT year(period_start) FROM om ORDER BY 1").fetchall()]
    basis: dict[str, list[str]] = {}
    for rep, fid in con.execute("SELECT DISTINCT reporter, file_id FROM mapped ORDER BY ALL").fetchall():
        text = VALUE_BASIS[got.trade[fid].layout]
        basis.setdefault(rep, [])
        if text not in basis[rep]:
            basis[rep].append(text)
    names = {HMRC: "HMRC OTS", COMEX: "Comex Stat", COMTRADE: "UN Comtrade"}
    return {
        "kind": "monthly", "name": name,
        "title": f"Monthly customs data ({', '.join(names[k] for k in layouts)}) {first} to {last}: "
                 "the catalogue's HS lines",
        "producer": "; ".join(PRODUCERS[k][0] for k in layouts),
        "url": " ; ".join(PRODUCERS[k][1] for k in layouts),
        "licence": "; ".join(f"{names[k]}: {PRODUCERS[k][2]}" for k in layouts),
        "release": f"{first} to {last} ({len(got.trade)} file{'s' if len(got.trade) > 1 else ''})",
        "input": [str(p) for p in got.files], "created": now_iso(),
        "files": got.file_meta, "rows_kept": rows, "years": years, "periods": [first, last],
        "hs6": sorted(catalog.hs_codes()), "dropped": got.dropped,
        "value_basis": {rep: " / ".join(t) for rep, t in basis.items()},
        "units": {"value_usd": "USD; empty where the file is not in US dollars (HMRC: GBP)",
                  "value_native": "the file's currency (see currency)", "quantity_t": "t (net mass kg / 1000)"},
        "partners_not_countries": got.non_countries,
    }
