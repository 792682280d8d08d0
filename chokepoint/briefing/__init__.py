"""Briefing packs: a country's or a company's story as a PPTX deck and a PDF.

``model`` (slides, choices, notes), ``packs`` (the country and the company pack, built from
``chokepoint.views``), ``pptx`` and ``pdf`` (the files). No Streamlit; queries run through an
injectable ``run(name, **params)`` and provenance is passed in as the ``datasets.yml`` mapping.
"""
from __future__ import annotations

from ..export import PACK_FORMATS
from ..views.cover import CoverPart, regime_notes
from ..views.spec import ChartSpec, Finding
from .model import (
    METHODS,
    Briefing,
    BriefingInputError,
    Slide,
    countries,
    dataset_line,
    dataset_short,
    resolve_materials,
    resolve_regimes,
    traded_materials,
)
from .packs import company_briefing, company_cover, country_briefing


def pack_pptx(briefing: Briefing) -> bytes:
    from .pptx import pack_pptx as write
    return write(briefing)


def pack_pdf(briefing: Briefing) -> bytes:
    from .pdf import pack_pdf as write
    return write(briefing)


def pack_bytes(briefing: Briefing, fmt: str) -> bytes:
    """The briefing as a PPTX deck or a multi-page PDF."""
    if fmt == "pptx":
        return pack_pptx(briefing)
    if fmt == "pdf":
        return pack_pdf(briefing)
    raise ValueError(f"unknown pack format {fmt!r}; use pptx or pdf")


__all__ = ["METHODS", "PACK_FORMATS", "Briefing", "BriefingInputError", "ChartSpec", "CoverPart", "Finding",
           "Slide", "company_briefing", "company_cover", "countries", "country_briefing", "dataset_line",
           "dataset_short", "pack_bytes", "pack_pdf", "pack_pptx", "regime_notes", "resolve_materials",
           "resolve_regimes", "traded_materials"]
