"""Exports: chart images through kaleido + Chromium, formula-safe CSV and XLSX.

Images: one persistent kaleido server per process (``kaleido.start_sync_server``) driving Debian's
Chromium; every call goes through one lock, because concurrent calls on the sync server can swap
images. If Chromium is missing, ``ExportUnavailable`` carries a one-line message for the user.

Tables: a spreadsheet treats a cell that starts with = + - @ tab or CR as a formula. Every string
cell we export that starts with one of them gets a leading apostrophe; numbers stay numbers. XLSX
is written with strings_to_formulas and strings_to_urls off as a second guard.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import threading
import datetime as dt

import pandas as pd
import plotly.graph_objects as go

#: Image sizes in CSS pixels; PNG is rendered at scale 2 (so 2560x1440 for 16:9).
SIZES = {"16:9": (1280, 720), "square": (1000, 1000)}
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_lock = threading.Lock()
_server_started = False


class ExportUnavailable(RuntimeError):
    """Image export cannot run here (e.g. Chromium missing); the message says what to install."""


def _ensure_server() -> None:
    global _server_started
    if _server_started:
        return
    import kaleido
    try:
        kaleido.start_sync_server(n=1, timeout=90, mathjax=False, silence_warnings=True)
    except Exception as e:  # noqa: BLE001 - any failure to start Chromium becomes one clear message
        raise ExportUnavailable(
            "Chart image export needs Chromium: install it with "
            "'apt-get install -y --no-install-recommends chromium fonts-liberation' "
            f"({type(e).__name__}: {e})") from e
    _server_started = True


def image_export_problem() -> str | None:
    """None when a Chromium for kaleido is installed, else the one-line message to show."""
    import shutil
    if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome")):
        return None
    return ("Chart images (PNG/SVG/PDF) need Chromium on the server: "
            "apt-get install -y --no-install-recommends chromium fonts-liberation")


def figure_bytes(fig: go.Figure, fmt: str = "png", size: str = "16:9") -> bytes:
    """The figure as PNG (2x), SVG or PDF bytes at a briefing size ('16:9' or 'square')."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {sorted(FORMATS)}")
    width, height = SIZES[size]
    opts = {"format": fmt, "width": width, "height": height, "scale": 2 if fmt == "png" else 1}
    import kaleido
    with _lock:
        _ensure_server()
        try:
            return kaleido.calc_fig_sync(fig, opts=opts)
        except ExportUnavailable:
            raise
        except Exception as e:  # noqa: BLE001 - a browser that died mid-render: say so, plainly
            msg = str(e)
            if "chrom" in msg.lower() or "browser" in msg.lower():
                raise ExportUnavailable(f"Chart image export failed in Chromium: {msg}") from e
            raise


def file_name(stem: str, ext: str) -> str:
    """A download name that never collides: slug, timestamp and a random token."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60] or "chart"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"chokepoint-{slug}-{stamp}-{secrets.token_hex(3)}.{ext}"

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


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data", notes: list[str] | None = None) -> bytes:
    """XLSX with the data (formula-safe) and an optional notes sheet (sources, assumptions)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}}) as xw:
        safe_frame(df).to_excel(xw, sheet_name=sheet[:31], index=False)
        if notes:
            pd.DataFrame({"notes": [neutralise(n) for n in notes]}).to_excel(xw, sheet_name="notes", index=False)
    return buf.getvalue()
