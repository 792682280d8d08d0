"""Plotly figure builders: one style for screen and briefing export.

Every figure has a title that states the finding, a subtitle with its scope, a source line naming
the datasets and a date stamp. China is always drawn in the same vermillion; everything else uses
the Okabe-Ito colour-blind-safe palette. Builders take tidy DataFrames (from queries/ or the core)
and return ``go.Figure``; they compute nothing but labels.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

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
                  f"{catalog.short_name(r.material_name).split(',')[0]} · {STAGE_LABEL.get(r.stage, r.stage)}"
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


# ------------------------------------------------------------------ exposure (issue 02)
import json  # noqa: E402 - appended section (charts.py grows by appending)
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

INDIRECT = "#F4B183"       # light vermillion: China through third countries (look-through)
SHARE_BINS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
SHARE_COLOURS = ["#FCE5D6", "#F7BE9A", "#EF955F", "#E3722F", CHINA]
NO_DATA = "#E6E6E6"
#: Points for importers too small for the 1:110m outlines.
_SMALL_STATES = {"HKG": (114.2, 22.3), "SGP": (103.8, 1.35), "BHR": (50.55, 26.07), "MLT": (14.4, 35.9),
                 "MAC": (113.55, 22.2), "MUS": (57.55, -20.3), "MDV": (73.5, 3.2)}


@lru_cache(maxsize=1)
def _world() -> dict:
    """ISO3 -> {ct: [lon, lat], rings: [[xs, ys], ...]} from chokepoint/assets (see its README)."""
    path = Path(__file__).resolve().parent / "assets" / "world_110m.json"
    return json.loads(path.read_text(encoding="utf-8"))["countries"]


def _polys(codes) -> tuple[list, list]:
    xs, ys, world = [], [], _world()
    for c in codes:
        for rx, ry in world.get(c, {}).get("rings", []):
            xs += rx + [None]
            ys += ry + [None]
    return xs, ys


def _bin_label(i: int) -> str:
    lo, hi = SHARE_BINS[i], min(SHARE_BINS[i + 1], 1.0)
    return f"{lo * 100:.0f}–{hi * 100:.0f}%"


def china_share_map(df: pd.DataFrame, *, value: str, selected: str, material: str, year: int,
                    basis: str) -> go.Figure:
    """World map of China's share by importer, binned, drawn from bundled outlines (no CDN).

    df: importer (ISO3), importer_name, ``value`` (0-1). Countries without data are grey.
    """
    world = _world()
    d = df.dropna(subset=[value]).copy()
    d["bin"] = pd.cut(d[value], SHARE_BINS, right=False, labels=False)
    fig = go.Figure()
    xs, ys = _polys([c for c in world if c not in set(d["importer"])])
    fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", fillcolor=NO_DATA, mode="lines",
                             line=dict(color="white", width=0.4), name="no data", hoverinfo="skip"))
    for i, colour in enumerate(SHARE_COLOURS):
        codes = list(d.loc[d["bin"] == i, "importer"])
        xs, ys = _polys(codes)
        fig.add_trace(go.Scatter(x=xs or [None], y=ys or [None], fill="toself", fillcolor=colour, mode="lines",
                                 line=dict(color="white", width=0.4), name=_bin_label(i), hoverinfo="skip"))
    # hover points at centroids (and dots for small states without outlines)
    pts = []
    for r in d.itertuples():
        ct = world.get(r.importer, {}).get("ct") or _SMALL_STATES.get(r.importer)
        if ct:
            pts.append((r.importer, r.importer_name, getattr(r, value), ct[0], ct[1], int(r.bin)))
    if pts:
        p = pd.DataFrame(pts, columns=["iso3", "name", "v", "lon", "lat", "bin"])
        small = p["iso3"].isin([c for c in p["iso3"] if c not in world])
        fig.add_trace(go.Scatter(
            x=p["lon"], y=p["lat"], mode="markers", showlegend=False, name="",
            marker=dict(size=[9 if s else 14 for s in small], opacity=[1 if s else 0 for s in small],
                        color=[SHARE_COLOURS[b] for b in p["bin"]], line=dict(color="#333", width=0.5)),
            customdata=p[["name", "iso3"]].values, text=[pct(v, 1) for v in p["v"]],
            hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>China: %{text}<extra></extra>"))
    if selected in world:
        xs, ys = _polys([selected])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#000", width=2),
                                 name=catalog.country_name(selected), hoverinfo="skip"))
    fig.update_xaxes(visible=False, range=[-170, 192], fixedrange=False)
    fig.update_yaxes(visible=False, range=[-57, 84], scaleanchor="x", scaleratio=1.25)
    n_half = int((d[value] > 0.5).sum())
    fig = style(fig, title=f"China supplies over half of {material} imports in {n_half} of {len(d)} importers",
                subtitle=f"China's {'direct' if 'direct' in value else 'total'} share of each importer's "
                         f"{year} imports, by {basis}; grey = not among the importers in the data",
                source="CEPII BACI HS92 V202601; outlines Natural Earth 1:110m", height=560)
    fig.update_layout(legend=dict(title=None, orientation="h", yanchor="bottom", y=-0.02, x=0.0, xanchor="left"),
                      plot_bgcolor="white", margin=dict(l=10, r=10))
    return fig


def exposure_ranking(df: pd.DataFrame, *, selected: str, material: str, year: int, basis: str,
                     top_n: int = 30) -> go.Figure:
    """Stacked bars: direct and look-through (indirect) China share, importers ranked by total."""
    d = df.sort_values(["china_share_total", "importer"], ascending=[False, True]).head(top_n)
    if selected not in set(d["importer"]) and selected in set(df["importer"]):
        d = pd.concat([d, df[df["importer"] == selected]])
    d = d.iloc[::-1]
    labels = [f"<b>{n}</b>" if c == selected else n for c, n in zip(d["importer"], d["importer_name"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["china_share_direct"], orientation="h", name="direct from China",
                         marker_color=CHINA, hovertemplate="%{y}: %{x:.1%} direct<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=d["china_share_indirect"], orientation="h",
                         name="through third countries (look-through)", marker_color=INDIRECT,
                         text=[pct(v) for v in d["china_share_total"]], textposition="outside",
                         hovertemplate="%{y}: %{x:.1%} indirect<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_xaxes(range=[0, 1.1], tickformat=".0%", title="share of imports traced to China")
    k = int((df["china_share_total"] >= 0.9).sum())
    shown = f"top {min(top_n, len(df))} of {len(df)} importers" if len(df) > top_n else f"{len(df)} importers"
    return style(fig, title=f"With look-through, {k} of {len(df)} importers trace 90%+ of their {material} to China",
                 subtitle=f"Share of {year} imports by {basis}: direct, plus suppliers' own dependence on China "
                          f"({shown}, by total)",
                 source="CEPII BACI HS92 V202601; USGS; IEA; published import shares (see dependence table)",
                 height=max(420, 150 + 22 * len(d)))


def supplier_stack(df: pd.DataFrame, *, country: str, year: int, basis: str) -> go.Figure:
    """Stacked horizontal bars: one bar per material, segments = suppliers (China first, ROW last).

    df: material (label), supplier (ISO3/ROW), share (0-1).
    """
    d = df.dropna(subset=["share"]).copy()
    order = (d.groupby("supplier")["share"].sum().sort_values(ascending=False).index.tolist())
    order = ["CHN"] * ("CHN" in order) + [s for s in order if s not in ("CHN", "ROW")] + ["ROW"] * ("ROW" in order)
    fig = go.Figure()
    for i, s in enumerate(order):
        g = d[d["supplier"] == s]
        name = catalog.country_name(s) if s != "ROW" else "Rest of world (other suppliers)"
        fig.add_trace(go.Bar(y=g["material"], x=g["share"], orientation="h", name=name,
                             marker_color=country_color(s, i - ("CHN" in order)),
                             marker_line=dict(color="white", width=1),
                             text=[s if v >= 0.06 else "" for v in g["share"]], textposition="inside",
                             insidetextanchor="middle",
                             hovertemplate=f"{name}: " + "%{x:.1%}<extra>%{y}</extra>"))
    fig.update_layout(barmode="stack", bargap=0.35, legend=dict(font=dict(size=11)))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="share of imports")
    cname = catalog.country_name(country)
    top = d.loc[d.groupby("material")["share"].idxmax()]
    k = int((top["supplier"] == "CHN").sum())
    fig = style(fig, title=f"{cname}: China is the largest supplier of {k} of {d['material'].nunique()} materials",
                subtitle=f"Suppliers of each material, share of {year} imports by {basis} "
                         "(named: top five suppliers; rest of world in grey)",
                source="CEPII BACI HS92 V202601", height=max(360, 230 + 60 * d["material"].nunique()))
    fig.update_layout(legend=dict(orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", title=None,
                                  traceorder="normal"),
                      margin=dict(r=230))
    return fig


def supplier_sankey(df: pd.DataFrame, *, country: str, material: str, year: int, basis: str) -> go.Figure:
    """Sankey: Chinese / other inputs -> suppliers -> importer (look-through made visible).

    df: supplier, share, dependence (0-1; CHN = 1).
    """
    d = df.dropna(subset=["share"]).sort_values("share", ascending=False).reset_index(drop=True)
    d["dependence"] = d["dependence"].fillna(0.0)
    cname = catalog.country_name(country)
    sup_names = [("China" if s == "CHN" else "Rest of world" if s == "ROW" else catalog.country_name(s))
                 for s in d["supplier"]]
    labels = ["Chinese inputs", "Non-Chinese inputs"] + sup_names + [cname]
    colours = [CHINA, GREY] + [country_color(s, i) for i, s in enumerate(d["supplier"])] + ["#333"]
    src, dst, val, col, hov = [], [], [], [], []
    for i, r in d.iterrows():
        node = 2 + i
        chn = r["share"] * r["dependence"]
        other = r["share"] - chn
        if chn > 1e-9:
            src.append(0); dst.append(node); val.append(chn); col.append("rgba(213,94,0,0.45)")
            hov.append(f"{pct(r['dependence'])} of its supply depends on China")
        if other > 1e-9:
            src.append(1); dst.append(node); val.append(other); col.append("rgba(153,153,153,0.35)")
            hov.append("not traced to China")
        src.append(node); dst.append(len(labels) - 1); val.append(r["share"])
        col.append("rgba(213,94,0,0.25)" if r["supplier"] == "CHN" else "rgba(0,114,178,0.2)")
        hov.append(f"{pct(r['share'], 1)} of {cname}'s imports")
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=".1%",
        node=dict(label=labels, color=colours, pad=14, thickness=16, line=dict(color="white", width=0.5)),
        link=dict(source=src, target=dst, value=val, color=col, customdata=hov,
                  hovertemplate="%{source.label} → %{target.label}: %{value:.1%}<br>%{customdata}<extra></extra>"),
    ))
    total = float((d["share"] * d["dependence"]).sum())
    return style(fig, title=f"{pct(total)} of {cname}'s {material} imports trace back to China",
                 subtitle=f"Inputs → suppliers → {cname}, share of {year} imports by {basis}; "
                          "each supplier split by its own dependence on China",
                 source="CEPII BACI HS92 V202601; USGS; IEA; published import shares", height=460)


def exposure_profile(df: pd.DataFrame, *, country: str, year: int, basis: str) -> go.Figure:
    """Country card: every material, direct and indirect China share side by side."""
    d = df.iloc[::-1]
    labels = [f"{GROUP_LABEL.get(g, g)}: {catalog.short_name(n)} (HS {h})"
              for g, n, h in zip(d["material_group"], d["material_name"], d["hs6"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["china_share_direct"], orientation="h", name="direct from China",
                         marker_color=CHINA, text=[pct(v) for v in d["china_share_direct"]],
                         textposition="inside", insidetextanchor="middle",
                         hovertemplate="%{y}<br>direct: %{x:.1%}<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=d["china_share_indirect"].fillna(0), orientation="h",
                         name="through third countries", marker_color=INDIRECT,
                         text=[f"total {pct(t)}" if t == t else "n/a" for t in d["china_share_total"]],
                         textposition="outside",
                         hovertemplate="%{y}<br>indirect: %{x:.1%}<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(range=[0, 1.18], tickformat=".0%", title="share of imports traced to China")
    cname = catalog.country_name(country)
    hi = d.loc[d["china_share_total"].idxmax()] if d["china_share_total"].notna().any() else None
    title = (f"{cname} traces {pct(hi['china_share_total'])} of its {catalog.short_name(hi['material_name']).lower()} "
             "imports to China" if hi is not None else f"{cname}: China's share by material")
    return style(fig, title=title,
                 subtitle=f"Every material {cname} imports, China's share of {year} imports by {basis}: "
                          "direct and through third countries",
                 source="CEPII BACI HS92 V202601; USGS; IEA", height=max(320, 220 + 55 * len(d)))


def china_export_share_lines(df: pd.DataFrame, *, material: str) -> go.Figure:
    """Lines (markers when a single year): China's share of world exports of the HS line(s)."""
    fig = go.Figure()
    for i, (hs6, g) in enumerate(df.groupby("hs6", sort=True)):
        g = g.sort_values("year")
        fig.add_trace(go.Scatter(
            x=g["year"], y=g["china_export_share"], mode="lines+markers" if len(g) > 1 else "markers+text",
            name=f"HS {hs6}", line=dict(color=CHINA if i == 0 else PALETTE[i], width=3),
            marker=dict(size=8 if len(g) > 1 else 14), text=[pct(v) for v in g["china_export_share"]],
            textposition="top center", customdata=g[["series_basis"]].values,
            hovertemplate="%{x}: %{y:.1%}<br>%{customdata[0]}<extra>HS " + hs6 + "</extra>"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title="China's share of world export value")
    y0, y1 = int(df["year"].min()), int(df["year"].max())
    fig.update_xaxes(dtick=2 if y1 - y0 > 8 else 1, range=[y0 - 1, y1 + 1] if y0 == y1 else None)
    last = df[df["year"] == y1].sort_values("hs6").iloc[0]
    basis = set(df["series_basis"])
    return style(fig, title=f"China shipped {pct(last['china_export_share'])} of world {material} exports in {y1}",
                 subtitle=f"China's share of world export value, {y0}–{y1}" if y1 > y0 else
                          f"China's share of world export value, {y1} only (the built-in flows cover one year)",
                 source="CEPII BACI V202601 (" + "; ".join(sorted(basis)) + ")")


# ------------------------------------------------------------------ months of cover (issue 03)
REGIME_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#882255", CHINA]
COVER_SCALE = [[0.0, "#B2182B"], [0.17, "#E66101"], [0.34, "#FDB863"], [0.6, "#D9F0D3"], [1.0, "#1B7837"]]
COVER_SOURCE = ("CEPII BACI HS92 V202601 (supply shares, derived use); USGS, EU and press consumption figures; "
                "IEA policy database (stockpile targets); AmCham China survey (industry inventory); regime library")


def cover_label(months: float | None, state: str, horizon: int) -> str:
    """'4.7' when exhausted, '36+' when not within the horizon, 'no use', else 'n/a'."""
    if state == "exhausted" and months is not None and months == months:
        return f"{months:.1f}"
    if state == "not exhausted within horizon":
        return f"{int(horizon)}+"
    return "no use" if state == "no use" else "n/a"


def _poss(name: str) -> str:
    """'Japan's', 'United States'' (possessive)."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _wrap_br(text: str, width: int = 18) -> str:
    return "<br>".join(_wrap(text, width))


def cover_heatmap(df: pd.DataFrame, *, material: str, selected: str | None = None,
                  excluded: str = "China (the controller) is not shown") -> go.Figure:
    """Heatmap: country x regime months of cover, red (runs out soon) to green (lasts the horizon).

    df (scenarios.country_cover rows): holder, holder_name, regime, regime_name, months, state,
    horizon_months, months_capped, china_share. Rows sorted by China's share of supply (most
    exposed on top); cells labelled '4.7', '36+' or 'n/a'."""
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
    xlab = [_wrap_br(names[r]) for r in regimes_order]
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
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=12))
    fig.update_xaxes(side="top", tickfont=dict(size=11), tickangle=0)
    ex = df[df["state"] == "exhausted"]
    counts = ex.groupby("regime")["months"].apply(lambda m: int((m <= 6).sum()))
    n = df["holder"].nunique()
    if len(counts) and counts.max() > 0:
        worst = counts.idxmax()
        title = f"Under {catalog.short_name(names[worst])}, {counts.max()} of {n} importers run out of {material} within 6 months"
    else:
        title = f"No importer runs out of {material} within 6 months under the regimes shown"
    fig = style(fig, title=title,
                subtitle=f"Months of cover by importer and regime, ESTIMATES ({hmax}+ = not exhausted within "
                         f"{hmax} months; n/a = insufficient data)<br>Most exposed first (China's share of supply); "
                         f"{excluded}",
                source=COVER_SOURCE, height=max(480, 270 + 24 * n))
    fig.update_layout(margin=dict(t=205, l=150, r=40))
    fig.layout.title.y = 1 - 28 / fig.layout.height  # 28 px from the top: the title is never clipped
    return fig


def rundown_curves(df: pd.DataFrame, *, country: str, material: str,
                   reference_ids: Collection[str] = ()) -> go.Figure:
    """Stock run-down lines per regime with a shaded low/high band (scenarios.rundown rows);
    ``reference_ids`` (the regimes flagged ``reference``) are drawn grey and dotted."""
    fig = go.Figure()
    cname = catalog.country_name(country)
    first = []
    for i, (rid, g) in enumerate(df.groupby("regime", sort=False)):
        colour = GREY if rid in reference_ids else REGIME_COLOURS[i % len(REGIME_COLOURS)]
        name = g["regime_name"].iloc[0]
        short = catalog.short_name(name)
        r, gg, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
        x = list(g["date"]) + list(g["date"])[::-1]
        y = list(g["stock_high_t"]) + list(g["stock_low_t"])[::-1]
        if g["state"].iloc[0] == "exhausted":   # bands for regimes that run out (others stay readable)
            fig.add_trace(go.Scatter(x=x, y=y, fill="toself", fillcolor=f"rgba({r},{gg},{b},0.12)",
                                     line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=rid))
        label = cover_label(g["months"].iloc[0], g["state"].iloc[0], int(g["month"].max()))
        fig.add_trace(go.Scatter(x=g["date"], y=g["stock_t"], mode="lines", name=f"{_wrap_br(short, 34)}: <b>{label}</b>",
                                 line=dict(color=colour, width=3, dash="dot" if rid in reference_ids else "solid"),
                                 legendgroup=rid, customdata=g[["month"]].values,
                                 hovertemplate="month %{customdata[0]}: %{y:,.0f} t<extra>" + name + "</extra>"))
        m = g["months"].iloc[0]
        if m == m and m is not None:
            first.append((m, name))
    fig.update_yaxes(title="stock (t)", rangemode="tozero", tickformat=",")
    ends = [v for v in pd.concat([df["months_high"], df["months"]]) if v is not None and v == v]
    span = int(min(df["month"].max(), max(12, 1.5 * max(ends, default=12) + 2))) if len(df) else 12
    if len(df):
        x0 = df["date"].min()
        fig.update_xaxes(range=[x0, df.loc[df["month"] == span, "date"].iloc[0]])
    fig.update_xaxes(title=None)
    if first:
        m, name = min(first)
        title = f"{_poss(cname)} {material} stock runs out after {m:.1f} months under {catalog.short_name(name)}"
    else:
        title = f"{_poss(cname)} {material} stock lasts the whole horizon under every regime shown"
    band = df["band"].iloc[0] if len(df) else ""
    fig = style(fig, title=title,
                subtitle=f"Stock (t) month by month, ESTIMATES; legend: months of cover<br>Shaded for regimes "
                         f"that run out: low–high band ({band})",
                source=COVER_SOURCE, height=500)
    fig.update_layout(legend=dict(orientation="v", x=1.01, xanchor="left", y=1.0, yanchor="top", title=None,
                                  font=dict(size=11), tracegroupgap=2), margin=dict(r=260, t=110))
    return fig


def cover_tornado(df: pd.DataFrame, *, country: str, material: str, regime_name: str) -> go.Figure:
    """Tornado: months of cover when each input is at its low and high setting (scenarios.sensitivity)."""
    d = df.iloc[::-1].reset_index(drop=True)
    base = float(d["base_months_capped"].iloc[0]) if len(d) else 0.0
    hor = int(d["horizon_months"].iloc[0]) if len(d) else 36
    labels = [_wrap_br(s, 44) for s in d["input"]]
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
    top = df.iloc[0]["input"].split(" (")[0].split(" ±")[0] if len(df) else ""
    cname = catalog.country_name(country)
    fig = style(fig, title=f"{cname}: {top.lower()} moves the answer most",
                 subtitle=f"Months of cover of {material} under {regime_name}, ESTIMATES<br>Base "
                          f"{cover_label(df.iloc[0]['base_months'], df.iloc[0]['base_state'], hor) if len(df) else 'n/a'}"
                          " months (vertical line); each bar: one input moved, the others held",
                 source=COVER_SOURCE, height=max(400, 220 + 60 * len(d)))
    fig.update_layout(margin=dict(t=115))
    return fig


def cover_preview(df: pd.DataFrame, *, regime_name: str, material: str,
                  reference_ids: Collection[str] = ()) -> go.Figure:
    """Grouped bars: months of cover of a few countries under a custom regime vs a reference."""
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
    mine = df[(df["regime_name"] == regime_name) & (df["state"] == "exhausted")]
    worst = mine.loc[mine["months"].idxmin()] if len(mine) else None
    finding = (f" — {worst['holder_name']} runs out first, after {worst['months']:.1f} months" if worst is not None
               else " — no country shown runs out within the horizon")
    return style(fig, title=f"Preview: {regime_name}{finding}",
                 subtitle=f"Months of cover of {material} ({hor}+ = not exhausted within {hor} months), "
                          "custom regime against the reference. ESTIMATES",
                 source=COVER_SOURCE, height=440)


# ------------------------------------------------------------------ briefing packs (issue 05)
import re as _re  # noqa: E402 - appended section

_TITLE_RE = _re.compile(r"^<b>(?P<title>.*?)</b>(?:<br><span[^>]*>(?P<sub>.*?)</span>)?$", _re.S)


def _plain(text: str) -> str:
    return _re.sub(r"<[^>]+>", "", text.replace("<br>", " ")).strip()


def figure_text(fig: go.Figure) -> tuple[str, str, str]:
    """(finding title, scope subtitle, source line) of a figure made with ``style`` (plain text).

    The source line is the part after "Source: " without the date stamp; empty strings when the
    figure was not styled."""
    text = fig.layout.title.text or ""
    m = _TITLE_RE.match(text)
    title, sub = (m["title"], m["sub"] or "") if m else (text, "")
    source = ""
    for a in fig.layout.annotations or ():
        t = _plain(a.text or "")
        if t.startswith("Source: "):
            source = _re.sub(r"\s*·\s*Chokepoint, \d{4}-\d{2}-\d{2}$", "", t[len("Source: "):]).strip()
            break
    return _plain(title), _plain(sub), source


def for_slide(fig: go.Figure, font_size: int = 14) -> go.Figure:
    """A copy for a deck slide: the slide carries title, subtitle and source as text, so the
    image drops them (the house colours, axes and labels stay) and the fonts grow a little."""
    f = go.Figure(fig)
    f.layout.annotations = [a for a in (f.layout.annotations or ())
                            if not _plain(a.text or "").startswith("Source: ")]
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


PAGE_W, PAGE_H = 1280, 720   # CSS px of a 16:9 briefing page (13.333 x 7.5 in at 96 px/in)


def _page(title: str, subtitle: str = "", footer: str = "") -> go.Figure:
    """An empty 16:9 page in the house style: a China-vermillion rule, a title and a subtitle."""
    fig = go.Figure()
    fig.update_xaxes(visible=False, range=[0, 1])
    fig.update_yaxes(visible=False, range=[0, 1])
    fig.update_layout(template="plotly_white", width=PAGE_W, height=PAGE_H, showlegend=False,
                      font=dict(family=FONT, size=16, color="#222"), margin=dict(l=0, r=0, t=0, b=0),
                      plot_bgcolor="white", paper_bgcolor="white")
    fig.add_shape(type="rect", xref="paper", yref="paper", x0=0, x1=1, y0=0.985, y1=1,
                  fillcolor=CHINA, line_width=0)
    fig.add_annotation(text=f"<b>{title}</b>", xref="paper", yref="paper", x=0.05, y=0.93,
                       xanchor="left", yanchor="top", showarrow=False, font=dict(size=30), align="left")
    if subtitle:
        fig.add_annotation(text="<br>".join(_wrap(subtitle, 120)), xref="paper", yref="paper", x=0.05,
                           y=0.855, xanchor="left", yanchor="top", showarrow=False,
                           font=dict(size=16, color="#555"), align="left")
    if footer:
        fig.add_annotation(text="<br>".join(_wrap(footer, 170)), xref="paper", yref="paper", x=0.05,
                           y=0.03, xanchor="left", yanchor="bottom", showarrow=False,
                           font=dict(size=11, color="#666"), align="left")
    return fig


def title_page(title: str, subtitle: str, lines: list[str], footer: str) -> go.Figure:
    """The cover page of a PDF pack."""
    fig = _page("", footer=footer)
    fig.layout.annotations = fig.layout.annotations[1:]  # no small title: the big one below
    fig.add_annotation(text="<br>".join(f"<b>{t}</b>" for t in _wrap(title, 52)), xref="paper", yref="paper",
                       x=0.06, y=0.70, xanchor="left", yanchor="bottom", showarrow=False,
                       font=dict(size=40, color="#222"), align="left")
    fig.add_annotation(text="<br>".join(_wrap(subtitle, 90)), xref="paper", yref="paper", x=0.06, y=0.66,
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
        fig.add_annotation(text="<br>".join(_wrap(label, 38)), xref="paper", yref="paper", x=x + 0.015,
                           y=0.56, xanchor="left", yanchor="top", showarrow=False, font=dict(size=18),
                           align="left")
        fig.add_annotation(text="<br>".join(_wrap("Source: " + source, 60)), xref="paper", yref="paper",
                           x=x + 0.015, y=0.22, xanchor="left", yanchor="bottom", showarrow=False,
                           font=dict(size=12, color="#666"), align="left")
    return fig


def _bullets(items: list[str], width: int) -> str:
    lines: list[str] = []
    for item in items:
        wrapped = _wrap(item, width)
        lines += ["• " + wrapped[0]] + ["   " + w for w in wrapped[1:]]
    return "<br>".join(lines)


def methods_page(title: str, subtitle: str, datasets: list[str], methods: list[str], footer: str) -> go.Figure:
    """Methods and sources: datasets on the left, how the numbers were computed on the right."""
    fig = _page(title, subtitle, footer)
    n = sum(len(_wrap(t, 80)) for t in datasets) + sum(len(_wrap(t, 64)) for t in methods) / 2
    size = 12 if n <= 40 else 11
    for x, head, items, width in ((0.05, "Datasets", datasets, 80), (0.56, "Methods", methods, 64)):
        fig.add_annotation(text=f"<b>{head}</b>", xref="paper", yref="paper", x=x, y=0.77, xanchor="left",
                           yanchor="top", showarrow=False, font=dict(size=16))
        fig.add_annotation(text=_bullets(items, int(width * 12 / size)), xref="paper", yref="paper", x=x, y=0.72,
                           xanchor="left", yanchor="top", showarrow=False, font=dict(size=size), align="left")
    return fig


def months_label(months: float | None, state: str = "exhausted") -> str:
    """Months of cover as shown everywhere: one decimal, or the state when not a number."""
    if months is None or months != months:
        return {"not exhausted within horizon": "not exhausted"}.get(state, state)
    return f"{cover_label(months, 'exhausted', 0)} months"


def holding_cover_bars(df: pd.DataFrame, *, regime_names: dict[str, str], horizon: int,
                       scope: str) -> go.Figure:
    """Grouped horizontal bars: months of cover per holding (site · material) and regime.

    df: cover.cover_table rows plus ``label`` (holding label). Not exhausted = a bar to the
    horizon, hatched and labelled; insufficient data / no use = labelled, no bar."""
    d = df.copy()
    order = list(dict.fromkeys(d["label"]))[::-1]
    fig = go.Figure()
    for i, (rid, g) in enumerate(d.groupby("regime", sort=False)):
        g = g.set_index("label").reindex(order)
        x = [m if m == m else (horizon if s == "not exhausted within horizon" else 0)
             for m, s in zip(g["months"], g["state"])]
        fig.add_trace(go.Bar(
            y=order, x=x, orientation="h", name=regime_names.get(rid, rid),
            marker_color=PALETTE[i % len(PALETTE)],
            marker_pattern_shape=["/" if s == "not exhausted within horizon" else "" for s in g["state"]],
            text=[months_label(m, s) for m, s in zip(g["months"], g["state"])], textposition="outside",
            hovertemplate="%{y}: %{text}<extra>" + regime_names.get(rid, rid) + "</extra>"))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_xaxes(range=[0, horizon * 1.22], title="months of cover (stock runs out)")
    ex = d[d["state"] == "exhausted"]
    if len(ex):
        w = ex.loc[ex["months"].idxmin()]
        title = (f"{w['label']} runs out first: {months_label(w['months'])} under "
                 f"{regime_names.get(w['regime'], w['regime'])}")
    else:
        title = f"No holding runs out within {horizon} months under the regimes selected"
    return style(fig, title=title,
                 subtitle=f"Months of cover per site and material under each regime ({scope}); hatched: "
                          f"not exhausted within {horizon} months",
                 source="company stockpile snapshot; Chokepoint regime library (data/regimes)",
                 height=max(380, 200 + 28 * len(d)))


def rundown_lines(series: pd.DataFrame, *, label: str, regime_names: dict[str, str]) -> go.Figure:
    """Lines: stock (t) month by month for one holding under each regime.

    series: regime, month (0..H), stock_t."""
    fig = go.Figure()
    for i, (rid, g) in enumerate(series.groupby("regime", sort=False)):
        fig.add_trace(go.Scatter(x=g["month"], y=g["stock_t"], mode="lines", name=regime_names.get(rid, rid),
                                 line=dict(width=3, color=PALETTE[i % len(PALETTE)]),
                                 hovertemplate="month %{x}: %{y:,.1f} t<extra></extra>"))
    fig.update_xaxes(title="months from the start of controls")
    fig.update_yaxes(title="stock on hand (t)", rangemode="tozero")
    return style(fig, title=f"{label}: how the stock runs down under each regime",
                 subtitle="Stock on hand at the end of each month, normal use, no substitution or demand cut",
                 source="company stockpile snapshot; Chokepoint regime library (data/regimes)")


def holding_supplier_stack(df: pd.DataFrame, *, scope: str) -> go.Figure:
    """Stacked bars: each holding's monthly use by supplier country (China first, unknown last).

    df: label, supplier (ISO3 or 'UNK'), share (0-1)."""
    d = df.copy()
    order = d.groupby("supplier")["share"].sum().sort_values(ascending=False).index.tolist()
    order = ["CHN"] * ("CHN" in order) + [s for s in order if s not in ("CHN", "UNK")] + ["UNK"] * ("UNK" in order)
    labels = list(dict.fromkeys(d["label"]))[::-1]
    fig = go.Figure()
    for i, s in enumerate(order):
        g = d[d["supplier"] == s].set_index("label").reindex(labels)
        name = "unknown origin" if s == "UNK" else catalog.country_name(s)
        fig.add_trace(go.Bar(y=labels, x=g["share"], orientation="h", name=name,
                             marker_color=country_color(s, i - ("CHN" in order)),
                             text=[pct(v) if v == v and v >= 0.08 else "" for v in g["share"]],
                             textposition="inside", insidetextanchor="middle",
                             hovertemplate=f"{name}: " + "%{x:.0%}<extra>%{y}</extra>"))
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="share of monthly use")
    chn = d[d["supplier"] == "CHN"].groupby("label")["share"].sum()
    k = int((chn >= 0.5).sum())
    return style(fig, title=f"China supplies half or more of {k} of {len(labels)} holdings",
                 subtitle=f"Supply lines of each site and material as shares of monthly use ({scope})",
                 source="company stockpile snapshot", height=max(360, 200 + 40 * len(labels)))


# ------------------------------------------------------------------ company stockpiles (issue 04)
COMPANY_SOURCE = "company stockpile upload; Chokepoint regime library (data/regimes)"


def company_cover_heatmap(df: pd.DataFrame, *, regime_name: str, scope: str) -> go.Figure:
    """Heatmap: site (rows) x material (columns) months of cover under one regime, red (runs out
    soon) to green (lasts the horizon); cells labelled '4.7', '36+', 'no use' or 'n/a'.

    df (company.results rows of one regime): site, material_name, months, months_capped, state,
    horizon_months."""
    hor = int(df["horizon_months"].max()) if len(df) else 36
    sites = list(dict.fromkeys(df["site"]))
    mats = list(dict.fromkeys(df["material_name"]))
    z = df.pivot_table(index="site", columns="material_name", values="months_capped", aggfunc="first",
                       dropna=False).reindex(index=sites, columns=mats)
    lab = df.assign(label=[cover_label(m, s, h) for m, s, h in zip(df["months"], df["state"], df["horizon_months"])])
    text = lab.pivot_table(index="site", columns="material_name", values="label", aggfunc="first").reindex(
        index=sites, columns=mats).fillna("")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[_wrap_br(m, 16) for m in mats], y=[_wrap_br(s, 24) for s in sites],
        text=text.to_numpy(), texttemplate="%{text}", textfont=dict(size=14),
        colorscale=COVER_SCALE, zmin=0, zmax=hor, xgap=3, ygap=3, hoverongaps=False,
        colorbar=dict(title="months", tickvals=[0, 6, 12, 24, hor], ticktext=["0", "6", "12", "24", f"{hor}+"]),
        hovertemplate="%{y} · %{x}: %{text} months<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    ex = df[df["state"] == "exhausted"]
    if len(ex):
        w = ex.loc[ex["months"].astype(float).idxmin()]
        title = f"{w['site']} runs out of {w['material_name'].lower()} first: {w['months']:.1f} months"
    else:
        title = f"No site runs out within {hor} months"
    return style(fig, title=title,
                 subtitle=_wrap_br(f"Months of cover per site and material under {regime_name} ({scope}); "
                                   f"{hor}+ = not exhausted within {hor} months. ESTIMATES", 120),
                 source=COMPANY_SOURCE, height=max(360, 220 + 60 * len(sites)))


def company_drivers(df: pd.DataFrame, *, regime_name: str, top: int = 12) -> go.Figure:
    """Horizontal bars: tonnes per month of use each supplier line loses under a regime (average over
    the first 12 months, peak month as a marker). df: company.drivers rows of one regime."""
    d = df[df["cut_t_per_month_peak"].fillna(0) > 0].head(top).iloc[::-1]
    labels = [f"{s} · {m} ← {c}" for s, m, c in zip(d["site"], d["material_name"], d["supplier_name"])]
    colours = [CHINA if k == "direct" else PALETTE[1] for k in d["cut_kind"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["cut_t_per_month_12m"], orientation="h", marker_color=colours,
                         name="average, first 12 months",
                         hovertemplate="%{y}: %{x:,.2f} t/month<extra>average, first 12 months</extra>"))
    fig.add_trace(go.Scatter(y=labels, x=d["cut_t_per_month_peak"], mode="markers+text", name="worst month",
                             marker=dict(symbol="line-ns", size=16, line=dict(width=3, color="#222")),
                             text=[f"  {v:,.2f} t/month ({pct(s)} of use); worst {p:,.1f}"
                                   for v, s, p in zip(d["cut_t_per_month_12m"], d["cut_share_12m"],
                                                      d["cut_t_per_month_peak"])],
                             textposition="middle right", cliponaxis=False,
                             hovertemplate="%{y}: %{x:,.2f} t/month<extra>worst month</extra>"))
    xmax = float(d["cut_t_per_month_peak"].max()) if len(d) else 1.0
    fig.update_xaxes(title="monthly use cut (t/month)", range=[0, xmax * 2.2 or 1])
    if len(d):
        w = d.iloc[-1]
        title = (f"{w['supplier_name']} supply of {w['material_name'].lower()} to {w['site']} drives the risk: "
                 f"{w['cut_t_per_month_12m']:,.2f} t/month cut")
    else:
        title = f"No supplier line is cut under {regime_name}"
    fig = style(fig, title=title,
                subtitle=_wrap_br(f"Monthly use each supplier line loses under {regime_name}, average of the "
                                   "first 12 months (bar) and worst month (tick): vermillion = from China, orange = "
                                   "third country through its dependence on China (extraterritorial). ESTIMATES", 120),
                source=COMPANY_SOURCE, height=max(400, 240 + 34 * len(d)))
    return fig.update_layout(margin=dict(t=150))


def company_what_if(df: pd.DataFrame, *, change: str) -> go.Figure:
    """Paired horizontal bars: months of cover before and after a what-if change, per holding.

    df (company.compare rows of one regime): site, material_name, months_base, state_base,
    months_what_if, state_what_if, horizon_months."""
    d = df.iloc[::-1]
    labels = [f"{s} · {m}" for s, m in zip(d["site"], d["material_name"])]
    hor = int(d["horizon_months"].max()) if len(d) else 36
    fig = go.Figure()
    for col, st_col, name, colour in (("months_base", "state_base", "as uploaded", GREY),
                                      ("months_what_if", "state_what_if", "what-if", OTHER)):
        x = [m if m == m else (hor if s == "not exhausted within horizon" else 0) for m, s in zip(d[col], d[st_col])]
        fig.add_trace(go.Bar(y=labels, x=x, orientation="h", name=name, marker_color=colour,
                             text=[months_label(m, s) for m, s in zip(d[col], d[st_col])], textposition="outside",
                             cliponaxis=False, hovertemplate="%{y}: %{text}<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", bargap=0.3)
    fig.update_xaxes(title="months of cover", range=[0, hor * 1.25])
    gain = df["change_months"].dropna()
    best = df.loc[gain.idxmax()] if len(gain) else None
    if best is not None and best["change_months"] > 0.05:
        title = f"{change}: {best['site']} · {best['material_name']} gains {best['change_months']:.1f} months"
    elif best is not None and best["change_months"] < -0.05:
        title = f"{change}: cover falls by up to {-gain.min():.1f} months"
    else:
        title = f"{change}: no holding's months of cover changes"
    fig = style(fig, title=title,
                subtitle=_wrap_br(f"Months of cover as uploaded and under the what-if "
                                   f"({df['regime_name'].iloc[0] if len(df) else ''}); {hor} = not exhausted "
                                   "within the horizon. ESTIMATES", 120),
                source=COMPANY_SOURCE, height=max(400, 240 + 44 * len(d)))
    return fig.update_layout(margin=dict(t=130))


def snapshot_change(df: pd.DataFrame, *, name_a: str, name_b: str) -> go.Figure:
    """Bars: stock change per material between two snapshots (Workspace.compare(per_site=False))."""
    d = df.copy()
    d["material_name"] = [catalog.materials()[m].short_name if m in catalog.materials() else m
                          for m in d["material_id"]]
    colours = [PALETTE[2] if v >= 0 else CHINA for v in d["on_hand_change_t"]]
    fig = go.Figure(go.Bar(x=d["material_name"], y=d["on_hand_change_t"], marker_color=colours,
                           text=[f"{v:+,.1f} t" for v in d["on_hand_change_t"]], textposition="outside",
                           cliponaxis=False, customdata=d["status"],
                           hovertemplate="%{x}: %{y:+,.2f} t (%{customdata})<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#333", width=1))
    fig.update_yaxes(title="stock change (t)")
    up = int((d["on_hand_change_t"] > 0).sum())
    down = int((d["on_hand_change_t"] < 0).sum())
    return style(fig, title=f"Stock rose for {up} and fell for {down} of {len(d)} materials",
                 subtitle=f"Stock on hand, all sites: '{name_b}' minus '{name_a}' (t)",
                 source="company stockpile snapshots (workspace)", height=420)
