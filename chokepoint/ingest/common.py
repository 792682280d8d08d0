"""Shared machinery of the ingesters: data home, atomic dataset folders, errors, progress,
country mapping, derived tables and provenance.

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

import csv
import datetime as _dt
import hashlib
import io
import contextlib
import fcntl
import os
import re
import secrets
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import yaml

from .. import catalog

ENV_HOME = "CHOKEPOINT_DATA_HOME"
_BLOCK = 1 << 22  # 4 MiB copy / hash blocks


class IngestError(ValueError):
    """A malformed or unusable input file: names the file, the line (when there is one) and why."""

    def __init__(self, file: str | Path, line: int | None, reason: str):
        self.file, self.line, self.reason = str(file), line, reason
        where = f"file {self.file}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {reason}")


@dataclass
class IngestResult:
    """What an ingest wrote."""
    name: str
    path: Path
    rows: int
    years: list[int]
    unmapped: dict[str, str]
    seconds: float


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


# ------------------------------------------------------------------------------ progress
def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Progress = Callable[[str], None]


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
        self.path, self.result, self.error = path, None, None
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
        return self.result


# ------------------------------------------------------------------------------ csv helpers
def read_header(path: Path, display: str) -> list[str]:
    """The first line of a CSV file as a list of names (UTF-8, BOM tolerated)."""
    with open(path, "rb") as f:
        first = f.readline(1 << 16)
    if not first.strip():
        raise IngestError(display, 1, "empty file (no header line)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError(display, 1, "header is not UTF-8 text") from None
    return next(csv.reader([text.rstrip("\r\n")]))


def duckdb_line(err: BaseException) -> tuple[int | None, str]:
    """(line, reason) from a DuckDB CSV error message."""
    msg = str(err)
    m = re.search(r"Line:\s*(\d+)", msg)
    line = int(m.group(1)) if m else None
    reason = None
    for pat in (r"(Error when converting column [^\n]*)", r"(Expected Number of Columns:[^\n]*)",
                r"(Value with unterminated quote[^\n]*)", r"(Maximum line size[^\n]*)",
                r"(Invalid unicode[^\n]*)", r"(Could not convert[^\n]*)"):
        mm = re.search(pat, msg)
        if mm:
            reason = mm.group(1).strip()
            break
    if reason is None:
        lines = [s.strip() for s in msg.splitlines() if s.strip()]
        reason = re.sub(r"^[A-Za-z ]*Error:\s*", "", lines[0]) if lines else type(err).__name__
        reason = re.sub(r"CSV Error on Line:\s*\d+", "", reason).strip() or "malformed CSV"
    if "Original Line" in msg:
        mm = re.search(r"Original Line:\s*([^\n]*)", msg)
        if mm:
            reason += f" (line text: {mm.group(1)[:120]!r})"
    return line, reason


def locate_bad_line(path: Path, check: Callable[[list[str], list[str]], str | None],
                    display: str) -> tuple[int | None, str | None]:
    """First (line number, reason) where ``check(header, fields)`` returns a reason (slow path,
    used only after DuckDB has refused a file without naming the line)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            return 1, "empty file"
        for fields in reader:
            reason = check(header, fields)
            if reason:
                return reader.line_num, reason
    return None, None


# ------------------------------------------------------------------------------ countries
@dataclass
class CountryMap:
    """Codes (numeric BACI codes or Comtrade ISO codes) -> ISO3, with what could not be mapped."""
    iso3: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)     # code -> how it was mapped (non-ISO)
    unmapped: dict[str, str] = field(default_factory=dict)  # code -> label kept as is


def to_iso3(code: str | None, name: str | None = None) -> tuple[str | None, str | None]:
    """(ISO3, note) for an ISO-ish code and/or a name; (None, None) when neither can be mapped."""
    code = (code or "").strip()
    if code and code in catalog.NON_ISO_CODES:
        iso, why = catalog.NON_ISO_CODES[code]
        return iso, why
    if code and catalog.is_iso3(code.upper()):
        return code.upper(), None
    for text in (code, name):
        if text and text.strip() and text.strip().upper() not in ("N/A", "NA", "NAN"):
            try:
                iso = catalog.country_iso3(text)
            except catalog.CatalogError:
                continue
            return iso, (None if text == code and len(code) == 3 else f"{text!r} mapped by name")
    return None, None


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
            self._hold = hold(self.path)
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


# ------------------------------------------------------------------------------ duckdb
def connect() -> duckdb.DuckDBPyConnection:
    """A private DuckDB for ingesting (all threads; no extension autoload)."""
    con = duckdb.connect(":memory:", config={
        "autoload_known_extensions": False, "autoinstall_known_extensions": False,
        "preserve_insertion_order": False,
    })
    con.execute("SET enable_progress_bar = false")  # we report progress per file ourselves
    return con


def sql_str(text: str | Path) -> str:
    """A SQL string literal (for file paths in COPY/read_csv, which cannot be bound)."""
    return "'" + str(text).replace("'", "''") + "'"


def catalogue_hs(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``hs_keep(k INTEGER, hs6 VARCHAR, material_id VARCHAR)`` of the catalogue's HS codes."""
    rows = [(int(h), h, r["material_id"]) for h, r in catalog.hs_codes().items()]
    con.execute("CREATE OR REPLACE TABLE hs_keep (k INTEGER, hs6 VARCHAR, material_id VARCHAR)")
    con.executemany("INSERT INTO hs_keep VALUES (?, ?, ?)", rows)


def country_table(con: duckdb.DuckDBPyConnection, name: str, mapping: dict[str, str]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} (code VARCHAR, iso3 VARCHAR)")
    if mapping:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", sorted(mapping.items()))


TRADE_FLOW_COLUMNS = {
    "year": ("Calendar year", "year"),
    "exporter": ("Exporting country (ISO3; unmapped source codes kept as they are)", "ISO3"),
    "importer": ("Importing country (ISO3; unmapped source codes kept as they are)", "ISO3"),
    "hs6": ("HS 6-digit code", "code"),
    "material_id": ("Catalogue material of the HS line", "id"),
    "value_usd": ("Trade value", "USD"),
    "quantity_t": ("Quantity (null when not reported)", "t"),
    "source": ("Citation", "text"),
}
SERIES_COLUMNS = {
    "year": ("Calendar year", "year"), "hs6": ("HS 6-digit code", "code"),
    "hs_vintage": ("HS revision of the source", "code"),
    "world_value_usd": ("World trade value", "USD"), "world_quantity_t": ("World trade quantity", "t"),
    "n_flows": ("Number of bilateral flows", "count"),
    "china_export_share": ("China's share of world export value", "share 0-1"),
    "export_hhi": ("Herfindahl-Hirschman index of exporter value shares", "index 0-1"),
    "source": ("Citation", "text"),
}
TOP_COLUMNS = {
    "year": ("Calendar year", "year"), "hs6": ("HS 6-digit code", "code"),
    "role": ("exporter or importer", "category"), "rank": ("Rank by value", "rank"),
    "country": ("Country", "ISO3"), "value_usd": ("Trade value", "USD"),
    "share": ("Share of world value", "share 0-1"), "source": ("Citation", "text"),
}


def derive_tables(con: duckdb.DuckDBPyConnection, folder: Path, hs_vintage: str, source: str) -> dict[str, int]:
    """Write trade_series.parquet and top_traders.parquet (built-in schemas) from folder/trade_flows."""
    glob = sql_str(folder / "trade_flows" / "**" / "*.parquet")
    con.execute(f"CREATE OR REPLACE TEMP VIEW tf AS SELECT * FROM read_parquet({glob}, hive_partitioning = false)")
    series = f"""
        WITH e AS (
            SELECT year, hs6, exporter, sum(value_usd) AS v FROM tf GROUP BY ALL
        ), w AS (
            SELECT year, hs6, sum(value_usd) AS world_value_usd, sum(quantity_t) AS world_quantity_t,
                   count(*)::INTEGER AS n_flows FROM tf GROUP BY ALL
        ), s AS (
            SELECT e.year, e.hs6,
                   coalesce(sum(e.v) FILTER (WHERE e.exporter = 'CHN'), 0) / nullif(any_value(w.world_value_usd), 0) AS china_export_share,
                   sum((e.v / nullif(w.world_value_usd, 0)) ^ 2) AS export_hhi
            FROM e JOIN w USING (year, hs6) GROUP BY ALL
        )
        SELECT w.year::INTEGER AS year, w.hs6, $vintage AS hs_vintage, w.world_value_usd, w.world_quantity_t,
               w.n_flows, s.china_export_share, s.export_hhi, $source AS source
        FROM w JOIN s USING (year, hs6) ORDER BY hs6, year"""
    top = """
        WITH r AS (
            SELECT year, hs6, 'exporter' AS role, exporter AS country, sum(value_usd) AS value_usd FROM tf GROUP BY ALL
            UNION ALL
            SELECT year, hs6, 'importer', importer, sum(value_usd) FROM tf GROUP BY ALL
        ), ranked AS (
            SELECT *, row_number() OVER (PARTITION BY year, hs6, role ORDER BY value_usd DESC NULLS LAST, country) AS rank,
                   value_usd / nullif(sum(value_usd) OVER (PARTITION BY year, hs6, role), 0) AS share
            FROM r
        )
        SELECT year::INTEGER AS year, hs6, role, rank::INTEGER AS rank, country, value_usd, share, $source AS source
        FROM ranked WHERE rank <= 8 ORDER BY hs6, year, role, rank"""
    counts = {}
    for table, sql, params in (("trade_series", series, {"vintage": hs_vintage, "source": source}),
                               ("top_traders", top, {"source": source})):
        out = folder / f"{table}.parquet"
        con.execute(f"CREATE OR REPLACE TEMP TABLE d AS {sql}", params)
        counts[table] = con.execute("SELECT count(*) FROM d").fetchone()[0]
        con.execute(f"COPY d TO {sql_str(out)} (FORMAT parquet, COMPRESSION zstd)")
    return counts


def flows_summary(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[int, list[int], list[str]]:
    """(rows, years, distinct country codes) of folder/trade_flows."""
    glob = sql_str(folder / "trade_flows" / "**" / "*.parquet")
    if not any((folder / "trade_flows").rglob("*.parquet")):
        return 0, [], []
    con.execute(f"CREATE OR REPLACE TEMP VIEW tf AS SELECT * FROM read_parquet({glob}, hive_partitioning = false)")
    rows = con.execute("SELECT count(*) FROM tf").fetchone()[0]
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM tf ORDER BY 1").fetchall()]
    codes = [r[0] for r in con.execute(
        "SELECT DISTINCT c FROM (SELECT exporter AS c FROM tf UNION SELECT importer FROM tf) ORDER BY 1").fetchall()]
    return rows, years, codes


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


def table_entry(folder: Path, table: str, release: dict, columns: dict, key: list[str],
                rows: int, caveats: Iterable[str] = ()) -> dict:
    path = folder / table
    if path.is_dir():
        sha, _ = parts_digest(path)
        fname = f"{table}/"
    else:
        path = folder / f"{table}.parquet"
        sha, fname = digest_file(path).sha256, path.name
    return {
        "file": fname, "title": release["title"] + (f" — {table}" if table != "trade_flows" else ""),
        "producer": release["producer"], "url": release["url"], "accessed": release["created"][:10],
        "licence": release["licence"], "sources": [f["name"] for f in release["files"]], "key": key,
        "caveats": list(caveats), "sha256": sha, "rows": int(rows),
        "columns": {c: {"description": d, "unit": u} for c, (d, u) in columns.items()},
    }


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class Timer:
    def __init__(self):
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.t0


def fmt_rows(n: int) -> str:
    return f"{n:,}"


def text_reader(data: bytes) -> io.StringIO:
    """Decode a small side file (country/product codes): UTF-8 (BOM ok), else cp1252."""
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return io.StringIO(data.decode(enc), newline="")
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes anything")
