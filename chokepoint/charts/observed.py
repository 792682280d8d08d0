"""Drawers of the observed-flows charts (views.observed): monthly imports from China and from others
with the baseline and control events, observed vs modelled ratios, China's exports by destination."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import catalog
from ..fmt import wrap_br
from .style import CHINA, GREY, OTHER, PALETTE, REGIME_COLOURS, style

if TYPE_CHECKING:
    from ..views.spec import ChartSpec


def _mark_events(fig: go.Figure, events, rows: int = 1) -> None:
    for i, e in enumerate(events):
        x = pd.Timestamp(e["date"])
        for r in range(1, rows + 1):
            fig.add_vline(x=x, line_dash="dot", line_color="#777", line_width=1, row=r, col=1)
        fig.add_annotation(x=x, y=1.0 - 0.07 * (i % 3), xref="x", yref="paper", text=e["label"], showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=10, color="#555"), bgcolor="rgba(255,255,255,0.7)")


def observed_flows(spec: ChartSpec) -> go.Figure:
    """Two panels sharing the month axis: tonnes (top, with China's baseline) and USD (bottom)."""
    d = spec.data
    usd = bool(d["value_usd"].notna().any())     # an ingested HMRC series has pounds only: no USD panel
    fig = make_subplots(rows=2 if usd else 1, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.6, 0.4] if usd else None)
    for group, colour in (("China", CHINA), ("other suppliers", OTHER)):
        g = d[d["group"] == group].sort_values("period_start")
        fig.add_trace(go.Scatter(x=g["period_start"], y=g["quantity_t"], mode="lines+markers", name=f"from {group}",
                                 line=dict(color=colour, width=3), legendgroup=group,
                                 customdata=g[["ratio_to_baseline"]].values,
                                 hovertemplate="%{x|%b %Y}: %{y:,.1f} t (%{customdata[0]:.0%} of baseline)"
                                               "<extra>" + group + "</extra>"), row=1, col=1)
        if usd:
            fig.add_trace(go.Scatter(x=g["period_start"], y=g["value_usd"], mode="lines+markers", showlegend=False,
                                     line=dict(color=colour, width=2), legendgroup=group,
                                     hovertemplate="%{x|%b %Y}: %{y:$,.0f}<extra>" + group + "</extra>"),
                          row=2, col=1)
    china = d[d["group"] == "China"]
    if len(china):
        b = float(china["baseline_t"].iloc[0])
        fig.add_hline(y=b, line_dash="dash", line_color=CHINA, row=1, col=1,
                      annotation_text=f"China, {china['baseline_label'].iloc[0]}: {b:,.0f} t",
                      annotation_position="bottom left")
    _mark_events(fig, spec.options.get("events", []), rows=2 if usd else 1)
    fig.update_yaxes(title="t per month", rangemode="tozero", tickformat=",", row=1, col=1)
    if usd:
        fig.update_yaxes(title="USD per month", rangemode="tozero", tickformat="$,.2s", row=2, col=1)
    return style(fig, spec, height=640 if usd else 460, wrap_subtitle=140)


def observed_backtest(spec: ChartSpec) -> go.Figure:
    """Observed ratio to baseline (black) against each regime's modelled ratio (dashed steps)."""
    d = spec.data.copy()
    d["period_start"] = pd.to_datetime(d["period"] + "-01")
    refs = set(spec.options.get("reference_ids", ()))
    fig = go.Figure()
    obs = d.drop_duplicates("period").sort_values("period_start")
    fig.add_hline(y=1.0, line_color="#bbb", line_width=1)
    # Regimes that model the same monthly flow for this line are drawn once, named together.
    groups: dict[tuple, list[str]] = {}
    for rid, g in d.groupby("regime", sort=False):
        groups.setdefault(tuple(g["modelled_ratio"].round(6)), []).append(rid)
    for i, rids in enumerate(groups.values()):
        g = d[d["regime"] == rids[0]].sort_values("period_start")
        ref = any(r in refs for r in rids)
        colour = GREY if ref else REGIME_COLOURS[i % len(REGIME_COLOURS)]
        names = ", ".join(catalog.short_name(d.loc[d["regime"] == r, "regime_name"].iloc[0]) for r in rids)
        fig.add_trace(go.Scatter(x=g["period_start"], y=g["modelled_ratio"], mode="lines", line_shape="hv",
                                 name=f"{wrap_br(names, 40)}: error <b>{g['error'].iloc[0]:.2f}</b>",
                                 line=dict(color=colour, width=2.5, dash="dot" if ref else "dash"),
                                 hovertemplate="%{x|%b %Y}: modelled %{y:.2f}<extra>" + wrap_br(names, 40) + "</extra>"))
    fig.add_trace(go.Scatter(x=obs["period_start"], y=obs["observed_ratio"], mode="lines+markers",
                             name="observed (imports from China / baseline)", line=dict(color="#000", width=3),
                             hovertemplate="%{x|%b %Y}: observed %{y:.2f}<extra></extra>"))
    if len(obs):
        x0 = obs["period_start"].min()
        x6 = x0 + pd.DateOffset(months=6)
        fig.add_vrect(x0=x0 - pd.Timedelta(days=15), x1=x6 - pd.Timedelta(days=15), fillcolor="#f2f2f2",
                      line_width=0, layer="below", annotation_text="error window (6 months)",
                      annotation_position="top left")
    fig.update_yaxes(title="ratio to baseline", rangemode="tozero")
    fig = style(fig, spec, height=540, wrap_subtitle=140)
    fig.update_layout(legend=dict(orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", font=dict(size=11)),
                      margin=dict(r=280))
    return fig


def china_destination_exports(spec: ChartSpec) -> go.Figure:
    """Grouped bars: China's reported exports per month by destination."""
    d = spec.data.sort_values("period_start")
    fig = go.Figure()
    for i, (dest, g) in enumerate(d.groupby("destination", sort=True)):
        fig.add_trace(go.Bar(x=g["period_start"], y=g["quantity_t"], name=dest, marker_color=PALETTE[i % len(PALETTE)],
                             text=[f"{v:,.0f}" for v in g["quantity_t"]], textposition="outside",
                             customdata=g[["source"]].values,
                             hovertemplate="%{x|%b %Y}: %{y:,.0f} t<br><i>%{customdata[0]}</i><extra>" + dest + "</extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(title="t per month", tickformat=",")
    return style(fig, spec, height=480, wrap_subtitle=140)
