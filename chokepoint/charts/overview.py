"""Drawers for the Overview charts (production shares, export shares, measures, monthly exports).

Each takes a :class:`~chokepoint.views.spec.ChartSpec` built by ``chokepoint.views.overview``
and draws its data; titles and findings come from the spec.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .. import catalog
from ..constants import WORLD
from ..fmt import pct, period_label, wrap_br
from ..views.spec import ChartSpec
from .style import CHINA, GREY, INDIRECT, OTHER, style

GROUP_LABEL = {"rare_earths": "Rare earths", "titanium": "Titanium", "magnesium": "Magnesium"}
STAGE_LABEL = {"mine": "mining", "refining": "refining", "metal": "metal", "magnet": "magnets"}
MEASURE_COLOURS = {"licence": CHINA, "ban": "#000000", "easing": "#009E73", "suspension": "#56B4E9",
                   "general licence": "#E69F00"}


def production_concentration(spec: ChartSpec) -> go.Figure:
    """Horizontal bars: China's share of world production by material and stage."""
    d = spec.data.copy()
    d["label"] = d.apply(
        lambda r: f"{GROUP_LABEL.get(r.material_group, r.material_group)}: "
                  f"{catalog.short_name(r.material_name).split(',')[0]} · {STAGE_LABEL.get(r.stage, r.stage)}"
                  f" ({r.year})", axis=1)
    d = d.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["china_share"], y=d["label"], orientation="h", marker_color=CHINA,
        text=[pct(v) for v in d["china_share"]], textposition="outside",
        hovertemplate="%{y}<br>China: %{x:.0%}<extra></extra>", name="China",
    ))
    fig.update_xaxes(range=[0, 1.08], tickformat=".0%", title="China's share of world production")
    return style(fig, spec, height=460)


SERIES_NAMES = {"850511": "Permanent magnets (HS 850511)", "280530": "Rare-earth metals (HS 280530)",
                "284690": "Rare-earth compounds (HS 284690)", "261400": "Titanium ores (HS 261400)",
                "810820": "Unwrought titanium (HS 810820)"}
#: colour and dash per line: magnets solid in China's colour, the others told apart by hue and dash
SERIES_STYLE = {"850511": (CHINA, "solid"), "280530": (OTHER, "dot"), "284690": ("#009E73", "dash"),
                "261400": ("#CC79A7", "dashdot"), "810820": ("#E69F00", "longdash")}


def export_share_series(spec: ChartSpec) -> go.Figure:
    """Lines: China's share of world export value by HS line over time."""
    fig = go.Figure()
    for hs6, g in spec.data.groupby("hs6", sort=True):
        name = SERIES_NAMES.get(hs6, f"HS {hs6}")
        colour, dash = SERIES_STYLE.get(hs6, (OTHER, "dot"))
        fig.add_trace(go.Scatter(
            x=g["year"], y=g["china_export_share"], mode="lines+markers",
            name=name, line=dict(color=colour, width=3, dash=dash), marker=dict(size=5),
            hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>",
        ))
    fig.update_yaxes(range=[0, 1], tickformat=".0%", title="China's share of world export value")
    fig.update_xaxes(dtick=2)
    return style(fig, spec)


def control_timeline(spec: ChartSpec) -> go.Figure:
    """Timeline: one marker per measure, coloured by kind, labelled with what it covers."""
    d = spec.data.sort_values("date").reset_index(drop=True)
    d["lane"] = _lanes(pd.to_datetime(d["date"]), span_days=200)
    fig = go.Figure()
    for kind, g in d.groupby("measure", sort=False):
        fig.add_trace(go.Scatter(
            x=g["date"], y=g["lane"], mode="markers+text", name=kind,
            marker=dict(size=13, color=MEASURE_COLOURS.get(kind, GREY), symbol="diamond"),
            text=[wrap_br(t, 32) for t in g["items"]], textposition="middle right",
            textfont=dict(size=11),
            customdata=g[["items", "targets", "status", "source"]].values,
            hovertemplate="<b>%{x|%d %b %Y}</b> · " + kind +
                          "<br>%{customdata[0]}<br>targets: %{customdata[1]} · %{customdata[2]}"
                          "<br><i>%{customdata[3]}</i><extra></extra>",
        ))
    # stems from the axis to each marker: one trace (one shape per event is slow to build)
    xs, ys = [], []
    for date, lane in zip(d["date"], d["lane"]):
        xs += [date, date, None]
        ys += [0, lane, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#ccc", width=1),
                             hoverinfo="skip", showlegend=False))
    fig.data = fig.data[-1:] + fig.data[:-1]  # stems under the markers
    fig.update_yaxes(visible=False, range=[0, d["lane"].max() + 1])
    dates = pd.to_datetime(d["date"])
    fig.update_xaxes(title=None, showgrid=True,  # room on the right for the last labels
                     range=[dates.min() - pd.DateOffset(months=2), dates.max() + pd.DateOffset(months=9)])
    return style(fig, spec, height=560)


def _lanes(dates: pd.Series, span_days: int) -> list[int]:
    """Greedy lane per event so that labels (about span_days wide) do not overlap."""
    last_end: list[pd.Timestamp] = []
    lanes = []
    for d in dates:
        for i, end in enumerate(last_end):
            if d > end:
                last_end[i] = d + pd.Timedelta(days=span_days)
                lanes.append(i + 1)
                break
        else:
            last_end.append(d + pd.Timedelta(days=span_days))
            lanes.append(len(last_end))
    return lanes


def monthly_exports(spec: ChartSpec) -> go.Figure:
    """Bars: controller's monthly exports against the previous year's monthly average."""
    w = spec.data[spec.data["to_country"] == WORLD].copy()
    w["label"] = [period_label(p, m) for p, m in zip(w["period_start"], w["months"])]
    fig = go.Figure(go.Bar(
        x=w["label"], y=w["monthly_t"], marker_color=[CHINA if b == "reported" else INDIRECT for b in w["basis"]],
        text=[pct(s) for s in w["share_of_ref"]], textposition="outside",
        customdata=w[["basis", "quantity_t", "months"]].values,
        hovertemplate="%{x}: %{y:,.0f} t/month (%{customdata[0]})<extra></extra>", name="t per month",
    ))
    ref = w["ref_monthly_t"].dropna()
    if len(ref):
        fig.add_hline(y=float(ref.iloc[0]), line_dash="dash", line_color="#555",
                      annotation_text=f"2024 average: {ref.iloc[0]:,.0f} t/month",
                      annotation_position="top left")
    fig.update_yaxes(title="t per month")
    return style(fig, spec)
