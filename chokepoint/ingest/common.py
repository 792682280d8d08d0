"""Shared helpers of the ingesters: errors and results, progress, CSV helpers, country mapping,
the private DuckDB connection. Storage (staging, swap, provenance files) is in ``storage``,
the derived tables in ``derive``.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

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


# ------------------------------------------------------------------------------ progress
def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Progress = Callable[[str], None]


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
