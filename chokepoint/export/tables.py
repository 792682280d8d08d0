"""Tables for download: formula-safe CSV and XLSX, and collision-free file names.

XLSX is for people: headers are the labels of ``chokepoint.labels`` (with units) and shares keep
their value as a fraction under a percentage number format (0.842 shows as 84.2%). CSV is for
machines: machine column names, ids and raw fractions.

A spreadsheet treats a cell that starts with = + - @ tab or CR as a formula. Every string cell
we export that starts with one of them gets a leading apostrophe; numbers stay numbers. XLSX is
written with strings_to_formulas and strings_to_urls off as a second guard.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets

import pandas as pd

from .. import labels


def file_name(stem: str, ext: str) -> str:
    """A download name that never collides: slug, timestamp and a random token."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60] or "chart"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"chokepoint-{slug}-{stamp}-{secrets.token_hex(6)}.{ext}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A string that a spreadsheet would run as a formula becomes inert text; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of df with every string cell (and column name) neutralised; numeric columns untouched."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads it as UTF-8), formula-safe."""
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


#: Excel number formats by column kind (``labels.COLUMNS``); numbers stay numbers
XLSX_FORMATS = {"pct": "0.0%", "t": "#,##0.00", "usd": "#,##0", "months": "0.0", "ratio": "0.00", "int": "0",
                "date": "yyyy-mm-dd"}


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data", notes: list[str] | None = None) -> bytes:
    """XLSX with the data (formula-safe, human headers with units, percentages as a number
    format) and an optional notes sheet (sources, assumptions)."""
    buf = io.BytesIO()
    kinds = [labels.kind(str(c)) for c in df.columns]
    out = df.copy()
    out.columns = [labels.label(str(c)) for c in df.columns]
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}}) as xw:
        name = sheet[:31]
        safe_frame(out).to_excel(xw, sheet_name=name, index=False)
        ws = xw.sheets[name]
        for i, k in enumerate(kinds):
            width = min(max(len(str(out.columns[i])) + 2, 10), 60)
            ws.set_column(i, i, width, xw.book.add_format({"num_format": XLSX_FORMATS[k]}) if k in XLSX_FORMATS
                          else None)
        if notes:
            pd.DataFrame({"notes": [neutralise(n) for n in notes]}).to_excel(xw, sheet_name="notes", index=False)
    return buf.getvalue()
