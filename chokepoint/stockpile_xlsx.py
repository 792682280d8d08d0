"""Company stockpile workbooks (.xlsx): the same reading rules as the CSV, on a worksheet's cells.

``parse_stockpile_xlsx(data, sheet=None)`` reads the first worksheet (or the one named) with
python-calamine (the faster of the maintained readers on a 100,000-row workbook, see
bench/bench_stockpile_xlsx.py) and hands its rows to the stages of the CSV reader
(:mod:`chokepoint.stockpile_csv`: header, records, cells, groups), so every check and message is
the same. Row numbers are the worksheet's (row 1 is Excel's row 1, whatever rows are blank);
columns are named by their header as in a CSV.

What differs from a CSV:

* cells Excel stores as **numbers** are exact values and need no decimal convention (a
  percentage-formatted 80% is the number 0.8); text cells ("12,5") follow the CSV rules;
* **formulas are never evaluated**: a formula cell is read as the value Excel saved with it;
  a formula saved without a value (files written by scripts) is an error naming the cell, and
  a cell holding an error value (#DIV/0!, #N/A) reads as that error;
* dates, times and TRUE/FALSE are text here, so a date in ``on_hand`` is "not a number";
* bounds: at most ``MAX_BYTES`` (25 MB) as uploaded, ``MAX_UNZIPPED`` once decompressed (a zip
  bomb is refused from its directory, before any part is inflated), ``MAX_ROWS`` data rows and
  ``MAX_COLUMNS`` columns in the sheet's used range.

``parse_stockpile_file(data, filename, sheet=None)`` is what the page and the CLI call: a
workbook by its bytes (a ZIP), everything else as CSV. Pure: no Streamlit, no I/O.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import pandas as pd

from chokepoint.csv_header import _col_letter
from chokepoint.csv_issue import Issue, _show
from chokepoint.csv_rules import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, _norm_header
from chokepoint.stockpile_csv import (
    LINE_COLUMNS,
    Dialect,
    ParseResult,
    Typed,
    _Outcome,
    _parse_rows,
    _Stop,
    coerce_lines,
    holdings_from_lines,
    parse_stockpile_csv,
)

MAX_UNZIPPED = 256 * 1024 * 1024     # a 100,000-row sheet is ~30 MB of XML
MAX_PART = 128 * 1024 * 1024         # one part (a sheet, the shared strings)
ENCODING = "Excel workbook (.xlsx)"
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def is_workbook(data: bytes) -> bool:
    """True for the bytes of an .xlsx/.xlsm workbook (a ZIP file)."""
    return data.startswith(_XLSX_MAGIC)


def sheet_names(data: bytes) -> list[str]:
    """The worksheets of a workbook in order (empty when it cannot be opened)."""
    try:
        _check_zip(data)
        return list(_open(data).sheet_names)
    except (_Stop, Exception):  # noqa: BLE001 - the parse reports why; a picker just has no choices
        return []


def parse_stockpile_file(data: bytes, *, filename: str = "upload.csv", sheet: str | None = None) -> ParseResult:
    """A stockpile upload of either kind: a workbook (by its bytes) or a CSV."""
    if is_workbook(data):
        return parse_stockpile_xlsx(data, filename=filename, sheet=sheet)
    return parse_stockpile_csv(data, filename=filename)


def parse_stockpile_xlsx(data: bytes, *, filename: str = "upload.xlsx", sheet: str | None = None) -> ParseResult:
    """Read a stockpile worksheet; see the module docstring. Rejected whole on any error."""
    res = _Outcome(dialect=Dialect(encoding=ENCODING, delimiter="", sheet=sheet or ""))
    try:
        if len(data) > MAX_BYTES:
            raise _Stop(Issue(None, None, f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                                          f"{MAX_BYTES // 1024 // 1024} MB"))
        _check_zip(data)
        wb = _open(data)
        name = _pick_sheet(wb, sheet)
        res.dialect = Dialect(encoding=ENCODING, delimiter="", sheet=name)
        grid, typed = _cells(wb.get_sheet_by_name(name))
        unsaved = _formulas_without_value(data, list(wb.sheet_names).index(name))
        _parse_rows(iter(grid), res, res.dialect, typed)
        res.errors += _unsaved_issues(unsaved, grid)
    except _Stop as stop:
        res.errors.extend(stop.earlier)
        res.errors.append(stop.issue)
        res.data_rows = 0
    res.errors.sort(key=lambda i: (i.row or 0))
    res.warnings.sort(key=lambda i: (i.row or 0))
    if res.errors:
        lines = coerce_lines(pd.DataFrame())
        return ParseResult(res.errors, res.warnings, res.dialect, lines, holdings_from_lines(lines), filename,
                           res.data_rows)
    lines = coerce_lines(pd.DataFrame(res.lines, columns=list(LINE_COLUMNS)))
    return ParseResult(res.errors, res.warnings, res.dialect, lines, holdings_from_lines(lines), filename,
                       res.data_rows)


# ------------------------------------------------------------------ the container
def _check_zip(data: bytes) -> None:
    """Refuse what is no workbook, or would inflate past the caps, from the ZIP directory alone."""
    if data.startswith(_OLE_MAGIC):
        raise _Stop(Issue(None, None, "this is an old Excel 97-2003 workbook (.xls): save it as .xlsx "
                                      "(Excel Workbook) or as 'CSV UTF-8' and upload that"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise _Stop(Issue(None, None, f"this is not a readable .xlsx workbook ({e}); save it again from Excel "
                                      "as 'Excel Workbook (.xlsx)' or as 'CSV UTF-8'")) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise _Stop(Issue(None, None, "this ZIP file is not an Excel workbook (no xl/workbook.xml); upload "
                                      "the .xlsx or a CSV"))
    total = sum(i.file_size for i in infos)
    big = max(infos, key=lambda i: i.file_size)
    if total > MAX_UNZIPPED or big.file_size > MAX_PART:
        raise _Stop(Issue(None, None, f"the workbook unpacks to {total / 1024 / 1024:,.0f} MB (part "
                                      f"{_show(big.filename)}: {big.file_size / 1024 / 1024:,.0f} MB); the limit is "
                                      f"{MAX_UNZIPPED // 1024 // 1024} MB — a stockpile sheet is far smaller"))


def _open(data: bytes):
    import python_calamine
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise _Stop(Issue(None, None, "the workbook is password-protected: save an unprotected copy")) from None
    except Exception as e:  # noqa: BLE001 - calamine's errors (zip, XML) name what is broken
        raise _Stop(Issue(None, None, f"the workbook cannot be read ({_show(str(e), 120)[1:-1]}); save it "
                                      "again from Excel")) from None


def _pick_sheet(wb, sheet: str | None) -> str:
    names = list(wb.sheet_names)
    if not names:
        raise _Stop(Issue(None, None, "the workbook has no worksheet"))
    if sheet is None or sheet == "":
        return names[0]
    if sheet not in names:
        raise _Stop(Issue(None, None, f"the workbook has no sheet {_show(sheet)} (it has: "
                                      f"{', '.join(_show(n) for n in names)})"))
    return sheet


# ------------------------------------------------------------------ cells
def _cells(ws) -> tuple[list[list[str]], Typed]:
    """Every row from row 1 (text of each cell) and the cells stored as numbers."""
    end_row, end_col = ws.end if ws.end is not None else (0, 0)
    if end_col + 1 > MAX_COLUMNS:
        raise _Stop(Issue(1, None, f"the sheet uses {end_col + 1:,} columns (limit {MAX_COLUMNS:,}): this is "
                                   "not a stockpile sheet"))
    if end_row > 2 * MAX_ROWS:   # the exact data-row limit (blank rows not counted) is the CSV stage's
        raise _Stop(Issue(None, None, f"the sheet uses {end_row + 1:,} rows; the limit is {MAX_ROWS:,} data rows: "
                                      "split it into several files"))
    grid: list[list[str]] = []
    typed: Typed = {}
    for r, row in enumerate(ws.to_python(skip_empty_area=False), start=1):
        out = []
        for c, v in enumerate(row):
            if isinstance(v, bool):
                out.append("TRUE" if v else "FALSE")
            elif isinstance(v, (int, float)):
                d = Decimal(repr(float(v))) if isinstance(v, float) else Decimal(v)
                text = _number_text(d)
                typed[(r, c)] = d
                out.append(text)
            elif isinstance(v, (dt.datetime, dt.date, dt.time)):
                out.append(v.isoformat())
            elif isinstance(v, dt.timedelta):
                out.append(str(v))
            else:
                out.append("" if v is None else str(v))
        grid.append(out)
    return grid, typed


def _number_text(d: Decimal) -> str:
    """A stored number as Excel's General format shows it (for messages): 12.5, 1000, 1E+20."""
    if not d.is_finite():
        return str(d)
    n = d.normalize()
    return format(n, "f") if -15 < n.adjusted() < 15 else str(n)


# ------------------------------------------------------------------ formulas without a saved value
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')


def _sheet_part(z: zipfile.ZipFile, index: int) -> str | None:
    """The ZIP part of the index-th worksheet (through workbook.xml and its relationships)."""
    wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
    sheets = wb.findall("m:sheets/m:sheet", _NS)
    if index >= len(sheets):
        return None
    rid = sheets[index].get(f"{{{_NS['r']}}}id")
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall("rel:Relationship", _NS):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _formulas_without_value(data: bytes, index: int) -> list[tuple[int, int, str]]:
    """(row, column index, formula) of each formula cell saved without its value. Calamine reads
    such a cell as empty; it must not pass as a blank."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            part = _sheet_part(z, index)
            if part is None or part not in z.namelist():
                return []
            xml = z.read(part)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return []
    if b"<f" not in xml:
        return []
    out = []
    for m in _CELL.finditer(xml):
        body = m.group(2) or b""
        saved = re.search(rb"<v>[^<]+</v>", body) is not None or b't="str"' in m.group(1)
        if b"<f" in body and not saved and b"<is>" not in body:
            ref = _REF.search(m.group(1))
            if ref is None:
                continue
            f = re.search(rb"<f[^>]*>(.*?)</f>", body, re.S)
            col = 0
            for ch in ref.group(1).decode():
                col = col * 26 + ord(ch) - 64
            out.append((int(ref.group(2)), col - 1, "=" + (f.group(1).decode("utf-8", "replace") if f else "…")))
    return out


def _unsaved_issues(unsaved: list[tuple[int, int, str]], grid: list[list[str]]) -> list[Issue]:
    header = grid[0] if grid else []
    issues = []
    for row, col, formula in unsaved:
        if row == 1:
            name = None
        else:
            name = (_norm_header(header[col]) if col < len(header) and header[col].strip()
                    else f"{_col_letter(col)} (no header)")
        issues.append(Issue(row, name, f"cell {_col_letter(col)}{row} holds the formula {_show(formula)} saved "
                                       "without its value; formulas are never run here: open the file in Excel, "
                                       "save it, and upload it again (or type the value)"))
    return issues
