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
    labels = [f"{GROUP_LABEL.get(g, g)}: {n.split(' (')[0]} (HS {h})"
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
    title = (f"{cname} traces {pct(hi['china_share_total'])} of its {hi['material_name'].split(' (')[0].lower()} "
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
