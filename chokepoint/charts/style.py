"""The house style: colours, fonts, and the title block every chart carries.

``style`` writes a spec's finding title, scope subtitle and source line (with the date stamp)
onto a figure; the text comes from the :class:`~chokepoint.views.spec.ChartSpec`, never from
the drawing code.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import plotly.io as pio

from ..constants import CONTROLLER, ROW, UNKNOWN_ORIGIN
from ..fmt import wrap, wrap_br

if TYPE_CHECKING:
    from ..views.spec import ChartSpec

CHINA = "#D55E00"          # vermillion: China, everywhere
OTHER = "#0072B2"          # blue: everyone else (single series)
GREY = "#999999"           # rest of world / unknown
INDIRECT = "#F4B183"       # light vermillion: China through third countries (look-through)
NO_DATA = "#E6E6E6"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
REGIME_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#882255", CHINA]
COVER_SCALE = [[0.0, "#B2182B"], [0.17, "#E66101"], [0.34, "#FDB863"], [0.6, "#D9F0D3"], [1.0, "#1B7837"]]
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
SOURCE_ANNOTATION = "source"   # the name of the source-line annotation (a slide drops it)


TEMPLATE = "chokepoint"
TITLE_CHARS = 110   # a finding title's line at 18 px in a half-width-or-wider chart (and 16:9 exports)
SUBTITLE_CHARS = 125   # a subtitle's line at 13 px: plotly never wraps, so a longer line ran off the chart


def house_template() -> go.layout.Template:
    """plotly_white's layout (white background, grey grid) and the trace defaults of the kinds we
    draw, with the house font and colours; without plotly_white's defaults for the 20 trace kinds
    we never use. Registered once per process by :func:`use_house_template`."""
    white = pio.templates["plotly_white"]
    data = {kind: list(getattr(white.data, kind)) for kind in ("bar", "heatmap", "scatter", "choropleth")}
    t = go.layout.Template(layout=white.layout, data=data)
    t.layout.update(font=dict(family=FONT, size=13, color="#222"), colorway=PALETTE)
    return t


def use_house_template() -> None:
    """Make the house template plotly's default, once. Every ``go.Figure()`` copies the default
    template into its layout; plotly's own default carries the defaults of every trace kind and
    cost ~35 ms per figure, and setting ``template="plotly_white"`` per figure ~130 ms (measured
    in bench/bench_rerun.py), most of a page rerun."""
    if TEMPLATE not in pio.templates:
        pio.templates[TEMPLATE] = house_template()
    pio.templates.default = TEMPLATE


def country_color(iso3: str, i: int = 0) -> str:
    if iso3 == CONTROLLER:
        return CHINA
    if iso3 in (ROW, UNKNOWN_ORIGIN):
        return GREY
    return PALETTE[i % len(PALETTE)]


def style(fig: go.Figure, spec: ChartSpec, *, height: int = 420, wrap_subtitle: int | None = None) -> go.Figure:
    """Apply the house style: the spec's finding title, scope subtitle, source line and date stamp."""
    stamp = dt.date.today().isoformat()
    lines = wrap(f"Source: {spec.source} · Chokepoint, {stamp}", 110)
    subtitle = "<br>".join(wrap_br(line, wrap_subtitle or SUBTITLE_CHARS) for line in spec.subtitle.split("\n"))
    title = wrap(spec.title, TITLE_CHARS)          # a long finding wraps instead of running off the chart
    sub_lines = subtitle.count("<br>") + 1
    fig.update_layout(
        title=dict(text=f"<b>{'<br>'.join(title)}</b><br><span style='font-size:13px;color:#555'>{subtitle}</span>",
                   x=0.0, xanchor="left", y=0.97, yanchor="top", font=dict(size=18)),
        font=dict(family=FONT, size=13, color="#222"),
        height=height + 24 * (len(title) - 1),
        margin=dict(l=60, r=30, t=max(90, 40 + 24 * len(title) + 17 * sub_lines), b=70 + 14 * len(lines)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        colorway=PALETTE,
    )
    fig.add_annotation(
        text="<br>".join(lines), showarrow=False, name=SOURCE_ANNOTATION,
        xref="paper", yref="paper", x=0, y=0, yshift=-48, xanchor="left", yanchor="top",
        font=dict(size=10, color="#666"), align="left",
    )
    return fig


def for_slide(fig: go.Figure, font_size: int = 14) -> go.Figure:
    """A copy for a deck slide: the slide carries title, subtitle and source as text, so the
    image drops them (the house colours, axes and labels stay) and the fonts grow a little."""
    f = go.Figure(fig)
    f.layout.annotations = [a for a in (f.layout.annotations or ()) if a.name != SOURCE_ANNOTATION]
    m = f.layout.margin
    top = max((m.t if m.t is not None else 90) - 60, 45 if f.layout.legend.orientation == "h" else 20)
    f.update_layout(title=dict(text=""), font=dict(size=font_size),
                    margin=dict(t=top, b=60, l=m.l if m.l is not None else 60, r=m.r if m.r is not None else 30))
    return f


def for_page(fig: go.Figure) -> go.Figure:
    """A copy for a 16:9 PDF page: the title block kept inside the page (house y = 0.97)."""
    f = go.Figure(fig)
    if f.layout.title.y is not None and f.layout.title.y > 0.97:
        f.update_layout(title=dict(y=0.97, yanchor="top"))
    return f
