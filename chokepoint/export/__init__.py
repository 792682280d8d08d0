"""Exports: tables (formula-safe CSV and XLSX, file names) and images (kaleido + Chromium).

Briefing packs (PPTX, PDF) are written by ``chokepoint.briefing``; ``pack_pptx``, ``pack_pdf``
and ``pack_bytes`` are forwarded from there so the CLI and the pages have one export module.
"""
from __future__ import annotations

from .images import FORMATS, SIZES, ExportUnavailable, canvas, figure_bytes, image_export_problem
from .tables import file_name, neutralise, safe_frame, to_csv_bytes, to_xlsx_bytes

PACK_FORMATS = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pdf": "application/pdf"}


def pack_pptx(briefing) -> bytes:
    """The briefing as a 16:9 deck (``chokepoint.briefing.pptx``)."""
    from ..briefing import pack_pptx as write
    return write(briefing)


def pack_pdf(briefing) -> bytes:
    """The briefing as a multi-page 16:9 PDF (``chokepoint.briefing.pdf``)."""
    from ..briefing import pack_pdf as write
    return write(briefing)


def pack_bytes(briefing, fmt: str) -> bytes:
    """The briefing as a PPTX deck or a multi-page PDF."""
    from ..briefing import pack_bytes as write
    return write(briefing, fmt)


__all__ = ["FORMATS", "PACK_FORMATS", "SIZES", "ExportUnavailable", "canvas", "figure_bytes", "file_name",
           "image_export_problem", "neutralise", "pack_bytes", "pack_pdf", "pack_pptx", "safe_frame",
           "to_csv_bytes", "to_xlsx_bytes"]
