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

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from chokepoint.csv_cells import Typed, _read_cells
from chokepoint.csv_convention import _apply_numbers
from chokepoint.csv_decode import _decode_stage
from chokepoint.csv_groups import _group_lines
from chokepoint.csv_header import _read_header, _read_records
from chokepoint.csv_issue import Issue, _show, _Stop
from chokepoint.csv_rules import (
    DEFAULT_SITE,
    KNOWN_COLUMNS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_QUANTITY_T,
    MAX_ROWS,
    MAX_SIG_DIGITS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SHARE_SUM_TOLERANCE,
)

__all__ = ["DEFAULT_SITE", "HOLDING_COLUMNS", "KNOWN_COLUMNS", "LINE_COLUMNS", "MAX_BYTES", "MAX_COLUMNS",
           "MAX_QUANTITY_T", "MAX_ROWS", "MAX_SIG_DIGITS", "NUMERIC_COLUMNS", "OPTIONAL_COLUMNS",
           "REQUIRED_COLUMNS", "SHARE_SUM_TOLERANCE", "Dialect", "Issue", "ParseResult", "coerce_lines",
           "holdings_from_lines", "parse_stockpile_csv"]

LINE_COLUMNS = ("site", "site_country", "material_id", "material_input", "on_hand_t",
                "monthly_use_t", "supplier_country", "supplier_share", "source_row")
HOLDING_COLUMNS = ("site", "site_country", "material_id", "on_hand_t", "monthly_use_t",
                   "share_total", "share_known", "unknown_share", "n_lines", "first_row")
_STR_COLS = ("site", "site_country", "material_id", "material_input", "supplier_country")
_INT_COLS = ("source_row", "n_lines", "first_row")


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

