"""A pack as a multi-page 16:9 PDF: each page a house-style figure rendered to PDF by kaleido
(chart pages exactly as their per-chart PDF export), merged with pypdf, one bookmark per page."""
from __future__ import annotations

import io

from ..charts import pages
from ..export.images import figure_bytes
from .model import Briefing, Slide


def _page_figure(sl: Slide, footer: str):
    if sl.kind == "title":
        return pages.title_page(sl.title, sl.subtitle, list(sl.lines), footer)
    if sl.kind == "findings":
        return pages.findings_page(sl.title, sl.subtitle, [(f.value, f.label, f.source) for f in sl.findings], footer)
    if sl.kind == "chart":
        return sl.chart.figure("page")
    return pages.methods_page(sl.title, sl.subtitle, list(sl.datasets), list(sl.lines), footer)


def pack_pdf(briefing: Briefing) -> bytes:
    """The pack as a PDF, one page per slide. Raises ExportUnavailable without Chromium."""
    from pypdf import PdfReader, PdfWriter
    footer = f"Prepared with Chokepoint, {briefing.made.isoformat()}. Sources: see Methods and sources."
    writer = PdfWriter()
    for i, sl in enumerate(briefing.slides):
        page = PdfReader(io.BytesIO(figure_bytes(_page_figure(sl, footer), "pdf", "16:9", grow=False))).pages[0]
        writer.add_page(page)
        writer.add_outline_item(title=sl.title, page_number=i)
    writer.add_metadata({"/Title": briefing.title, "/Author": "Chokepoint", "/Subject": briefing.subject})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
