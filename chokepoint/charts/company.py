"""Drawers for the company charts: months of cover per holding, run-down of one holding, supply
lines by country, the site x material heatmap, the drivers of risk, the what-if and the snapshot
comparison. Titles and findings come from the spec (``chokepoint.views.company``)."""
from __future__ import annotations

import plotly.graph_objects as go

from .. import catalog
from ..constants import CONTROLLER, UNKNOWN_ORIGIN
from ..fmt import cover_label, months_label, pct, wrap_br
from ..views.spec import ChartSpec
from .style import CHINA, COVER_SCALE, GREY, OTHER, PALETTE, country_color, style


def holding_cover_bars(spec: ChartSpec) -> go.Figure:
    """Grouped horizontal bars: months of cover per holding (site · material) and regime.

    df: cover.cover_table rows plus ``label`` (holding label). Not exhausted = a bar to the
    horizon, hatched and labelled; insufficient data / no use = labelled, no bar."""
    d, regime_names, horizon = spec.data.copy(), spec.options["regime_names"], spec.options["horizon"]
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
    return style(fig, spec, height=max(380, 200 + 28 * len(d)))


def rundown_lines(spec: ChartSpec) -> go.Figure:
    """Lines: stock (t) month by month for one holding under each regime.

    series: regime, month (0..H), stock_t."""
    series, regime_names = spec.data, spec.options["regime_names"]
    fig = go.Figure()
    for i, (rid, g) in enumerate(series.groupby("regime", sort=False)):
        fig.add_trace(go.Scatter(x=g["month"], y=g["stock_t"], mode="lines", name=regime_names.get(rid, rid),
                                 line=dict(width=3, color=PALETTE[i % len(PALETTE)]),
                                 hovertemplate="month %{x}: %{y:,.1f} t<extra></extra>"))
    fig.update_xaxes(title="months from the start of controls")
    fig.update_yaxes(title="stock on hand (t)", rangemode="tozero")
    return style(fig, spec)


def holding_supplier_stack(spec: ChartSpec) -> go.Figure:
    """Stacked bars: each holding's monthly use by supplier country (China first, unknown last).

    df: label, supplier (ISO3 or 'UNK'), share (0-1)."""
    d = spec.data.copy()
    order = d.groupby("supplier")["share"].sum().sort_values(ascending=False).index.tolist()
    order = ([CONTROLLER] * (CONTROLLER in order) + [s for s in order if s not in (CONTROLLER, UNKNOWN_ORIGIN)]
             + [UNKNOWN_ORIGIN] * (UNKNOWN_ORIGIN in order))
    labels = list(dict.fromkeys(d["label"]))[::-1]
    fig = go.Figure()
    for i, s in enumerate(order):
        g = d[d["supplier"] == s].set_index("label").reindex(labels)
        name = "unknown origin" if s == UNKNOWN_ORIGIN else catalog.country_name(s)
        fig.add_trace(go.Bar(y=labels, x=g["share"], orientation="h", name=name,
                             marker_color=country_color(s, i - (CONTROLLER in order)),
                             text=[pct(v) if v == v and v >= 0.08 else "" for v in g["share"]],
                             textposition="inside", insidetextanchor="middle",
                             hovertemplate=f"{name}: " + "%{x:.0%}<extra>%{y}</extra>"))
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="share of monthly use")
    return style(fig, spec, height=max(360, 200 + 40 * len(labels)))


def company_cover_heatmap(spec: ChartSpec) -> go.Figure:
    """Heatmap: site (rows) x material (columns) months of cover under one regime, red (runs out
    soon) to green (lasts the horizon); cells labelled '4.7', '36+', 'no use' or 'n/a'.

    df (company.results rows of one regime): site, material_name, months, months_capped, state,
    horizon_months."""
    df = spec.data
    hor = int(df["horizon_months"].max()) if len(df) else 36
    sites = list(dict.fromkeys(df["site"]))
    mats = list(dict.fromkeys(df["material_name"]))
    z = df.pivot_table(index="site", columns="material_name", values="months_capped", aggfunc="first",
                       dropna=False).reindex(index=sites, columns=mats)
    lab = df.assign(label=[cover_label(m, s, h) for m, s, h in zip(df["months"], df["state"], df["horizon_months"])])
    text = lab.pivot_table(index="site", columns="material_name", values="label", aggfunc="first").reindex(
        index=sites, columns=mats).fillna("")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[wrap_br(m, 16) for m in mats], y=[wrap_br(s, 24) for s in sites],
        text=text.to_numpy(), texttemplate="%{text}", textfont=dict(size=14),
        colorscale=COVER_SCALE, zmin=0, zmax=hor, xgap=3, ygap=3, hoverongaps=False,
        colorbar=dict(title="months", tickvals=[0, 6, 12, 24, hor], ticktext=["0", "6", "12", "24", f"{hor}+"]),
        hovertemplate="%{y} · %{x}: %{text} months<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return style(fig, spec, height=max(360, 220 + 60 * len(sites)), wrap_subtitle=120)


def company_drivers(spec: ChartSpec) -> go.Figure:
    """Horizontal bars: tonnes per month of use each supplier line loses under a regime (average over
    the first 12 months, peak month as a marker). df: company.drivers rows of one regime."""
    d = spec.data[spec.data["cut_t_per_month_peak"].fillna(0) > 0].head(spec.options["top"]).iloc[::-1]
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
    fig = style(fig, spec, height=max(400, 240 + 34 * len(d)), wrap_subtitle=120)
    return fig.update_layout(margin=dict(t=150))


def company_what_if(spec: ChartSpec) -> go.Figure:
    """Paired horizontal bars: months of cover before and after a what-if change, per holding.

    df (company.compare rows of one regime): site, material_name, months_base, state_base,
    months_what_if, state_what_if, horizon_months."""
    d = spec.data.iloc[::-1]
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
    fig = style(fig, spec, height=max(400, 240 + 44 * len(d)), wrap_subtitle=120)
    return fig.update_layout(margin=dict(t=130))


def snapshot_change(spec: ChartSpec) -> go.Figure:
    """Bars: stock change per material between two snapshots (Workspace.compare(per_site=False))."""
    d = spec.data.copy()
    d["material_name"] = [catalog.materials()[m].short_name if m in catalog.materials() else m
                          for m in d["material_id"]]
    colours = [PALETTE[2] if v >= 0 else CHINA for v in d["on_hand_change_t"]]
    fig = go.Figure(go.Bar(x=d["material_name"], y=d["on_hand_change_t"], marker_color=colours,
                           text=[f"{v:+,.1f} t" for v in d["on_hand_change_t"]], textposition="outside",
                           cliponaxis=False, customdata=d["status"],
                           hovertemplate="%{x}: %{y:+,.2f} t (%{customdata})<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#333", width=1))
    fig.update_yaxes(title="stock change (t)")
    return style(fig, spec, height=420)


def snapshot_cover_change(spec: ChartSpec) -> go.Figure:
    """Dumbbells, one panel per regime: months of cover per holding in snapshot a (grey) and b
    (colour), joined by a line. Not exhausted within the horizon sits at the horizon, labelled
    "36+"; a holding in one snapshot only has one marker.

    df (views.company.snapshot_cover table): label, regime, months_a/state_a, months_b/state_b."""
    from plotly.subplots import make_subplots
    d, names, hor = spec.data, spec.options["regime_names"], spec.options["horizon"]
    regs = list(dict.fromkeys(d["regime"]))
    order = list(dict.fromkeys(d["label"]))[::-1]
    fig = make_subplots(rows=1, cols=len(regs), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[wrap_br(names.get(r, r), 34) for r in regs])

    def x_of(m, s):
        if s == "exhausted":
            return m
        return hor if s == "not exhausted within horizon" else None

    for j, rid in enumerate(regs, start=1):
        g = d[d["regime"] == rid].set_index("label").reindex(order)
        xa = [x_of(m, s) for m, s in zip(g["months_a"], g["state_a"])]
        xb = [x_of(m, s) for m, s in zip(g["months_b"], g["state_b"])]
        lx, ly = [], []
        for y, a, b in zip(order, xa, xb):
            if a is not None and b is not None:
                lx += [a, b, None]
                ly += [y, y, None]
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=dict(color="#9a9a9a", width=2), hoverinfo="skip",
                                 showlegend=False), row=1, col=j)
        for side, xs, months, states, name, colour in (
                ("a", xa, g["months_a"], g["state_a"], spec.options["name_a"], GREY),
                ("b", xb, g["months_b"], g["state_b"], spec.options["name_b"], PALETTE[0])):
            other = xb if side == "a" else xa
            text, pos = [], []
            for x, o, m, s in zip(xs, other, months, states):
                label = cover_label(m if m == m else None, s, hor) if isinstance(s, str) else ""
                same = x is not None and o is not None and abs(x - o) < 0.05
                text.append("" if side == "a" and same else label)     # one label when nothing moved
                left = o is not None and x is not None and x < o
                pos.append("middle left" if left else "middle right")
            keep = [i for i, x in enumerate(xs) if x is not None]   # a gap (None) loses the trace's labels
            fig.add_trace(go.Scatter(
                x=[xs[i] for i in keep], y=[order[i] for i in keep], mode="markers+text", name=name,
                text=[text[i] for i in keep], textposition=[pos[i] for i in keep],
                textfont=dict(color="#555" if side == "a" else "#222"), cliponaxis=False, showlegend=j == 1,
                marker=dict(size=12, color=colour, line=dict(color="white", width=1)),
                hovertemplate="%{y}: %{text}<extra>" + name.replace("<", "‹") + "</extra>"),
                row=1, col=j)
        fig.update_xaxes(range=[0, hor * 1.2], row=1, col=j, title="months of cover" if j == 1 else None)
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig = style(fig, spec, height=max(420, 260 + 40 * len(order)), wrap_subtitle=120)
    return fig.update_layout(margin=dict(t=190), legend=dict(y=1.12, yanchor="bottom", x=1.0, xanchor="right"))
