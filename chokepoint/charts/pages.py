"""PDF page layouts of a briefing pack: the title page, the key-findings page and the methods
page, as 16:9 plotly figures in the house style (chart pages are the charts themselves)."""
from __future__ import annotations

import plotly.graph_objects as go

from ..fmt import wrap
from .style import CHINA, FONT

PAGE_W, PAGE_H = 1280, 720   # CSS px of a 16:9 briefing page (13.333 x 7.5 in at 96 px/in)


def _page(title: str, subtitle: str = "", footer: str = "") -> go.Figure:
    """An empty 16:9 page in the house style: a China-vermillion rule, a title and a subtitle."""
    fig = go.Figure()
    fig.update_xaxes(visible=False, range=[0, 1])
    fig.update_yaxes(visible=False, range=[0, 1])
    fig.update_layout(width=PAGE_W, height=PAGE_H, showlegend=False,
                      font=dict(family=FONT, size=16, color="#222"), margin=dict(l=0, r=0, t=0, b=0),
                      plot_bgcolor="white", paper_bgcolor="white")
    fig.add_shape(type="rect", xref="paper", yref="paper", x0=0, x1=1, y0=0.985, y1=1,
                  fillcolor=CHINA, line_width=0)
    fig.add_annotation(text=f"<b>{title}</b>", xref="paper", yref="paper", x=0.05, y=0.93,
                       xanchor="left", yanchor="top", showarrow=False, font=dict(size=30), align="left")
    if subtitle:
        fig.add_annotation(text="<br>".join(wrap(subtitle, 120)), xref="paper", yref="paper", x=0.05,
                           y=0.855, xanchor="left", yanchor="top", showarrow=False,
                           font=dict(size=16, color="#555"), align="left")
    if footer:
        fig.add_annotation(text="<br>".join(wrap(footer, 170)), xref="paper", yref="paper", x=0.05,
                           y=0.03, xanchor="left", yanchor="bottom", showarrow=False,
                           font=dict(size=11, color="#666"), align="left")
    return fig


def title_page(title: str, subtitle: str, lines: list[str], footer: str) -> go.Figure:
    """The cover page of a PDF pack."""
    fig = _page("", footer=footer)
    fig.layout.annotations = fig.layout.annotations[1:]  # no small title: the big one below
    fig.add_annotation(text="<br>".join(f"<b>{t}</b>" for t in wrap(title, 52)), xref="paper", yref="paper",
                       x=0.06, y=0.70, xanchor="left", yanchor="bottom", showarrow=False,
                       font=dict(size=40, color="#222"), align="left")
    fig.add_annotation(text="<br>".join(wrap(subtitle, 90)), xref="paper", yref="paper", x=0.06, y=0.66,
                       xanchor="left", yanchor="top", showarrow=False, font=dict(size=20, color="#555"),
                       align="left")
    fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0.06, y=0.50, xanchor="left",
                       yanchor="top", showarrow=False, font=dict(size=16, color="#333"), align="left")
    fig.add_shape(type="rect", xref="paper", yref="paper", x0=0.035, x1=0.042, y0=0.50, y1=0.86,
                  fillcolor=CHINA, line_width=0)
    return fig


def findings_page(title: str, subtitle: str, findings: list[tuple[str, str, str]], footer: str) -> go.Figure:
    """Key findings: up to three (number, what it is, source) side by side, the numbers large."""
    fig = _page(title, subtitle, footer)
    n = max(len(findings), 1)
    for i, (value, label, source) in enumerate(findings):
        x = 0.05 + i * 0.92 / n
        fig.add_shape(type="line", xref="paper", yref="paper", x0=x, x1=x, y0=0.22, y1=0.72,
                      line=dict(color=CHINA, width=4))
        fig.add_annotation(text=f"<b>{value}</b>", xref="paper", yref="paper", x=x + 0.015, y=0.72,
                           xanchor="left", yanchor="top", showarrow=False, font=dict(size=54, color=CHINA))
        fig.add_annotation(text="<br>".join(wrap(label, 38)), xref="paper", yref="paper", x=x + 0.015,
                           y=0.56, xanchor="left", yanchor="top", showarrow=False, font=dict(size=18),
                           align="left")
        fig.add_annotation(text="<br>".join(wrap("Source: " + source, 60)), xref="paper", yref="paper",
                           x=x + 0.015, y=0.22, xanchor="left", yanchor="bottom", showarrow=False,
                           font=dict(size=12, color="#666"), align="left")
    return fig


def _bullets(items: list[str], width: int) -> str:
    lines: list[str] = []
    for item in items:
        wrapped = wrap(item, width)
        lines += ["• " + wrapped[0]] + ["   " + w for w in wrapped[1:]]
    return "<br>".join(lines)


def methods_page(title: str, subtitle: str, datasets: list[str], methods: list[str], footer: str) -> go.Figure:
    """Methods and sources: datasets on the left, how the numbers were computed on the right."""
    fig = _page(title, subtitle, footer)
    n = sum(len(wrap(t, 80)) for t in datasets) + sum(len(wrap(t, 64)) for t in methods) / 2
    size = 12 if n <= 40 else 11
    for x, head, items, width in ((0.05, "Datasets", datasets, 80), (0.56, "Methods", methods, 64)):
        fig.add_annotation(text=f"<b>{head}</b>", xref="paper", yref="paper", x=x, y=0.77, xanchor="left",
                           yanchor="top", showarrow=False, font=dict(size=16))
        fig.add_annotation(text=_bullets(items, int(width * 12 / size)), xref="paper", yref="paper", x=x, y=0.72,
                           xanchor="left", yanchor="top", showarrow=False, font=dict(size=size), align="left")
    return fig
