"""CEPII BACI release (zip or folder) -> an ingested trade dataset.

A release as CEPII publishes it holds yearly ``BACI_HSxx_Yyyyy_Vzzzzzz.csv`` files (columns
``t,i,j,k,v,q``: year, exporter and importer numeric codes, HS6 code as an integer (leading zeros
dropped in some releases, kept in others), value in thousand USD, quantity in tonnes, ``NA`` or
blank when unknown, values sometimes space-padded), ``country_codes_V*.csv`` and
``product_codes_HSxx_V*.csv``.

Each yearly file is streamed through DuckDB: explicit column types (no sniffing), the catalogue's
HS codes joined in (everything else dropped during the scan), numeric codes mapped to ISO3 with the
release's own country file, and written as ``trade_flows/year=YYYY/*.parquet``. Zip members are
copied one at a time to a scratch file (DuckDB cannot read inside a zip), never into memory.
Any malformed line aborts the ingest with the file, the line and the reason; the previous copy of
the dataset is only replaced once the new one is complete (see storage.Staging).
"""
from __future__ import annotations

import csv
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import catalog
from ..safe_input import show
from .common import (
    CountryMap,
    IngestError,
    IngestResult,
    Progress,
    Timer,
    catalogue_hs,
    connect,
    duckdb_line,
    fmt_rows,
    locate_bad_line,
    now_iso,
    read_header,
    sql_str,
    stderr_progress,
    text_reader,
    to_iso3,
)
from .derive import (
    derive_tables,
    flows_summary,
)
from .guard import has_data_lines, junk_problem, refuse_empty
from .storage import (
    BackgroundDigest,
    Staging,
    data_home,
    digest_file,
    digest_stream,
    table_entry,
    write_provenance,
)

TRADE_RE = re.compile(r"^BACI_(HS\d\d)_Y(\d{4})_V(\d+)\.csv$", re.I)
COUNTRY_RE = re.compile(r"^country_codes_V(\d+)\.csv$", re.I)
PRODUCT_RE = re.compile(r"^product_codes_(HS\d\d)_V(\d+)\.csv$", re.I)
HEADER = ["t", "i", "j", "k", "v", "q"]
URL = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
LICENCE = "Etalab Open Licence 2.0 (attribute CEPII)"
# hash a plain yearly file in a thread while DuckDB scans it (False: after the scan). Beside the scan won
# 3 of 3 A/B runs on the busy 2-core machine (median 11.6 s vs 20.3 s, 4 files x 1M rows); re-measure
# quiet with bench/bench_ingest_release.py. A zip member is hashed while it is extracted either way.
HASH_BESIDE_SCAN = True
COLUMN_TYPES = "{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'INTEGER', 'v': 'DOUBLE', 'q': 'VARCHAR'}"


@dataclass
class _Member:
    name: str            # base name, e.g. BACI_HS92_Y2023_V202601.csv
    display: str         # what error messages call it
    zip_name: str | None  # member name inside the zip, or None for a plain file
    path: Path | None     # the file, for a folder release


class _Release:
    """The members of a release zip or folder, by role."""

    def __init__(self, path: Path):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        members: list[_Member] = []
        if path.is_dir():
            for p in sorted(path.iterdir()):
                if p.is_file():
                    members.append(_Member(p.name, str(p), None, p))
        elif path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as e:
                raise IngestError(path, None, f"not a readable zip archive (truncated or corrupt?): {e}") from None
            for info in self.zip.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or not base or info.filename.startswith("__MACOSX"):
                    continue
                members.append(_Member(base, f"{path}!{info.filename}", info.filename, None))
        else:
            raise IngestError(path, None, "no such file or folder")
        self.trade = sorted((m for m in members if TRADE_RE.match(m.name)), key=lambda m: m.name)
        self.country = [m for m in members if COUNTRY_RE.match(m.name)]
        self.product = [m for m in members if PRODUCT_RE.match(m.name)]
        if not self.trade:
            raise IngestError(path, None, "no BACI_HSxx_Yyyyy_Vzzzzzz.csv trade files in the release")
        keys = {TRADE_RE.match(m.name).group(1, 3) for m in self.trade}
        if len(keys) > 1:
            raise IngestError(path, None, f"mixes releases {sorted('_V'.join(k) for k in keys)}: ingest one at a time")
        self.hs, self.version = next(iter(keys))
        self.hs = self.hs.upper()
        self.country = [m for m in self.country if COUNTRY_RE.match(m.name).group(1) == self.version] or self.country
        if not self.country:
            raise IngestError(path, None, f"missing country_codes_V{self.version}.csv: numeric country codes "
                                          "cannot be mapped without the release's own country file")
        if len(self.country) > 1:
            raise IngestError(path, None, f"several country files: {[m.name for m in self.country]}")
        from .guard import check_release
        check_release(self)  # sizes, ratios, one file per year, years in range: before reading a byte

    def read_bytes(self, m: _Member) -> bytes:
        from .guard import read_member
        return read_member(self, m)  # streamed with a byte cap: a side-file bomb stops at the cap

    def extract(self, m: _Member, dest: Path):
        """(path to read, digest) — a zip member is streamed to ``dest``; a file is used in place."""
        if m.path is not None:
            return m.path, None
        try:
            with self.zip.open(m.zip_name) as src, open(dest, "wb") as dst:
                d = digest_stream(src, dst)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise IngestError(m.display, None, f"cannot be extracted (truncated or corrupt zip): {e}") from None
        return dest, d

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def read_country_codes(data: bytes, display: str) -> tuple[CountryMap, dict[str, str]]:
    """Code -> ISO3 from a BACI country file (current or older column names). Unmappable codes keep
    their ISO-like code (or the number) and are listed in ``unmapped``."""
    reader = csv.DictReader(text_reader(data))
    fields = {(f or "").strip().lower(): f for f in (reader.fieldnames or [])}
    code_col = fields.get("country_code")
    iso_col = fields.get("country_iso3") or fields.get("iso_3digit_alpha")
    name_col = fields.get("country_name") or fields.get("country_name_abbreviation") or fields.get("country_name_full")
    if not code_col or not iso_col:
        raise IngestError(display, 1, f"expected columns country_code and country_iso3 (or iso_3digit_alpha), "
                                      f"found {list(reader.fieldnames or [])}")
    cmap, table = CountryMap(), {}
    for row in reader:
        code = (row.get(code_col) or "").strip()
        if not code.isdigit():
            raise IngestError(display, reader.line_num, f"country_code {code!r} is not an integer")
        code = str(int(code))
        raw = (row.get(iso_col) or "").strip()
        name = (row.get(name_col) or "").strip() if name_col else ""
        iso, note = to_iso3(raw, name)
        if iso:
            cmap.iso3[code] = iso
            table[code] = iso
            if note or iso != raw:
                cmap.notes[code] = f"{raw or '-'} ({name}) -> {iso}" + (f": {note}" if note else "")
        else:
            kept = raw or code
            table[code] = kept
            cmap.unmapped[kept] = f"BACI code {code} ({name or 'no name'}): not an ISO 3166 country; kept as {kept!r}"
    return cmap, table


def _check_row_of(year: int):
    def check(header: list[str], f: list[str]) -> str | None:
        reason = _check_row(header, f)
        if reason is None and int(f[0]) != year:
            return f"t = {f[0].strip()} in the file of year {year}"
        return reason
    return check


def _check_row(header: list[str], f: list[str]) -> str | None:
    if len(f) != 6:
        return f"expected 6 fields (t,i,j,k,v,q), found {len(f)}"
    for col, val in zip("tijk", f[:4]):
        if not val.strip().isdigit():
            return f"{col} = {val!r} is not an integer"
    for col, val in (("v", f[4]), ("q", f[5])):
        s = val.strip()
        if s in ("", "NA"):
            continue
        try:
            float(s)
        except ValueError:
            return f"{col} = {val!r} is not a number"
    return None


def _copy_year(con: duckdb.DuckDBPyConnection, src: Path, out_file: Path, year: int, source: str) -> int:
    """One yearly file -> one parquet file (a plain COPY: much faster than PARTITION_BY, and the
    file already is one partition). A row of another year aborts the ingest."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    sql = f"""
        COPY (
            SELECT CASE WHEN f.t = {int(year)} THEN f.t
                        ELSE error('row of year ' || f.t || ' in the file of year {int(year)}') END AS year,
                   coalesce(ce.iso3, f.i::VARCHAR) AS exporter,
                   coalesce(ci.iso3, f.j::VARCHAR) AS importer,
                   h.hs6, h.material_id,
                   f.v * 1000 AS value_usd,
                   CAST(CASE WHEN trim(f.q) IN ('', 'NA') THEN NULL ELSE trim(f.q) END AS DOUBLE) AS quantity_t,
                   {sql_str(source)} AS source
            FROM read_csv({sql_str(src)}, header = true, auto_detect = false, columns = {COLUMN_TYPES},
                          delim = ',', quote = '"', escape = '"', nullstr = ['NA', ''], strict_mode = true)
                 AS f
            JOIN hs_keep h ON h.k = f.k
            LEFT JOIN countries ce ON ce.code = f.i
            LEFT JOIN countries ci ON ci.code = f.j
        ) TO {sql_str(out_file)} (FORMAT parquet, COMPRESSION snappy)"""
    return con.execute(sql).fetchone()[0]


def dataset_name(hs: str, version: str) -> str:
    return f"baci-{hs.lower()}-v{version}"


def ingest_baci(path: str | Path, data_dir: str | Path | None = None,
                progress: Progress = stderr_progress) -> IngestResult:
    """Ingest a BACI release zip or folder into ``<data home>/baci-<hs>-v<release>/``."""
    clock = Timer()
    path = Path(path).expanduser().resolve()
    release = _Release(path)
    home = data_home(data_dir)
    name = dataset_name(release.hs, release.version)
    source = f"CEPII BACI {release.hs} V{release.version}"
    try:
        archive_digest = BackgroundDigest(path) if release.zip is not None else None
        cmap, ctable, files, product_note = _side_files(release)
        with Staging(home, name) as stage:
            con = connect()
            catalogue_hs(con)
            con.execute("CREATE TABLE countries (code INTEGER, iso3 VARCHAR)")
            con.executemany("INSERT INTO countries VALUES (?, ?)", [(int(c), v) for c, v in ctable.items()])
            out_dir = stage.path / "trade_flows"
            out_dir.mkdir()
            total = len(release.trade)
            begin, file_done = getattr(progress, "begin", None), getattr(progress, "file_done", None)
            if begin is not None:       # a FileProgress (CLI): a bar over the trade files' bytes
                begin(total, sum(_size(release, m) for m in release.trade))
            for n, m in enumerate(release.trade, 1):
                t = Timer()
                entry = _ingest_year(con, release, m, out_dir, stage.scratch / m.name, source)
                files.append(entry)
                rows = entry["rows"]
                done = (f"[{n}/{total}] {m.name}: {fmt_rows(rows)} rows read, {fmt_rows(entry['rows_kept'])} kept "
                        f"({t():.1f} s, {rows / max(t(), 1e-9):,.0f} rows/s)")
                if file_done is not None:
                    file_done(n, entry["bytes"], done)
                else:
                    progress(done)
            rows, years, codes = flows_summary(con, stage.path)
            refuse_empty(path, rows, f"{sum(f.get('rows', 0) for f in files if f['role'] == 'trade flows'):,} "
                                     "rows read")
            unmapped = dict(cmap.unmapped)
            for c in codes:
                if not catalog.is_iso3(c) and c not in unmapped:
                    unmapped[c] = f"code {c} is not in {release.country[0].name}; kept as is"
            derived = derive_tables(con, stage.path, release.hs, source + ", world totals and exporter shares "
                                    "computed by Chokepoint from the ingested bilateral flows")
            con.close()
            meta = _provenance(release, name, path, archive_digest, files, rows, years, cmap, unmapped,
                               product_note)
            _write_tables(stage.path, meta, rows, derived, unmapped, cmap)
            final = stage.commit()
        progress(f"{name}: {fmt_rows(rows)} flows for years {years} -> {final} ({clock():.1f} s)")
        if unmapped:
            progress(f"{name}: unmapped country codes kept as they are: {', '.join(sorted(unmapped))}")
        return IngestResult(name, final, rows, years, unmapped, clock())
    finally:
        release.close()


def _side_files(release: _Release) -> tuple[CountryMap, dict[str, str], list[dict], str | None]:
    """The release's country file (code -> ISO3) and product file (which catalogue HS codes it lacks):
    (country map, code table, their provenance entries, a note on missing HS codes or None)."""
    cfile = release.country[0]
    cmap, ctable = read_country_codes(release.read_bytes(cfile), cfile.display)
    files: list[dict] = [{"name": cfile.name, "role": "country codes",
                          **_side_digest(release, cfile), "rows": len(ctable)}]
    product_note = None
    for pfile in release.product[:1]:
        codes = _product_codes(release.read_bytes(pfile), pfile.display)
        missing = sorted(set(catalog.hs_codes()) - codes)
        if missing:
            product_note = f"catalogue HS codes not in {pfile.name}: {', '.join(missing)} (no data for them)"
        files.append({"name": pfile.name, "role": "product codes", **_side_digest(release, pfile),
                      "rows": len(codes)})
    return cmap, ctable, files, product_note


def _ingest_year(con: duckdb.DuckDBPyConnection, release: _Release, m: _Member, out_dir: Path, scratch: Path,
                 source: str) -> dict:
    """One yearly trade file: checked (header, junk), copied to ``out_dir/year=YYYY/``; its provenance
    entry. A malformed line stops the ingest naming the file, the line and the reason."""
    year = int(TRADE_RE.match(m.name).group(2))
    src, digest = release.extract(m, scratch)
    header = [h.strip().lower() for h in read_header(src, m.display)]
    if header != HEADER:
        raise IngestError(m.display, 1, f"header is {show(','.join(header))}, expected 't,i,j,k,v,q'")
    junk = junk_problem(src, _check_row_of(year), header)
    if junk:
        raise IngestError(m.display, None, junk)
    # a plain file is hashed beside the scan (HASH_BESIDE_SCAN): hashing is one core's work, DuckDB's
    # scan rarely keeps every core busy, and the bytes are in the page cache for both
    beside = BackgroundDigest(src) if digest is None and HASH_BESIDE_SCAN else None
    try:
        kept = _copy_year(con, src, out_dir / f"year={year}" / f"baci_y{year}.parquet", year, source) \
            if has_data_lines(src) else 0    # a header-only file has nothing to copy
    except duckdb.Error as e:
        line, reason = duckdb_line(e)
        if line is None:
            line, found = locate_bad_line(src, _check_row_of(year), m.display)
            reason = found or reason
        raise IngestError(m.display, line, reason) from None
    digest = digest or (beside.get() if beside is not None else digest_file(src))
    if m.path is None:
        src.unlink(missing_ok=True)
    return {"name": m.name, "role": "trade flows", "year": year, "sha256": digest.sha256,
            "bytes": digest.bytes, "rows": max(digest.lines - 1, 0), "rows_kept": int(kept)}


def _provenance(release: _Release, name: str, path: Path, archive_digest: BackgroundDigest | None,
                files: list[dict], rows: int, years: list[int], cmap: CountryMap, unmapped: dict[str, str],
                product_note: str | None) -> dict:
    """The dataset's provenance entry (``meta`` of datasets.yml)."""
    return {
        "kind": "baci", "name": name,
        "title": f"CEPII BACI {release.hs} V{release.version}: bilateral flows of the catalogue's HS lines",
        "producer": "CEPII (BACI)", "url": URL, "licence": LICENCE,
        "release": f"V{release.version}", "hs_vintage": release.hs,
        "input": str(path), "created": now_iso(),
        "archive_sha256": archive_digest.get().sha256 if archive_digest else None,
        "files": files, "rows_kept": rows, "years": years,
        "hs6": sorted(catalog.hs_codes()),
        "units": {"value_usd": "USD (BACI v in thousand USD x 1000)",
                  "quantity_t": "t (BACI q; NA or blank -> null)"},
        "countries_mapped_non_iso": cmap.notes,
        "unmapped_codes": unmapped,
        "notes": [x for x in [product_note] if x],
    }


def _write_tables(folder: Path, meta: dict, rows: int, derived: dict, unmapped: dict[str, str],
                  cmap: CountryMap) -> None:
    """The three tables' provenance entries, with the caveats a BACI dataset carries."""
    caveats = ["Trade origin is the last shipping country, not where the ore was mined or separated.",
               "BACI reconciles importer and exporter reports; values are FOB."]
    caveats += [f"Unmapped country codes kept as they are: {', '.join(sorted(unmapped))}"] if unmapped else []
    caveats += [f"BACI code {c}: {v}" for c, v in cmap.notes.items()]
    tables = {
        "trade_flows": table_entry(folder, "trade_flows", meta, rows, caveats),
        "trade_series": table_entry(folder, "trade_series", meta, derived["trade_series"]),
        "top_traders": table_entry(folder, "top_traders", meta, derived["top_traders"]),
    }
    write_provenance(folder, meta, tables)


def _size(release: _Release, m: _Member) -> int:
    """A trade file's size in bytes (declared, for a zip member)."""
    return m.path.stat().st_size if m.path is not None else release.zip.getinfo(m.zip_name).file_size


def _side_digest(release: _Release, m: _Member) -> dict:
    if m.path is not None:
        d = digest_file(m.path)
    else:
        import io
        d = digest_stream(io.BytesIO(release.read_bytes(m)))
    return {"sha256": d.sha256, "bytes": d.bytes}


def _product_codes(data: bytes, display: str) -> set[str]:
    reader = csv.DictReader(text_reader(data))
    fields = {(f or "").strip().lower(): f for f in (reader.fieldnames or [])}
    col = fields.get("code")
    if not col:
        raise IngestError(display, 1, f"expected a 'code' column, found {list(reader.fieldnames or [])}")
    out = set()
    for row in reader:
        c = (row.get(col) or "").strip()
        if not c.isdigit():
            raise IngestError(display, reader.line_num, f"product code {c!r} is not a number")
        out.add(c.zfill(6))
    return out
