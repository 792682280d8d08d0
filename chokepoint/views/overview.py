"""The headline picture: China's production shares, export shares, its measures and its magnet
exports month by month. Used by the Overview page and, as context, by every briefing pack."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from .. import catalog
from ..constants import CONTROLLER, MAGNET_EXPORTS_MATERIAL, WORLD
from ..fmt import pct, period_label
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
#: China's world export share on the Overview: magnets, rare-earth metals and compounds, titanium ores.
EXPORT_SERIES_HS = ("850511", "280530", "284690", "261400")


def production_concentration(conc: pd.DataFrame) -> ChartSpec:
    """China's share of world production by material and stage (production_concentration rows)."""
    lo, hi = conc["china_share"].min(), conc["china_share"].max()
    est = conc[conc["estimate"].fillna(False).astype(bool)] if "estimate" in conc else conc.iloc[:0]
    return ChartSpec(
        "production-concentration",
        f"China produces {pct(lo)} to {pct(hi)} of world supply at every stage shown",
        "China's share of world production by material and stage, latest year published (USGS and IEA estimates)",
        "; ".join(sorted(set(conc["source"]))), conc, "production_concentration", tables=("production",),
        notes=("Latest year published per material and stage; China's share is the published share where one "
               "exists, else China's tonnes over world tonnes.",
               f"{len(est)} of {len(conc)} bars are ESTIMATES (USGS/IEA)." if len(est) else
               "No bar is flagged as an estimate."))


def export_share_series(series: pd.DataFrame) -> ChartSpec:
    """China's share of world export value of magnets, rare-earth metals and compounds and
    titanium ores since 2002; the notes give each line's first and last year."""
    y0, y1 = int(series["year"].min()), int(series["year"].max())
    last = series[series["year"] == y1].set_index("hs6")["china_export_share"]
    mag = last.get("850511")
    title = (f"China ships {pct(mag)} of the world's permanent magnets" if mag is not None
             else "China's share of world exports")
    raw = [f"{pct(last[h])} of {what}" for h, what in (("280530", "rare-earth metals"), ("284690", "compounds"))
           if h in last.index]
    if mag is not None and raw:  # it exports the finished product, far less of the raw material
        title += f" but only {' and '.join(raw)} ({y1})"
    notes = []
    for hs6, g in series.sort_values("year").groupby("hs6", sort=False):
        a, b = g.iloc[0], g.iloc[-1]
        notes.append(f"HS {hs6} ({catalog.hs_codes().get(hs6, {}).get('description', '').split(',')[0]}): "
                     f"China {pct(a['china_export_share'], 1)} of world export value in {int(a['year'])}, "
                     f"{pct(b['china_export_share'], 1)} in {int(b['year'])}.")
    return ChartSpec("china-export-share", title,
                     f"China's share of world export value by HS line, {y0}–{y1}",
                     "CEPII BACI V202601", series, "export_share_series", tables=("trade_series",),
                     notes=tuple(notes))


def control_timeline(events: pd.DataFrame) -> ChartSpec:
    """One marker per announced measure; the title counts those on rare earths and magnets."""
    n_re = int(events["materials"].map(lambda m: any(x in catalog.elements() or x.endswith("magnet")
                                                      for x in m)).sum())
    return ChartSpec("control-timeline", f"{len(events)} measures since 2023, {n_re} of them on rare earths and magnets",
                     "China's export controls on critical minerals (licence, ban, easing, suspension)",
                     "MOFCOM announcements; Reuters; CLEPA", events, "control_timeline", tables=("control_events",),
                     notes=("One marker per announced measure; status as announced (suspensions may lapse).",))


def worst_magnet_month(monthly: pd.DataFrame) -> pd.Series | None:
    """The month (or period) in which China's magnet exports to the world were lowest against the
    2024 monthly average: the one place this is computed."""
    world = monthly[monthly["to_country"] == WORLD]
    return world.loc[world["share_of_ref"].idxmin()] if len(world) else None


def magnet_recovery(monthly: pd.DataFrame) -> tuple[str, str] | None:
    """What the months after the worst one did, from the same monthly series: (phrase for the
    title, latest month) -- ("back above normal from Jul 2025", "127% in Nov 2025"),
    ("recovering to 66% in Jun 2025", ...) or ("still 20% in Jun 2025", ...); None when the worst
    month is the latest. "Normal" is the 2024 monthly average, as in the title."""
    w = worst_magnet_month(monthly)
    if w is None:
        return None
    world = monthly[monthly["to_country"] == WORLD].sort_values("period_start")
    later = world[world["period_start"] > w["period_start"]]
    if later.empty:
        return None
    last = later.iloc[-1]
    latest = f"{pct(last['share_of_ref'])} in {period_label(last['period_start'], last['months'])}"
    above = later[later["share_of_ref"] >= 1]
    if len(above):
        first = above.iloc[0]
        return f"back above normal from {period_label(first['period_start'], first['months'])}", latest
    return (f"recovering to {latest}" if last["share_of_ref"] > w["share_of_ref"] else f"still {latest}"), latest


def worst_magnet_finding(monthly: pd.DataFrame) -> Finding | None:
    w = worst_magnet_month(monthly)
    if w is None:
        return None
    return Finding(f"China's magnet exports in {period_label(w['period_start'], w['months'])} against the 2024 "
                   "monthly average", pct(w["share_of_ref"]), "% of the 2024 monthly average",
                   "tonnes, world", str(w["source"]))


def monthly_exports(monthly: pd.DataFrame) -> ChartSpec:
    """China's magnet exports per month against the 2024 monthly average."""
    w = worst_magnet_month(monthly)
    finding = worst_magnet_finding(monthly)
    title = f"Magnet exports fell to {pct(w['share_of_ref'])} of normal in {period_label(w['period_start'], w['months'])}"
    recovery = magnet_recovery(monthly)
    return ChartSpec(
        "monthly-magnet-exports",
        f"{title}, {recovery[0]}" if recovery else title,
        "China's rare-earth magnet exports per month, 2025, labelled as a share of the 2024 monthly average "
        "(light bars: derived from year-to-date totals)",
        "China customs via Reuters/Bloomberg; Adamas Intelligence", monthly, "monthly_exports",
        tables=("monthly_exports",),
        notes=("Each bar is China's rare-earth magnet exports per month, as a share of the 2024 monthly average; "
               "light bars are derived from year-to-date totals (ESTIMATES), dark bars are reported months.",),
        headline=(finding,) if finding else ())


def headline(conc: pd.DataFrame, monthly: pd.DataFrame) -> list[tuple[Finding, str, str | None]]:
    """The Overview's three numbers, each with its help text and year-on-year change (or None):
    China's share of rare-earth mining and of primary magnesium, and the worst month of magnet
    exports."""
    mine = conc[(conc.material_id == "rare_earth_concentrate") & (conc.stage == "mine")].iloc[0]
    mg = conc[(conc.material_id == "magnesium_metal") & (conc.stage == "metal")].iloc[0]
    w = worst_magnet_month(monthly)
    return [
        (Finding(f"China's share of rare-earth mining, {mine.year}", pct(mine.china_share), "%", "tonnes REO",
                 mine.source), f"{mine.china_t:,.0f} t of {mine.world_t:,.0f} t REO (estimate). Source: {mine.source}", None),
        (Finding(f"China's share of primary magnesium, {mg.year}", pct(mg.china_share), "%", "tonnes", mg.source),
         f"{mg.china_t:,.0f} t of {mg.world_t:,.0f} t (estimate; world excludes US). Source: {mg.source}", None),
        (Finding(f"Magnet exports, {period_label(w.period_start, w.months)}, vs 2024 monthly average",
                 pct(w.share_of_ref), "% of the 2024 monthly average", "tonnes, world", w.source),
         f"{w.quantity_t:,.0f} t against {w.ref_monthly_t:,.0f} t/month in 2024"
         + (f"; then {rec[0]} ({rec[1]})" if (rec := magnet_recovery(monthly)) else "")
         + f". Source: {w.source}",
         f"{w.yoy_change:+.0%} year on year" if w.yoy_change == w.yoy_change else None),
    ]


def page(run: Runner) -> list[ChartSpec]:
    """The Overview page's charts, in page order."""
    conc = run("production_concentration")
    series = run("china_export_share_series", hs6_list=list(EXPORT_SERIES_HS))
    events = run("control_timeline", controller=CONTROLLER)
    monthly = run("monthly_exports_series", controller=CONTROLLER, material_id=MAGNET_EXPORTS_MATERIAL)
    return [production_concentration(conc), export_share_series(series), control_timeline(events),
            monthly_exports(monthly)]


def context(run: Runner, groups: Sequence[str]) -> list[ChartSpec]:
    """The context charts of a pack: production shares (for the material groups in the pack),
    magnet exports and the measures."""
    conc = run("production_concentration")
    conc = conc[conc["material_group"].isin(list(groups))] if groups else conc
    monthly = run("monthly_exports_series", controller=CONTROLLER, material_id=MAGNET_EXPORTS_MATERIAL)
    events = run("control_timeline", controller=CONTROLLER)
    out = []
    if not conc.empty:
        out.append(production_concentration(conc))
    if not monthly.empty:
        out.append(monthly_exports(monthly))
    if not events.empty:
        out.append(control_timeline(events))
    return out
