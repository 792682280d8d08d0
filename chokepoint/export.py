"""Exports: chart images through kaleido + Chromium, formula-safe CSV and XLSX.

Images: one persistent kaleido server per process (``kaleido.start_sync_server``) driving Debian's
Chromium; every call goes through one lock, because concurrent calls on the sync server can swap
images. If Chromium is missing, ``ExportUnavailable`` carries a one-line message for the user.

Tables: a spreadsheet treats a cell that starts with = + - @ tab or CR as a formula. Every string
cell we export that starts with one of them gets a leading apostrophe; numbers stay numbers. XLSX
is written with strings_to_formulas and strings_to_urls off as a second guard.

Packs: ``pack_pptx`` / ``pack_pdf`` turn a ``briefing.Briefing`` into a 16:9 deck (python-pptx;
chart slides carry the 2x PNG of ``figure_bytes``) or a multi-page PDF (every page a house-style
figure rendered to PDF by kaleido, merged with pypdf). ``pack_bytes(b, "pptx"|"pdf")`` picks one.
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
SIZES = {"16:9": (1280, 720), "square": (1000, 1000),
         "slide": (1200, 515)}  # the chart area of a 16:9 deck slide under its title (PNG 2400x1030)
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


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data", notes: list[str] | None = None) -> bytes:
    """XLSX with the data (formula-safe) and an optional notes sheet (sources, assumptions)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}}) as xw:
        safe_frame(df).to_excel(xw, sheet_name=sheet[:31], index=False)
        if notes:
            pd.DataFrame({"notes": [neutralise(n) for n in notes]}).to_excel(xw, sheet_name="notes", index=False)
    return buf.getvalue()


# ------------------------------------------------------------------ briefing packs (issue 05)
PACK_FORMATS = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pdf": "application/pdf"}
_INK, _GREY_TXT = (0x22, 0x22, 0x22), (0x66, 0x66, 0x66)
_DECK_FONT = "Arial"


def pack_bytes(briefing, fmt: str) -> bytes:
    """The briefing as a PPTX deck or a multi-page PDF."""
    if fmt == "pptx":
        return pack_pptx(briefing)
    if fmt == "pdf":
        return pack_pdf(briefing)
    raise ValueError(f"unknown pack format {fmt!r}; use pptx or pdf")


def _text(frame, paragraphs, *, size: int, bold: bool = False, color=_INK, bullet: bool = False,
          space_after: int = 0) -> None:
    """Fill a text frame: one paragraph per string, one font for all (word wrap on)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt
    frame.word_wrap = True
    for i, text in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = ("• " if bullet else "") + text
        f = run.font
        f.size, f.bold, f.name, f.color.rgb = Pt(size), bold, _DECK_FONT, RGBColor(*color)
        if space_after:
            para.space_after = Pt(space_after)


def _box(slide, left, top, width, height, paragraphs, **kw):
    from pptx.util import Inches
    tb = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    _text(tb.text_frame, paragraphs, **kw)
    return tb


def _rule(slide, left, top, width, height, rgb=None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches
    from . import charts
    shp = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
    shp.fill.solid()
    shp.fill.fore_color.rgb = rgb or RGBColor.from_string(charts.CHINA.lstrip("#"))
    shp.line.fill.background()


def _title(slide, text: str, *, top: float = 0.25, height: float = 0.85, size: int | None = None) -> None:
    """Use the layout's title placeholder (outline view, accessibility), placed for 16:9."""
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Inches
    t = slide.shapes.title
    t.left, t.top, t.width, t.height = Inches(0.5), Inches(top), Inches(12.33), Inches(height)
    size = size or (26 if len(text) <= 60 else 22 if len(text) <= 95 else 19)
    t.text_frame.clear()
    _text(t.text_frame, [text], size=size, bold=True)
    t.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    t.text_frame.paragraphs[0].alignment = 1  # left


def pack_pptx(briefing) -> bytes:
    """A 16:9 deck: title, key findings, one slide per chart (2x PNG, source line, speaker notes
    stating the assumptions), methods and sources. Raises ExportUnavailable without Chromium."""
    from pptx import Presentation
    from pptx.util import Emu, Inches
    from . import charts
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in (16:9)
    title_layout, title_only = prs.slide_layouts[0], prs.slide_layouts[5]
    stamp = f"Chokepoint · {briefing.made.isoformat()}"
    for sl in briefing.slides:
        if sl.kind == "title":
            s = prs.slides.add_slide(title_layout)
            _rule(s, 0.5, 1.6, 0.09, 3.0)
            _title(s, sl.title, top=1.6, height=1.7, size=36 if len(sl.title) <= 70 else 30)
            sub = s.placeholders[1]
            sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.45), Inches(11.9), Inches(0.9)
            sub.text_frame.clear()
            _text(sub.text_frame, [sl.subtitle], size=20, color=(0x55, 0x55, 0x55))
            sub.text_frame.paragraphs[0].alignment = 1
            s.shapes.title.left, s.shapes.title.width = Inches(0.8), Inches(11.9)
            _box(s, 0.8, 4.6, 11.9, 2.2, list(sl.lines), size=14, space_after=4)
        elif sl.kind == "findings":
            s = prs.slides.add_slide(title_only)
            _rule(s, 0, 0, 13.333, 0.08)
            _title(s, sl.title)
            _box(s, 0.5, 1.1, 12.33, 0.5, [sl.subtitle], size=14, color=(0x55, 0x55, 0x55))
            n = max(len(sl.findings), 1)
            w = 12.33 / n
            for i, f in enumerate(sl.findings):
                x = 0.5 + i * w
                _rule(s, x, 2.0, 0.06, 4.2)
                _box(s, x + 0.2, 1.95, w - 0.45, 1.1, [f.value], size=44 if len(f.value) <= 10 else 34, bold=True,
                     color=tuple(int(charts.CHINA[k:k + 2], 16) for k in (1, 3, 5)))
                _box(s, x + 0.2, 3.15, w - 0.45, 2.0, [f.label], size=17)
                _box(s, x + 0.2, 5.3, w - 0.45, 0.9, ["Source: " + f.source], size=10, color=_GREY_TXT)
            _box(s, 0.5, 6.9, 12.33, 0.4, [stamp], size=10, color=_GREY_TXT)
        elif sl.kind == "chart":
            s = prs.slides.add_slide(title_only)
            _rule(s, 0, 0, 13.333, 0.08)
            _title(s, sl.title)
            _box(s, 0.5, 1.1, 12.33, 0.55, [sl.subtitle], size=12 if len(sl.subtitle) <= 150 else 11,
                 color=(0x55, 0x55, 0x55))
            png = figure_bytes(charts.for_slide(sl.chart.figure), "png", "slide")
            w_px, h_px = SIZES["slide"]
            width = min(12.33, 5.1 * w_px / h_px)
            s.shapes.add_picture(io.BytesIO(png), Inches(0.5 + (12.33 - width) / 2), Inches(1.68),
                                 width=Inches(width))
            _box(s, 0.5, 6.85, 12.33, 0.5, [sl.source], size=10, color=_GREY_TXT)
        else:  # methods
            s = prs.slides.add_slide(title_only)
            _rule(s, 0, 0, 13.333, 0.08)
            _title(s, sl.title)
            _box(s, 0.5, 1.1, 12.33, 0.45, [sl.subtitle], size=14, color=(0x55, 0x55, 0x55))
            _box(s, 0.5, 1.65, 6.5, 0.35, ["Datasets"], size=14, bold=True)
            _box(s, 0.5, 2.0, 6.5, 4.8, list(sl.datasets), size=10 if len(sl.datasets) > 6 else 11,
                 bullet=True, space_after=3)
            _box(s, 7.3, 1.65, 5.5, 0.35, ["Methods"], size=14, bold=True)
            _box(s, 7.3, 2.0, 5.5, 4.8, list(sl.lines), size=10 if len(sl.lines) > 6 else 11, bullet=True,
                 space_after=3)
            _box(s, 0.5, 6.9, 12.33, 0.4, [stamp], size=10, color=_GREY_TXT)
        if sl.notes:
            s.notes_slide.notes_text_frame.text = sl.notes
    props = prs.core_properties
    props.title, props.author, props.subject = briefing.title, "Chokepoint", briefing.subject
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def pack_pdf(briefing) -> bytes:
    """The same pack as a multi-page 16:9 PDF: each page a house-style figure rendered to PDF by
    kaleido (charts exactly as their per-chart PDF export), merged with pypdf, one bookmark per page."""
    from pypdf import PdfReader, PdfWriter
    from . import charts
    footer = f"Prepared with Chokepoint, {briefing.made.isoformat()}. Sources: see Methods and sources."
    writer = PdfWriter()
    for i, sl in enumerate(briefing.slides):
        if sl.kind == "title":
            fig = charts.title_page(sl.title, sl.subtitle, list(sl.lines), footer)
        elif sl.kind == "findings":
            fig = charts.findings_page(sl.title, sl.subtitle, [(f.value, f.label, f.source) for f in sl.findings],
                                       footer)
        elif sl.kind == "chart":
            fig = charts.for_page(sl.chart.figure)
        else:
            fig = charts.methods_page(sl.title, sl.subtitle, list(sl.datasets), list(sl.lines), footer)
        page = PdfReader(io.BytesIO(figure_bytes(fig, "pdf", "16:9"))).pages[0]
        writer.add_page(page)
        writer.add_outline_item(title=sl.title, page_number=i)
    writer.add_metadata({"/Title": briefing.title, "/Author": "Chokepoint", "/Subject": briefing.subject})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
