"""Drawers for the months-of-cover charts: heatmap, run-down curves, tornado, regime preview.
Titles and findings come from the spec (``chokepoint.views.cover``)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .. import catalog
from ..fmt import cover_label, pct, wrap_br
from ..views.spec import ChartSpec
from .style import CHINA, COVER_SCALE, GREY, NO_DATA, OTHER, PALETTE, REGIME_COLOURS, style


def cover_heatmap(spec: ChartSpec) -> go.Figure:
    """Heatmap: country x regime months of cover, red (runs out soon) to green (lasts the horizon).

    df (scenarios.country_cover rows): holder, holder_name, regime, regime_name, months, state,
    horizon_months, months_capped, china_share. Rows sorted by China's share of supply (most
    exposed on top); cells labelled '4.7', '36+' or 'n/a'."""
    df, selected = spec.data, spec.options.get("selected")
    regimes_order = list(dict.fromkeys(df["regime"]))
    names = dict(zip(df["regime"], df["regime_name"]))
    order = (df.drop_duplicates("holder").sort_values(["china_share", "holder_name"], ascending=[False, True],
                                                       na_position="last")["holder"].tolist())
    hmax = int(df["horizon_months"].max()) if len(df) else 36
    piv = df.pivot_table(index="holder", columns="regime", values="months_capped", aggfunc="first", dropna=False)
    piv = piv.reindex(index=order, columns=regimes_order)
    lab = df.assign(label=[cover_label(m, s, h) for m, s, h in zip(df["months"], df["state"], df["horizon_months"])])
    labels = lab.pivot_table(index="holder", columns="regime", values="label", aggfunc="first").reindex(
        index=order, columns=regimes_order).fillna("n/a")
    rows = df.drop_duplicates("holder").set_index("holder")
    ylab = [f"<b>{rows.at[h, 'holder_name']}</b>" if h == selected else rows.at[h, "holder_name"] for h in order]
    share = [pct(rows.at[h, "china_share"]) if rows.at[h, "china_share"] == rows.at[h, "china_share"] else "n/a"
             for h in order]
    xlab = [wrap_br(names[r]) for r in regimes_order]
    custom = [[[rows.at[h, "holder_name"], names[r], share[i]] for r in regimes_order] for i, h in enumerate(order)]
    fig = go.Figure(go.Heatmap(
        z=piv.values, x=xlab, y=ylab, zmin=0, zmax=hmax, colorscale=COVER_SCALE, xgap=2, ygap=2,
        text=labels.values, texttemplate="%{text}", textfont=dict(size=12), customdata=custom,
        colorbar=dict(title=dict(text="months of cover", side="right"), tickvals=[0, 3, 6, 12, 24, hmax],
                      ticktext=["0", "3", "6", "12", "24", f"{hmax}+"], thickness=14, len=0.6, y=0.5),
        hovertemplate="<b>%{customdata[0]}</b> (China %{customdata[2]} of supply)<br>%{customdata[1]}<br>"
                      "months of cover: %{text}<extra></extra>"))
    na = labels.values == "n/a"
    if na.any():
        fig.add_trace(go.Heatmap(z=[[1 if v else None for v in row] for row in na], x=xlab, y=ylab,
                                 colorscale=[[0, NO_DATA], [1, NO_DATA]], showscale=False, xgap=2, ygap=2,
                                 text=labels.values, texttemplate="%{text}", hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=12), dtick=1)  # every row named
    fig.update_xaxes(side="top", tickfont=dict(size=11), tickangle=0)
    n = df["holder"].nunique()
    fig = style(fig, spec, height=max(480, 270 + 24 * n))
    fig.update_layout(margin=dict(t=205, l=150, r=40))
    fig.layout.title.y = 1 - 28 / fig.layout.height  # 28 px from the top: the title is never clipped
    return fig


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
BAND_ALPHA = 0.08   # light enough that two or three overlapping bands stay readable


def rundown_curves(spec: ChartSpec) -> go.Figure:
    """Stock run-down lines per regime with a shaded low/high band (scenarios.rundown rows);
    ``reference_ids`` (the regimes flagged ``reference``) are drawn grey and dotted; regimes of a
    ``coinciding`` group (same curve) are drawn dashed over each other, with one band for the group."""
    df, reference_ids = spec.data, spec.options.get("reference_ids", ())
    later = {rid: k for g in spec.options.get("coinciding", ()) for k, rid in enumerate(g) if k}
    fig = go.Figure()
    for i, (rid, g) in enumerate(df.groupby("regime", sort=False)):
        colour = GREY if rid in reference_ids else REGIME_COLOURS[i % len(REGIME_COLOURS)]
        name = g["regime_name"].iloc[0]
        short = catalog.short_name(name)
        r, gg, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
        x = list(g["date"]) + list(g["date"])[::-1]
        y = list(g["stock_high_t"]) + list(g["stock_low_t"])[::-1]
        if g["state"].iloc[0] == "exhausted" and rid not in later:   # bands of regimes that run out, once
            fig.add_trace(go.Scatter(x=x, y=y, fill="toself", fillcolor=f"rgba({r},{gg},{b},{BAND_ALPHA})",
                                     line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=rid))
        label = cover_label(g["months"].iloc[0], g["state"].iloc[0], int(g["month"].max()))
        dash = DASHES[later[rid] % len(DASHES)] if rid in later else "dot" if rid in reference_ids else "solid"
        fig.add_trace(go.Scatter(x=g["date"], y=g["stock_t"], mode="lines", name=f"{wrap_br(short, 34)}: <b>{label}</b>",
                                 line=dict(color=colour, width=3, dash=dash),
                                 legendgroup=rid, customdata=g[["month"]].values,
                                 hovertemplate="month %{customdata[0]}: %{y:,.0f} t<extra>" + name + "</extra>"))
    fig.update_yaxes(title="stock (t)", rangemode="tozero", tickformat=",")
    ends = [v for v in pd.concat([df["months_high"], df["months"]]) if v is not None and v == v]
    span = int(min(df["month"].max(), max(12, 1.5 * max(ends, default=12) + 2))) if len(df) else 12
    if len(df):
        x0 = df["date"].min()
        fig.update_xaxes(range=[x0, df.loc[df["month"] == span, "date"].iloc[0]])
    fig.update_xaxes(title=None)
    fig = style(fig, spec, height=500)
    fig.update_layout(legend=dict(orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", title=None,
                                  font=dict(size=11), tracegroupgap=2), margin=dict(r=260, t=110))
    return fig


def cover_tornado(spec: ChartSpec) -> go.Figure:
    """Tornado: months of cover when each input is at its low and high setting (scenarios.sensitivity)."""
    d = spec.data.iloc[::-1].reset_index(drop=True)
    base = float(d["base_months_capped"].iloc[0]) if len(d) else 0.0
    hor = int(d["horizon_months"].iloc[0]) if len(d) else 36
    labels = [wrap_br(s, 44) for s in d["input"]]
    fig = go.Figure()
    for side, colour, nm in (("low", CHINA, "setting that shortens cover"), ("high", OTHER, "setting that lengthens cover")):
        vals = d[f"months_capped_at_{side}"]
        txt = [f"{d.at[i, f'setting_{side}']} → {cover_label(d.at[i, f'months_at_{side}'], d.at[i, f'state_at_{side}'], hor)}"
               for i in range(len(d))]
        fig.add_trace(go.Bar(y=labels, x=vals - base, base=base, orientation="h", name=nm, marker_color=colour,
                             text=txt, textposition="outside", cliponaxis=False,
                             hovertemplate="%{text} months<extra></extra>"))
    fig.add_vline(x=base, line=dict(color="#333", width=1.5))
    lo = min([base] + [v for v in pd.concat([d["months_capped_at_low"], d["months_capped_at_high"]]) if v == v])
    hi = max([base] + [v for v in pd.concat([d["months_capped_at_low"], d["months_capped_at_high"]]) if v == v])
    pad = max((hi - lo) * 0.45, 1.0)
    fig.update_xaxes(title="months of cover", range=[max(lo - pad, 0), hi + pad])
    fig.update_layout(barmode="overlay", bargap=0.35)
    fig = style(fig, spec, height=max(400, 220 + 60 * len(d)))
    fig.update_layout(margin=dict(t=115))
    return fig


def cover_preview(spec: ChartSpec) -> go.Figure:
    """Grouped bars: months of cover of a few countries under a custom regime vs a reference."""
    df, reference_ids = spec.data, spec.options.get("reference_ids", ())
    fig = go.Figure()
    hor = int(df["horizon_months"].max()) if len(df) else 36
    for i, (rid, g) in enumerate(df.groupby("regime", sort=False)):
        name = g["regime_name"].iloc[0]
        fig.add_trace(go.Bar(x=g["holder_name"], y=g["months_capped"].fillna(0), name=name,
                             marker_color=GREY if rid in reference_ids else [OTHER, CHINA, PALETTE[1]][i % 3],
                             text=[cover_label(m, s, h) for m, s, h in zip(g["months"], g["state"], g["horizon_months"])],
                             textposition="outside", cliponaxis=False,
                             hovertemplate="%{x}: %{text} months<extra>" + name + "</extra>"))
    fig.update_yaxes(title="months of cover", range=[0, hor * 1.12])
    fig.update_layout(barmode="group", bargap=0.3)
    return style(fig, spec, height=440)
