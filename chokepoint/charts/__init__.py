"""Drawing: one house style, and one drawer per chart kind.

``draw(spec)`` turns a :class:`~chokepoint.views.spec.ChartSpec` into a plotly figure; the
drawers only draw what the spec holds (its data and drawing options) and write its title,
subtitle and source line with ``style``. What a chart says is decided in ``chokepoint.views``.

Modules: ``style`` (colours, title block, slide/page copies), ``overview``, ``exposure``,
``cover``, ``company`` (drawers by page) and ``pages`` (the PDF pack's text pages).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from ..fmt import cover_label, months_label, pct, period_label
from . import company, cover, exposure, observed, overview
from .pages import PAGE_H, PAGE_W, findings_page, methods_page, title_page
from .style import CHINA, GREY, OTHER, PALETTE, for_page, for_slide, style, use_house_template

if TYPE_CHECKING:
    from ..views.spec import ChartSpec, Target

use_house_template()  # plotly's template default, set once per process (see style.use_house_template)

DRAWERS: dict[str, Callable[[ChartSpec], go.Figure]] = {
    fn.__name__: fn for fn in (
        overview.production_concentration, overview.export_share_series, overview.control_timeline,
        overview.monthly_exports,
        exposure.china_share_map, exposure.exposure_ranking, exposure.supplier_stack, exposure.supplier_sankey,
        exposure.exposure_profile, exposure.china_export_share_lines, exposure.exposure_change,
        cover.cover_heatmap, cover.rundown_curves, cover.cover_tornado, cover.cover_preview,
        company.holding_cover_bars, company.rundown_lines, company.holding_supplier_stack,
        company.company_cover_heatmap, company.company_drivers, company.company_what_if, company.snapshot_change,
        observed.observed_flows, observed.observed_backtest, observed.china_destination_exports,
        company.snapshot_cover_change,
    )
}


def draw(spec: ChartSpec, target: Target = "screen") -> go.Figure:
    """The figure of a spec: for the screen (and image exports), a deck slide (no title block: the
    slide carries it as text) or a 16:9 PDF page."""
    try:
        drawer = DRAWERS[spec.chart]
    except KeyError:
        raise ValueError(f"no drawer for chart kind {spec.chart!r} (known: {', '.join(DRAWERS)})") from None
    fig = drawer(spec)
    if target == "slide":
        return for_slide(fig)
    if target == "page":
        return for_page(fig)
    return fig


__all__ = ["CHINA", "DRAWERS", "GREY", "OTHER", "PAGE_H", "PAGE_W", "PALETTE", "cover_label", "draw",
           "findings_page", "for_page", "for_slide", "methods_page", "months_label", "pct", "period_label",
           "style", "title_page"]
