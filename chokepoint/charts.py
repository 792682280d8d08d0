"""Plotly figure builders: one style for screen and briefing export.

Every figure has a title that states the finding, a subtitle with its scope, a source line naming
the datasets and a date stamp. China is always drawn in the same vermillion; everything else uses
the Okabe-Ito colour-blind-safe palette. Builders take tidy DataFrames (from queries/ or the core)
and return ``go.Figure``; they compute nothing but labels.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from . import catalog

CHINA = "#D55E00"          # vermillion: China, everywhere
OTHER = "#0072B2"          # blue: everyone else (single series)
GREY = "#999999"           # rest of world / unknown
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
STAGE_ORDER = ["mine", "refining", "metal", "magnet"]
GROUP_LABEL = {"rare_earths": "Rare earths", "titanium": "Titanium", "magnesium": "Magnesium"}


def pct(x: float, digits: int = 0) -> str:
    """A share as a percentage string, the one rounding used on screen and in exports."""
    return f"{x * 100:.{digits}f}%"


def country_color(iso3: str, i: int = 0) -> str:
    if iso3 == "CHN":
        return CHINA
    if iso3 in ("ROW", "UNK"):
        return GREY
    return PALETTE[i % len(PALETTE)]


def style(fig: go.Figure, *, title: str, subtitle: str, source: str, height: int = 420) -> go.Figure:
    """Apply the house style: finding title, scope subtitle, source line and date stamp."""
    stamp = dt.date.today().isoformat()
    lines = _wrap(f"Source: {source} · Chokepoint, {stamp}", 110)
    fig.update_layout(
        title=dict(text=f"<b>{title}</b><br><span style='font-size:13px;color:#555'>{subtitle}</span>",
                   x=0.0, xanchor="left", y=0.97, yanchor="top", font=dict(size=18)),
        font=dict(family=FONT, size=13, color="#222"),
        template="plotly_white", height=height,
        margin=dict(l=60, r=30, t=90, b=70 + 14 * len(lines)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        colorway=PALETTE,
    )
    fig.add_annotation(
        text="<br>".join(lines), showarrow=False,
        xref="paper", yref="paper", x=0, y=0, yshift=-48, xanchor="left", yanchor="top",
        font=dict(size=10, color="#666"), align="left",
    )
    return fig


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + [cur]


STAGE_LABEL = {"mine": "mining", "refining": "refining", "metal": "metal", "magnet": "magnets"}


def production_concentration(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars: China's share of world production by material and stage."""
    d = df.copy()
    d["label"] = d.apply(
        lambda r: f"{GROUP_LABEL.get(r.material_group, r.material_group)}: "
                  f"{r.material_name.split(' (')[0].split(',')[0]} · {STAGE_LABEL.get(r.stage, r.stage)}"
                  f" ({r.year})", axis=1)
    d = d.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["china_share"], y=d["label"], orientation="h", marker_color=CHINA,
        text=[pct(v) for v in d["china_share"]], textposition="outside",
        hovertemplate="%{y}<br>China: %{x:.0%}<extra></extra>", name="China",
    ))
    fig.update_xaxes(range=[0, 1.08], tickformat=".0%", title="China's share of world production")
    lo, hi = df["china_share"].min(), df["china_share"].max()
    return style(fig, title=f"China produces {pct(lo)} to {pct(hi)} of world supply at every stage shown",
                 subtitle="China's share of world production by material and stage, latest year published "
                          "(USGS and IEA estimates)",
                 source="; ".join(sorted(set(df["source"]))), height=460)


def export_share_series(df: pd.DataFrame) -> go.Figure:
    """Lines: China's share of world export value by HS line over time."""
    fig = go.Figure()
    names = {"850511": "Permanent magnets (HS 850511)", "280530": "Rare-earth metals (HS 280530)"}
    for i, (hs6, g) in enumerate(df.groupby("hs6", sort=True)):
        fig.add_trace(go.Scatter(
            x=g["year"], y=g["china_export_share"], mode="lines+markers",
            name=names.get(hs6, hs6), line=dict(color=CHINA if hs6 == "850511" else OTHER, width=3,
                                               dash="solid" if hs6 == "850511" else "dot"),
            hovertemplate="%{x}: %{y:.1%}<extra>" + names.get(hs6, hs6) + "</extra>",
        ))
    fig.update_yaxes(range=[0, 1], tickformat=".0%", title="China's share of world export value")
    fig.update_xaxes(dtick=2)
    last = df[df["year"] == df["year"].max()].set_index("hs6")["china_export_share"]
    mag = last.get("850511")
    title = (f"China ships {pct(mag)} of the world's permanent magnets"
             if mag is not None else "China's share of world exports")
    return style(fig, title=title,
                 subtitle=f"China's share of world export value, {int(df['year'].min())}–{int(df['year'].max())}",
                 source="CEPII BACI V202601")


def control_timeline(df: pd.DataFrame) -> go.Figure:
    """Timeline: one marker per measure, coloured by kind, labelled with what it covers."""
    kinds = {"licence": CHINA, "ban": "#000000", "easing": "#009E73", "suspension": "#56B4E9",
             "general licence": "#E69F00"}
    d = df.sort_values("date").reset_index(drop=True)
    d["lane"] = _lanes(pd.to_datetime(d["date"]), span_days=200)
    fig = go.Figure()
    for kind, g in d.groupby("measure", sort=False):
        fig.add_trace(go.Scatter(
            x=g["date"], y=g["lane"], mode="markers+text", name=kind,
            marker=dict(size=13, color=kinds.get(kind, GREY), symbol="diamond"),
            text=[_short(t) for t in g["items"]], textposition="middle right",
            textfont=dict(size=11),
            customdata=g[["items", "targets", "status", "source"]].values,
            hovertemplate="<b>%{x|%d %b %Y}</b> · " + kind +
                          "<br>%{customdata[0]}<br>targets: %{customdata[1]} · %{customdata[2]}"
                          "<br><i>%{customdata[3]}</i><extra></extra>",
        ))
    for _, r in d.iterrows():
        fig.add_shape(type="line", x0=r["date"], x1=r["date"], y0=0, y1=r["lane"],
                      line=dict(color="#ccc", width=1))
    fig.update_yaxes(visible=False, range=[0, d["lane"].max() + 1])
    fig.update_xaxes(title=None, showgrid=True)
    n_re = int(d["materials"].map(lambda m: any(x in catalog.elements() or x.endswith("magnet")
                                                 for x in m)).sum())
    return style(fig, title=f"{len(d)} measures since 2023, {n_re} of them on rare earths and magnets",
                 subtitle="China's export controls on critical minerals (licence, ban, easing, suspension)",
                 source="MOFCOM announcements; Reuters; CLEPA", height=560)


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


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def monthly_exports(df: pd.DataFrame) -> go.Figure:
    """Bars: controller's monthly exports against the previous year's monthly average."""
    w = df[df["to_country"] == "WLD"].copy()
    w["label"] = [period_label(p, m) for p, m in zip(w["period_start"], w["months"])]
    fig = go.Figure(go.Bar(
        x=w["label"], y=w["monthly_t"], marker_color=[CHINA if b == "reported" else "#F4B183" for b in w["basis"]],
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
    worst = w.loc[w["share_of_ref"].idxmin()]
    return style(fig, title=f"Magnet exports fell to {pct(worst.share_of_ref)} of normal in "
                            f"{period_label(worst.period_start, worst.months)}",
                 subtitle="China's rare-earth magnet exports per month, 2025, labelled as a share of the 2024 "
                          "monthly average (light bars: derived from year-to-date totals)",
                 source="China customs via Reuters/Bloomberg; Adamas Intelligence")


def period_label(start, months: int) -> str:
    """'May 2025' for a month, 'Jan–Mar 2025' for a longer period."""
    start = pd.Timestamp(start)
    if months == 1:
        return start.strftime("%b %Y")
    end = start + pd.DateOffset(months=int(months) - 1)
    return f"{start.strftime('%b')}–{end.strftime('%b %Y')}"
