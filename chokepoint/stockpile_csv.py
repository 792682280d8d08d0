"""Company stockpile CSV: read, validate and normalise an upload.

``parse_stockpile_csv(data)`` turns the uploaded bytes into a :class:`ParseResult`: the supply
lines (one row per site x material x supplier line) and the holdings (one row per site x
material), quantities in tonnes. Anything that cannot be read *exactly* is an error naming the
row (as a spreadsheet counts rows: the header is row 1, a blank line still counts, a quoted cell
spanning several lines is one row) and the column, with a suggestion where one exists. A file
with any error is rejected whole (``lines``/``holdings`` empty) and *all* its errors are listed.
Warnings are shown but do not block. Pure: no Streamlit, no DuckDB, no I/O.

Reading rules
-------------
Size
    At most 25 MB and 100,000 data rows.
Encoding
    A UTF-8 BOM means UTF-8; a UTF-16 BOM (LE or BE) means UTF-16. Without a BOM: NUL bytes in
    every other position mean UTF-16 (LE or BE, accepted only if the header then reads);
    otherwise strict UTF-8; if that fails, cp1252 (Windows-1252, what Excel writes as "CSV"
    on Windows). A file that holds UTF-8 sequences of European text ("ü" = C3 BC, "€" = E2 82 AC)
    *and* bytes that are not UTF-8 mixes two encodings and is rejected (reading it as cp1252
    would garble the UTF-8 part). Excel
    workbooks (.xlsx/.xls) are recognised and rejected with a "save as CSV" hint. Limit: a
    cp1252 file whose bytes happen to form valid UTF-8 (an accented capital directly followed by
    a symbol, e.g. "Ø€") reads as UTF-8; the preview shows the encoding and the text.
Delimiter
    Decided from the header row, never from the data: the one of comma, semicolon and tab that
    splits row 1 into the most known column names (known names contain none of the three).
Headers
    Case-insensitive, order-free, surrounding whitespace ignored, inner spaces and hyphens read
    as "_" ("Monthly use" = ``monthly_use``). Missing required columns, duplicate names and an
    empty header above a column holding data are errors; a wholly empty unnamed column (trailing
    delimiters) is ignored; unknown columns are a warning (ignored), with a suggestion when close.
Rows
    Blank rows are skipped (but counted). More fields than headers is an error unless the extra
    fields are empty; fewer fields are read as blank cells. Cells are trimmed.
Numbers (``on_hand``, ``monthly_use``, ``supplier_share``)
    A number is an optional "-" (only to report negatives), digits, at most one decimal
    separator, optional thousands separators grouping the integer part in threes ("," or "."
    -- whichever is not the decimal -- space, no-break space U+00A0, narrow no-break space
    U+202F) and an optional exponent ("1.5E+06"). Each cell is read under both conventions,
    decimal point (thousands ",") and decimal comma (thousands "."):

    * cells that read the same either way ("1234", "1 234", "0") are neutral;
    * cells that read under one convention only are *evidence*: "12.5", "0.125", "1,234.5",
      "1,234,567" say decimal point; "12,5", "1.234,5", "1 234,5", "1.234.567" say decimal
      comma. (With a comma delimiter such cells can only come from quoted fields.) Evidence for
      both conventions in one file is an error on every cell of the less common convention;
    * cells that read differently ("1,234" = 1234 or 1.234; "50.000" = 50000 or 50) are accepted
      only when another cell of the same file shows its convention, and are then read with it:
      "50.000" is 50000 in a file with "12,0" or "0,8" (decimal comma, so "." groups
      thousands), "1,234" is 1.234 beside "12,5" and 1234 beside "2.5" or "1,234.5". With no
      such cell the ambiguous cell is an error asking for an unambiguous format. The dialect
      names the cell the convention was inferred from (``Dialect.decided_by``: row, column,
      text). Nothing is guessed from the delimiter or the locale.

    NaN, inf, spreadsheet error values (#N/A), "(5)", "+5", formulas, units inside the number
    ("500 kg" -> use the unit column), percentages outside ``supplier_share``, negatives, more
    than 15 significant digits and quantities above 1e9 t are errors. Arithmetic is decimal,
    so a value reads to the same float in every dialect.
Units
    ``unit`` applies to ``on_hand`` and ``monthly_use`` of its row: t (default; also "tonne(s)",
    "metric ton(s)"), kg, g, lb (x 0.00045359237 t). "ton" and "mt" are ambiguous and rejected.
Shares
    0-1 or a percentage ("80%", "80,5 %"); a plain number above 1 is an error (write "80%").
    A single line per (site, material) defaults to 1; with several lines every share must be
    given. Shares of a (site, material) may sum to at most 1.01: between 1 and 1.01 they are
    rounding and are scaled to sum to exactly 1 (warning); below 1 the rest is of unknown
    origin (warning).
Groups
    Rows with the same (site, material id) are that material's supply lines. ``on_hand`` and
    ``monthly_use`` come from the first row of the group; later rows leave them blank or repeat
    the same quantity (in tonnes; a conflict names both rows). A site's ``site_country`` is
    given once or repeated identically; blank rows of the site inherit it.
Text
    ``site`` defaults to "main". Control characters (including line breaks inside a cell) are
    errors. Text that looks like a formula ("=HYPERLINK(...)", "@SUM") is kept as text in
    site names (a warning; exports neutralise it) and fails naturally elsewhere.
Countries and materials
    Through :mod:`chokepoint.catalog`: ISO2, ISO3 or English names ("NA" is Namibia); catalogue
    ids, names and synonyms. Unknown names are errors with the catalogue's closest suggestion.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from chokepoint import catalog
from chokepoint.csv_issue import Issue, _show
from chokepoint.csv_numbers import (
    _BETWEEN_DIGITS,
    _SPACES,
    AMBIGUOUS_UNITS,
    CANONICAL_UNITS,
    UNITS,
    _classify,
    _Num,
    _plain,
    _resolve_numbers,
    _sig_digits,
)

MAX_BYTES = 25 * 1024 * 1024
MAX_COLUMNS = 1000  # a stockpile sheet has 8 known columns; a 1M-column header is refused unread
MAX_ROWS = 100_000
MAX_QUANTITY_T = 1e9
MAX_SIG_DIGITS = 15
SHARE_SUM_TOLERANCE = 0.01
DEFAULT_SITE = "main"

REQUIRED_COLUMNS = ("material", "on_hand", "monthly_use")
OPTIONAL_COLUMNS = ("unit", "supplier_country", "supplier_share", "site", "site_country")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
NUMERIC_COLUMNS = ("on_hand", "monthly_use", "supplier_share")

LINE_COLUMNS = ("site", "site_country", "material_id", "material_input", "on_hand_t",
                "monthly_use_t", "supplier_country", "supplier_share", "source_row")
HOLDING_COLUMNS = ("site", "site_country", "material_id", "on_hand_t", "monthly_use_t",
                   "share_total", "share_known", "unknown_share", "n_lines", "first_row")
_STR_COLS = ("site", "site_country", "material_id", "material_input", "supplier_country")
_INT_COLS = ("source_row", "n_lines", "first_row")

_FORMULA_START = ("=", "+", "-", "@")


# ------------------------------------------------------------------ result types
@dataclass(frozen=True)
class Dialect:
    """How the file was read (shown to the user next to the preview)."""

    encoding: str = "UTF-8"
    delimiter: str = ","
    decimal: str | None = None          # "." or ","; None when no cell has a fractional part
    thousands: tuple[str, ...] = ()     # thousands separators seen, e.g. (".",) or (" ", "\u202f")
    #: the cell the decimal convention was inferred from: (row, column, text as written); None
    #: when no cell reads under one convention only
    decided_by: tuple[int, str, str] | None = None
    #: the worksheet read, for an Excel workbook (chokepoint/stockpile_xlsx.py); None for a CSV
    sheet: str | None = None

    def describe(self) -> str:
        names = {",": "comma", ";": "semicolon", "\t": "tab", ".": "point", " ": "space",
                 "\u00a0": "no-break space", "\u202f": "narrow no-break space"}
        parts = ([f"{self.encoding}, sheet {self.sheet!r}"] if self.sheet is not None
                 else [self.encoding, f"{names[self.delimiter]}-separated"])
        if self.decimal:
            parts.append(f"decimal {names[self.decimal]}")
        if self.thousands:
            parts.append("thousands separator " + " and ".join(names[t] for t in self.thousands))
        return ", ".join(parts)

    def inferred(self) -> str | None:
        """Which decimal convention was inferred and from which cell, for the preview:
        "decimal comma inferred from row 2, column monthly_use ('12,0')"; None when no cell decided it."""
        if self.decided_by is None or self.decimal is None:
            return None
        row, col, text = self.decided_by
        conv = "decimal comma" if self.decimal == "," else "decimal point"
        return f"{conv} inferred from row {row}, column {col} ({_show(text)})"


@dataclass(frozen=True, eq=False)
class ParseResult:
    """Outcome of :func:`parse_stockpile_csv`; ``lines``/``holdings`` are empty when not ``ok``."""

    errors: list[Issue]
    warnings: list[Issue]
    dialect: Dialect
    lines: pd.DataFrame
    holdings: pd.DataFrame
    filename: str = "upload.csv"
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Stop(Exception):
    """Internal: a file-level error after which nothing more can be read. ``earlier``: the issues
    the stopping stage had already found (they are reported before this one)."""

    def __init__(self, issue: Issue, earlier: Iterable[Issue] = ()):
        super().__init__(issue)
        self.issue = issue
        self.earlier = list(earlier)


# ------------------------------------------------------------------ frames
def coerce_lines(df: pd.DataFrame) -> pd.DataFrame:
    """A lines frame with the canonical columns and dtypes (also used by the workspace)."""
    return _coerce(df, LINE_COLUMNS)


def _coerce(df: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    cols = list(cols)
    out = pd.DataFrame({c: (df[c] if c in df.columns else pd.Series([], dtype=object)) for c in cols})
    for c in cols:
        if c in _STR_COLS:
            out[c] = out[c].astype(object).where(out[c].notna(), None).astype("str")
        elif c in _INT_COLS:
            out[c] = out[c].astype("int64")
        else:
            out[c] = out[c].astype("float64")
    return out.reset_index(drop=True)


def holdings_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per (site, material_id) in first-appearance order.

    ``share_total`` sums every line's share; ``share_known`` only lines with a known
    ``supplier_country``; ``unknown_share`` = 1 - share_known (clipped to 0-1), the part of
    monthly use whose origin the file does not give.
    """
    if lines.empty:
        return _coerce(pd.DataFrame(), HOLDING_COLUMNS)
    df = lines.copy()
    df["_known"] = df["supplier_share"].where(df["supplier_country"].notna(), 0.0)
    g = df.groupby(["site", "material_id"], sort=False, dropna=False)
    out = g.agg(site_country=("site_country", "first"), on_hand_t=("on_hand_t", "first"),
                monthly_use_t=("monthly_use_t", "first"), share_total=("supplier_share", "sum"),
                share_known=("_known", "sum"), n_lines=("source_row", "size"),
                first_row=("source_row", "min")).reset_index()
    out["unknown_share"] = (1.0 - out["share_known"]).clip(0.0, 1.0)
    return _coerce(out, HOLDING_COLUMNS)


# ------------------------------------------------------------------ encoding
def _row_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


#: UTF-8 as European text has it: U+0080-U+017F (Latin-1, Latin Extended-A: "ü" = C3 BC) and
#: U+2000-U+20CF (dashes, quotes, "€" = E2 82 AC). The same bytes in cp1252 text would read as
#: "Ã¼"-style pairs, which real cp1252 files do not contain.
_UTF8_MULTI = re.compile(rb"[\xc2-\xc5][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")


def _decode(data: bytes) -> list[tuple[str, str]]:
    """Candidate (text, encoding label) readings; raises _Stop with an Issue when unreadable."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Stop(Issue(None, None, "this is an Excel workbook, not a CSV file: in Excel use "
                                      "File > Save As > 'CSV UTF-8' and upload that"))
    boms = ((codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
            (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"))
    for bom, codec, label in boms:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return [(body.decode(codec), label)]
            except UnicodeDecodeError as e:
                row = _row_of_offset(body, e.start) if codec == "utf-8" else None
                raise _Stop(Issue(row, None, f"the file starts with a {label.split(' with')[0]} byte-order "
                                             f"mark but is not valid {codec.upper()} ({e.reason}); "
                                             "save it again as 'CSV UTF-8'")) from e
    if b"\x00" in data:
        cands = []
        head = data[:4000]
        for codec, label, zeros in (("utf-16-le", "UTF-16 LE (no BOM)", head[1::2]),
                                    ("utf-16-be", "UTF-16 BE (no BOM)", head[0::2])):
            if len(data) % 2 == 0 and zeros.count(0) >= 0.9 * len(zeros):
                try:
                    cands.append((data.decode(codec), label))
                except UnicodeDecodeError:
                    pass
        if cands:
            return cands
        raise _Stop(Issue(_row_of_offset(data, data.index(b"\x00")), None,
                          "the file contains NUL bytes: it is binary or in an unsupported encoding; "
                          "save it as CSV (UTF-8)"))
    try:
        return [(data.decode("utf-8"), "UTF-8")]
    except UnicodeDecodeError as e:
        bad_row = _row_of_offset(data, e.start)
        m = _UTF8_MULTI.search(data)
        if m is not None:
            raise _Stop(Issue(bad_row, None,
                              f"the file mixes encodings: row {_row_of_offset(data, m.start())} is UTF-8 but "
                              f"row {bad_row} is not; save the whole file again as 'CSV UTF-8'")) from e
    try:
        return [(data.decode("cp1252"), "cp1252 (Windows-1252)")]
    except UnicodeDecodeError as e:
        raise _Stop(Issue(_row_of_offset(data, e.start), None,
                          f"byte 0x{data[e.start]:02X} is neither UTF-8 nor Windows-1252; "
                          "save the file as 'CSV UTF-8'")) from e


# ------------------------------------------------------------------ header
def _norm_header(h: str) -> str:
    h = h.replace("\ufeff", "").strip(" \t\u00a0\u202f").lower()
    return re.sub(r"[\s\-]+", "_", h)


def _first_record(text: str, delim: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
    except csv.Error:
        return []


def _choose(readings: list[tuple[str, str]]) -> tuple[str, str, str]:
    """(text, encoding, delimiter): the reading and delimiter whose header has most known names."""
    best: tuple[tuple[int, int], str, str, str] | None = None
    for text, enc in readings:
        for delim in (",", ";", "\t"):
            header = _first_record(text, delim)
            score = sum(_norm_header(h) in KNOWN_COLUMNS for h in header)
            line1 = text.split("\n", 1)[0]
            key = (score, line1.count(delim))
            if best is None or key > best[0]:
                best = (key, text, enc, delim)
    assert best is not None, "_decode returns at least one reading"
    _, text, enc, delim = best
    return text, enc, delim


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# ------------------------------------------------------------------ rows
@dataclass
class _Row:
    row: int
    site: str
    site_country: str | None
    material_id: str | None
    material_input: str
    unit: Decimal | None
    on_hand: float | None = None         # tonnes
    monthly_use: float | None = None     # tonnes
    share: float | None = None
    supplier_country: str | None = None
    bad: set[str] = field(default_factory=set)   # columns with an error in this row


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_char(text: str) -> bool:
    return _CONTROL.search(text) is not None


def parse_stockpile_csv(data: bytes, *, filename: str = "upload.csv") -> ParseResult:
    """Read a company stockpile CSV; see the module docstring for the rules."""
    res = _Outcome()
    try:
        from .safe_input import csv_header_problem  # refuse a 1M-column header before parsing it
        if (too_wide := csv_header_problem(data, MAX_COLUMNS)) is not None:
            raise _Stop(Issue(1, None, too_wide))
        _parse(data, res)
    except _Stop as stop:
        res.errors.extend(stop.earlier)
        res.errors.append(stop.issue)
        res.data_rows = 0
    errors, warnings = res.errors, res.warnings
    errors.sort(key=lambda i: (i.row or 0))
    if errors:
        lines = coerce_lines(pd.DataFrame())
        return ParseResult(errors, warnings, res.dialect, lines, holdings_from_lines(lines), filename,
                           res.data_rows)
    lines = coerce_lines(pd.DataFrame(res.lines, columns=list(LINE_COLUMNS)))
    warnings.sort(key=lambda i: (i.row or 0))
    return ParseResult(errors, warnings, res.dialect, lines, holdings_from_lines(lines), filename,
                       res.data_rows)


@dataclass
class _Outcome:
    """What the stages found so far (kept when a later stage stops the read)."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    dialect: Dialect = field(default_factory=Dialect)
    data_rows: int = 0
    lines: list[tuple] = field(default_factory=list)


def _parse(data: bytes, res: _Outcome) -> None:
    """The stages in order: decode -> header -> records -> cells -> number convention -> groups."""
    text, enc, delim = _decode_stage(data)
    res.dialect = Dialect(encoding=enc, delimiter=delim)
    if not text.strip(" \t\r\n\ufeff"):
        raise _Stop(Issue(None, None, "the file is empty"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    _parse_rows(reader, res, res.dialect)


#: Cells a spreadsheet stored as numbers: (row, column index) -> exact value. They need no
#: decimal convention; ``_numeric_cells`` stores them as they are (chokepoint/stockpile_xlsx.py).
Typed = dict[tuple[int, int], Decimal]


def _parse_rows(reader, res: _Outcome, dialect: Dialect, typed: Typed | None = None) -> None:
    """Stages 2-6 on records of text cells (row 1 = the header): a CSV reader, or the rows of a
    worksheet (``typed``: its number cells)."""
    enc, delim = dialect.encoding, dialect.delimiter
    header, errors, warnings = _read_header(reader)
    res.errors += errors
    res.warnings += warnings
    raw_rows, errors = _read_records(reader, header, delim)
    res.errors += errors
    res.data_rows = len(raw_rows)
    if header.missing:
        return   # header errors already listed; rows cannot be read
    rows, nums, errors, warnings = _read_cells(raw_rows, header.cols, typed)
    res.errors += errors
    res.warnings += warnings
    decimal, thousands, errors, decided_by = _apply_numbers(rows, nums)
    res.errors += errors
    res.dialect = Dialect(encoding=enc, delimiter=delim, decimal=decimal, thousands=thousands,
                          decided_by=decided_by, sheet=dialect.sheet)
    lines, errors, warnings = _group_lines(rows)
    res.errors += errors
    res.warnings += warnings
    if not res.errors:
        res.lines = lines


# ------------------------------------------------------------------ stage 1: decode
def _decode_stage(data: bytes) -> tuple[str, str, str]:
    """(text, encoding label, delimiter); stops on an oversized, empty or unreadable file."""
    if len(data) > MAX_BYTES:
        raise _Stop(Issue(None, None, f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                                      f"{MAX_BYTES // 1024 // 1024} MB"))
    if not data.strip(b" \t\r\n"):
        raise _Stop(Issue(None, None, "the file is empty: it needs a header row "
                                      f"({', '.join(REQUIRED_COLUMNS)}) and at least one data row"))
    return _choose(_decode(data))


# ------------------------------------------------------------------ stage 2: header
@dataclass(frozen=True)
class _Header:
    raw: list[str]              # row 1 as written
    names: list[str]            # normalised names
    cols: dict[str, int]        # name -> column index (known and unknown names)
    unnamed: list[int]          # columns with an empty header
    missing: list[str]          # required columns not found


def _read_header(reader) -> tuple[_Header, list[Issue], list[Issue]]:
    """Row 1: (header, errors, warnings). Stops when row 1 names no known column."""
    try:
        raw = next(reader)
    except csv.Error as e:
        raise _Stop(Issue(1, None, f"the header row cannot be read ({e})")) from e
    if not any(h.strip() for h in raw):
        raise _Stop(Issue(1, None, "row 1 is empty: the header (column names) must be in row 1"))
    names = [_norm_header(h) for h in raw]
    cols, unnamed, unknown, errors = _index_columns(names)
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    unknown_names = [names[i] for i in unknown]
    if not any(h in KNOWN_COLUMNS for h in names) and not any(
            difflib.get_close_matches(c, unknown_names, n=1, cutoff=0.75) for c in REQUIRED_COLUMNS):
        raise _Stop(Issue(1, None, "no known column names in row 1: the header must name "
                                   f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})"),
                    errors)
    claimed, missing_errors = _missing_columns(missing, unknown_names, raw, cols)
    warnings = [_unknown_column(i, names, raw, cols) for i in unknown if names[i] not in claimed]
    return _Header(raw, names, cols, unnamed, missing), errors + missing_errors, warnings


def _index_columns(names: list[str]) -> tuple[dict[str, int], list[int], list[int], list[Issue]]:
    """(name -> index, unnamed indexes, unknown indexes, duplicate-name errors)."""
    cols: dict[str, int] = {}
    unnamed: list[int] = []
    unknown: list[int] = []
    errors: list[Issue] = []
    for i, h in enumerate(names):
        if h == "":
            unnamed.append(i)
        elif h in cols:
            errors.append(Issue(1, h, f"column {h!r} appears twice (columns {_col_letter(cols[h])} and "
                                      f"{_col_letter(i)}); keep one"))
        else:
            if h not in KNOWN_COLUMNS:
                unknown.append(i)
            cols[h] = i
    return cols, unnamed, unknown, errors


def _missing_columns(missing: list[str], unknown_names: list[str], raw: list[str],
                     cols: dict[str, int]) -> tuple[set[str], list[Issue]]:
    """(unknown names taken as misspellings of a missing column, one error per missing column)."""
    claimed: set[str] = set()
    errors: list[Issue] = []
    for c in missing:
        close = difflib.get_close_matches(c, unknown_names, n=1, cutoff=0.75)
        if close:
            claimed.add(close[0])
            errors.append(Issue(1, close[0], f"required column {c!r} is missing; column "
                                             f"{raw[cols[close[0]]].strip()!r} is not a known name",
                                suggestion=c))
        else:
            errors.append(Issue(1, None, f"required column {c!r} is missing (the header has: "
                                         f"{', '.join(repr(h.strip()) for h in raw if h.strip())})"))
    return claimed, errors


def _unknown_column(i: int, names: list[str], raw: list[str], cols: dict[str, int]) -> Issue:
    close = difflib.get_close_matches(names[i], [c for c in KNOWN_COLUMNS if c not in cols], n=1, cutoff=0.75)
    return Issue(1, raw[i].strip(), "unknown column, ignored", suggestion=close[0] if close else None)


# ------------------------------------------------------------------ stage 3: records
def _read_records(reader, header: _Header, delim: str) -> tuple[list[tuple[int, list[str]]], list[Issue]]:
    """(row number, fields) of every non-blank data row (fields empty for a row with an error)."""
    raw_rows: list[tuple[int, list[str]]] = []
    errors: list[Issue] = []
    unnamed_used: dict[int, int] = {}
    n_head = len(header.names)
    row_no = 1
    try:
        for rec in reader:
            row_no += 1
            if not any(c.strip(_SPACES + "\t\r\n") for c in rec):
                continue
            if len(raw_rows) >= MAX_ROWS:
                raise _Stop(Issue(row_no, None, f"the file has more than {MAX_ROWS:,} data rows; "
                                                "split it into several files"), errors)
            extra = _extra_fields(row_no, rec, n_head, delim)
            if extra is not None:
                errors.append(extra)
                raw_rows.append((row_no, []))
                continue
            for i in header.unnamed:
                if i < len(rec) and rec[i].strip():
                    unnamed_used.setdefault(i, row_no)
            raw_rows.append((row_no, rec))
    except csv.Error as e:
        raise _Stop(Issue(row_no + 1, None, f"the row cannot be read as CSV ({e}); check its quotes"), errors) from e
    for i, r in unnamed_used.items():
        errors.append(Issue(1, f"{_col_letter(i)} (no header)",
                            f"column {_col_letter(i)} has no header but holds data (first in row {r}); "
                            "name it or delete it"))
    if not raw_rows:
        raise _Stop(Issue(None, None, "the file has a header but no data rows"), errors)
    return raw_rows, errors


def _extra_fields(row_no: int, rec: list[str], n_head: int, delim: str) -> Issue | None:
    """The error for a row with non-empty fields beyond the header, else None."""
    extra = [j for j in range(n_head, len(rec)) if rec[j].strip()]
    if not extra:
        return None
    hint = (" (a number with a decimal comma must be quoted in a comma-separated "
            "file, or save the file with semicolons)" if delim == "," else "")
    return Issue(row_no, f"{_col_letter(extra[0])} (no header)",
                 f"row has {len(rec)} fields but the header has {n_head}{hint}")


# ------------------------------------------------------------------ stage 4: cells
class _Lookup:
    """Catalogue look-ups, cached per file (an upload repeats the same names on many rows)."""

    def __init__(self) -> None:
        self._materials: dict[str, tuple[str | None, Issue | None]] = {}
        self._countries: dict[str, tuple[str | None, Issue | None]] = {}

    def material(self, row: int, text: str) -> tuple[str | None, Issue | None]:
        if text not in self._materials:
            try:
                self._materials[text] = (catalog.resolve_material(text), None)
            except catalog.CatalogError as e:
                self._materials[text] = (None, Issue(0, "material", f"unknown material {_show(text)}",
                                                     e.suggestions[0] if e.suggestions else None))
        mid, err = self._materials[text]
        return mid, (None if err is None else Issue(row, "material", err.message, err.suggestion))

    def country(self, row: int, column: str, text: str) -> tuple[str | None, Issue | None]:
        if text == "":
            return None, None
        if text not in self._countries:
            try:
                self._countries[text] = (catalog.country_iso3(text), None)
            except catalog.CatalogError as e:
                self._countries[text] = (None, Issue(0, column, f"unknown country {_show(text)}",
                                                     e.suggestions[0] if e.suggestions else None))
        iso, err = self._countries[text]
        return iso, (None if err is None else Issue(row, column, err.message, err.suggestion))


def _read_cells(raw_rows: list[tuple[int, list[str]]], cols: dict[str, int], typed: Typed | None = None
                ) -> tuple[list[_Row], list[_Num], list[Issue], list[Issue]]:
    """Every readable row's text cells resolved and numeric cells classified:
    (rows, numeric cells, errors, warnings)."""
    known_idx = [(name, cols[name]) for name in KNOWN_COLUMNS if name in cols]
    lookup = _Lookup()
    rows: list[_Row] = []
    nums: list[_Num] = []
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for row_no, rec in raw_rows:
        if not rec:
            continue
        n_rec = len(rec)
        vals = {name: (rec[i].strip(_SPACES + "\t") if i < n_rec else "") for name, i in known_idx}
        r = _Row(row_no, vals.get("site") or DEFAULT_SITE, None, None, vals.get("material", ""), None)
        errors += _text_issues(r, vals, warnings)
        errors += _material_issues(r, lookup)
        errors += _unit_issues(r, vals.get("unit", ""))
        errors += _country_issues(r, vals, lookup)
        row_nums, row_errors = _numeric_cells(r, vals, "unit" in cols,
                                              {name: typed[(row_no, cols[name])] for name in NUMERIC_COLUMNS
                                               if (row_no, cols.get(name, -1)) in typed} if typed else None)
        nums += row_nums
        errors += row_errors
        rows.append(r)
    return rows, nums, errors, warnings


def _text_issues(r: _Row, vals: dict[str, str], warnings: list[Issue]) -> list[Issue]:
    """Control characters anywhere, formula-like or overlong site names (warnings appended)."""
    errors: list[Issue] = []
    if _control_char("".join(vals.values())):
        for name, v in vals.items():
            if _control_char(v):
                errors.append(Issue(r.row, name, "contains a control character or line break"))
                r.bad.add(name)
    if "site" not in r.bad and r.site.startswith(_FORMULA_START):
        warnings.append(Issue(r.row, "site", f"{_show(r.site)} looks like a spreadsheet formula; "
                                             "it is kept as text (exports neutralise it)"))
    if len(r.site) > 200:
        errors.append(Issue(r.row, "site", "site name is longer than 200 characters"))
        r.bad.add("site")
    return errors


def _material_issues(r: _Row, lookup: _Lookup) -> list[Issue]:
    if "material" in r.bad:
        return []
    if r.material_input == "":
        r.bad.add("material")
        return [Issue(r.row, "material", "material is empty")]
    r.material_id, err = lookup.material(r.row, r.material_input)
    if err is None:
        return []
    r.bad.add("material")
    return [err]


def _unit_issues(r: _Row, written: str) -> list[Issue]:
    """Sets ``r.unit`` (tonnes per unit) or returns why the unit cannot be read."""
    u = re.sub(r"\s+", " ", written.lower()).rstrip(".")
    if u == "":
        r.unit = Decimal(1)
    elif u in UNITS:
        r.unit = UNITS[u]
    elif "unit" not in r.bad:
        r.bad.add("unit")
        if u in AMBIGUOUS_UNITS:
            return [Issue(r.row, "unit", f"{AMBIGUOUS_UNITS[u]}; use t, kg, g or lb", "t")]
        close = difflib.get_close_matches(u, list(UNITS), n=1, cutoff=0.5)
        sugg = next(c for c in CANONICAL_UNITS if UNITS[c] == UNITS[close[0]]) if close else None
        return [Issue(r.row, "unit", f"unknown unit {_show(written)}; use t, kg, g or lb", sugg)]
    return []


def _country_issues(r: _Row, vals: dict[str, str], lookup: _Lookup) -> list[Issue]:
    errors: list[Issue] = []
    for name in ("site_country", "supplier_country"):
        if name in r.bad:
            continue
        text = vals.get(name, "")
        iso, err = lookup.country(r.row, name, text)
        setattr(r, name, iso)
        if err is not None:
            errors.append(err)
        if text and iso is None:
            r.bad.add(name)
    return errors


def _numeric_cells(r: _Row, vals: dict[str, str], unit_col: bool, typed: dict[str, Decimal] | None = None
                   ) -> tuple[list[_Num], list[Issue]]:
    """The row's numeric cells classified under both conventions, and the cells that are no number.
    ``typed``: cells the spreadsheet stored as numbers, stored exactly (no convention to decide)."""
    nums: list[_Num] = []
    errors: list[Issue] = []
    for name in NUMERIC_COLUMNS:
        t = vals.get(name, "")
        if t == "" or name in r.bad:
            continue
        if typed and name in typed:
            v = typed[name]
            issue = _store_value(r, name, v, _Num(r.row, name, t, v < 0, False, abs(v), abs(v)))
            if issue is not None:
                errors.append(issue)
                r.bad.add(name)
            continue
        c = _classify(r.row, name, t, unit_col)
        if isinstance(c, Issue):
            errors.append(c)
            r.bad.add(name)
        elif c.percent and name != "supplier_share":
            errors.append(Issue(r.row, name, f"{_show(t)}: a percentage is only allowed in "
                                             "'supplier_share'"))
            r.bad.add(name)
        else:
            nums.append(c)
    return nums, errors


# ------------------------------------------------------------------ stage 5: number convention
def _apply_numbers(rows: list[_Row], nums: list[_Num]) -> tuple[str | None, tuple[str, ...], list[Issue],
                                                               tuple[int, str, str] | None]:
    """Decide the file's convention, store each value on its row: (decimal, thousands, errors,
    the (row, column, text) of the cell the convention was inferred from)."""
    values, errors, decimal, source = _resolve_numbers(nums)
    by_row = {r.row: r for r in rows}
    for e in errors:   # number issues always name their cell
        by_row[e.row or 0].bad.add(e.column or "")
    thousands: list[str] = []
    for n in nums:
        if (n.row, n.column) in values:
            for ch in _BETWEEN_DIGITS.findall(n.text):
                if ch != decimal and ch not in thousands and not (decimal is None and n.kind == "neutral" and ch in ".,"):
                    thousands.append(ch)
    num_of = {(n.row, n.column): n for n in nums}
    for (row_no, name), v in values.items():
        issue = _store_value(by_row[row_no], name, v, num_of[(row_no, name)])
        if issue is not None:
            errors.append(issue)
            by_row[row_no].bad.add(name)
    decided_by = (source.row, source.column, source.text) if source is not None and decimal else None
    return decimal, tuple(thousands), errors, decided_by


def _store_value(r: _Row, name: str, v: Decimal, num: _Num) -> Issue | None:
    """Check a number and set it on the row (tonnes or a 0-1 share); the Issue when it is unusable."""
    text = num.text
    if v < 0:
        return Issue(r.row, name, f"{_show(text)} is negative; {name} must be >= 0")
    if _sig_digits(v) > MAX_SIG_DIGITS:
        return Issue(r.row, name, f"{_show(text)} has more than {MAX_SIG_DIGITS} significant "
                                  "digits and cannot be stored exactly")
    if name == "supplier_share":
        return _store_share(r, v, num)
    if r.unit is None:
        return None
    f = float(v * r.unit) + 0.0
    if f == 0 and v != 0:
        return Issue(r.row, name, f"{_show(text)} is too small to store; write 0 or a larger unit")
    if not math.isfinite(f) or f > MAX_QUANTITY_T:
        return Issue(r.row, name, f"{_show(text)} {_unit_name(r.unit)} is implausibly large "
                                  f"(more than {MAX_QUANTITY_T:,.0f} t); check the number and unit")
    setattr(r, name, f)
    return None


def _store_share(r: _Row, v: Decimal, num: _Num) -> Issue | None:
    name, text = "supplier_share", num.text
    if num.percent:
        if v > 100:
            return Issue(r.row, name, f"share {_show(text)} is over 100%")
        v = v / 100
    elif v > 1:
        sugg = f"{_plain(v)}%" if v <= 100 else None
        return Issue(r.row, name, f"share {_show(text)} is above 1; write shares as 0–1 "
                                  "(0.8) or as a percentage (80%)", sugg)
    r.share = float(v) + 0.0
    return None


# ------------------------------------------------------------------ stage 6: supply-line groups
def _group_lines(rows: list[_Row]) -> tuple[list[tuple], list[Issue], list[Issue]]:
    """Rows grouped by (site, material): (supply lines in row order, errors, warnings)."""
    site_country, errors = _site_countries(rows)
    warnings: list[Issue] = []
    groups: dict[tuple[str, str], list[_Row]] = {}
    for r in rows:
        if r.material_id is not None:
            groups.setdefault((r.site, r.material_id), []).append(r)
    for (site, mat), grp in groups.items():
        what = f"site {_show(site)}, material {mat!r}"
        errors += _group_quantities(grp, what)
        if any("supplier_share" in r.bad for r in grp):
            continue
        errs, warns = _group_shares(grp, what)
        errors += errs
        warnings += warns
    lines: list[tuple] = []
    for (site, mat), grp in groups.items():
        head = grp[0]
        sc = site_country.get(site, (None, 0))[0]
        for r in grp:
            lines.append((site, sc, mat, r.material_input, head.on_hand, head.monthly_use,
                          r.supplier_country, r.share, r.row))
    lines.sort(key=lambda x: x[-1])
    return lines, errors, warnings


def _site_countries(rows: list[_Row]) -> tuple[dict[str, tuple[str, int]], list[Issue]]:
    """(site -> (country, first row giving it), conflicts)."""
    site_country: dict[str, tuple[str, int]] = {}
    errors: list[Issue] = []
    for r in rows:
        if r.site_country is not None:
            prev = site_country.setdefault(r.site, (r.site_country, r.row))
            if prev[0] != r.site_country:
                errors.append(Issue(r.row, "site_country",
                                    f"site {_show(r.site)} is in {r.site_country} here but in {prev[0]} "
                                    f"in row {prev[1]}; a site has one country"))
    return site_country, errors


def _group_quantities(grp: list[_Row], what: str) -> list[Issue]:
    """on_hand and monthly_use come from the group's first row; later rows may only repeat them."""
    head = grp[0]
    errors: list[Issue] = []
    for name in ("on_hand", "monthly_use"):
        if name in head.bad:
            continue
        v0 = getattr(head, name)
        if v0 is None:
            if head.unit is not None:
                errors.append(Issue(head.row, name, f"{name} is empty; the first row of {what} must "
                                                    f"give it"))
            continue
        for r in grp[1:]:
            v = getattr(r, name)
            if v is not None and name not in r.bad and not math.isclose(v, v0, rel_tol=1e-12, abs_tol=0):
                errors.append(Issue(r.row, name, f"{_fmt_t(v)} conflicts with {_fmt_t(v0)} in row "
                                                 f"{head.row} for {what}; leave it blank or repeat "
                                                 "the same value"))
                r.bad.add(name)
    return errors


def _group_shares(grp: list[_Row], what: str) -> tuple[list[Issue], list[Issue]]:
    """Defaults a single line's share to 1, requires every share of several lines, checks the sum
    (rounding up to 1.01 is scaled away): (errors, warnings)."""
    head = grp[0]
    if len(grp) == 1:
        if head.share is None:
            head.share = 1.0
    else:
        blanks = [r for r in grp if r.share is None]
        errors = [Issue(r.row, "supplier_share",
                        f"share is empty but {what} has {len(grp)} supply lines (rows "
                        f"{', '.join(str(x.row) for x in grp)}); give each line's share") for r in blanks]
        if errors:
            return errors, []
    total = math.fsum(r.share for r in grp if r.share is not None)
    rows_txt = ("rows " if len(grp) > 1 else "row ") + ", ".join(str(x.row) for x in grp)
    if total > 1 + SHARE_SUM_TOLERANCE + 1e-12:
        return [Issue(head.row, "supplier_share",
                      f"shares of {what} sum to {total:.4g} ({rows_txt}); they must sum to at "
                      "most 1 (100%)")], []
    if total > 1 + 1e-12:
        for r in grp:
            r.share = (r.share or 0.0) / total
        return [], [Issue(head.row, "supplier_share",
                          f"shares of {what} sum to {total:.4g} ({rows_txt}); read as rounding "
                          "and scaled to sum to 1")]
    if total < 1 - 1e-12:
        return [], [Issue(head.row, "supplier_share",
                          f"shares of {what} sum to {total:.4g} ({rows_txt}); the remaining "
                          f"{1 - total:.4g} is treated as unknown origin")]
    return [], []


def _unit_name(u: Decimal) -> str:
    return next(c for c in CANONICAL_UNITS if UNITS[c] == u)


def _fmt_t(v: float) -> str:
    return f"{v:,.6g} t"
