"""Observed flows after the controls and each regime checked against them: the monthly imports of
each reporter with customs data (from China and from everyone else, tonnes and USD, against its
pre-control baseline, control events marked), the regimes' modelled flow against the observed
ratio, the error table, and China's customs-reported exports by destination. Used by the Control
regimes page and by country packs (for a country with monthly data). Definitions live in
``chokepoint.observed``."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import duckdb
import pandas as pd

from .. import catalog, observed
from ..constants import CONTROLLER, MAGNET_EXPORTS_MATERIAL, MAGNETS, WORLD
from ..fmt import pct, possessive
from ..regimes import Regime
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
OBSERVED_TABLES = ("observed_monthly", "control_events")
#: Control events drawn on the observed charts: measures touching magnets (or rare earths) from this date.
EVENT_MATERIALS = ("ndfeb_magnet", "smco_magnet", "permanent_magnets", "rare_earths")


def _events(events: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> list[dict[str, str]]:
    """The measures on magnets within the series' months, as {date, label} for the drawer."""
    out = []
    for r in events.itertuples():
        d = pd.Timestamp(r.date)
        mats = list(r.materials) if r.materials is not None else []
        if first <= d <= last + pd.offsets.MonthEnd(0) and any(m in EVENT_MATERIALS for m in mats):
            out.append({"date": d.date().isoformat(), "label": f"{d:%-d %b %Y}: {r.measure}"})
    return out


def _material_label(material: str) -> str:
    return catalog.materials()[material].short_name.lower()


def flows(frame: pd.DataFrame, events: pd.DataFrame, *, reporter: str, material: str) -> ChartSpec:
    """Monthly imports from China and from everyone else (observed.flows rows), tonnes and USD,
    with China's pre-control baseline and the control events; the title states China's lowest
    month after the controls as a share of the baseline."""
    name = catalog.country_name(reporter)
    china = frame[frame["group"] == "China"]
    after = china[(china["month"] >= 1) & (china["month"] <= observed.ERROR_MONTHS)]
    label = str(china["baseline_label"].iloc[0])
    base_t = float(china["baseline_t"].iloc[0])
    mat = _material_label(material)
    headline: tuple[Finding, ...] = ()
    if len(after):
        low = after.loc[after["ratio_to_baseline"].idxmin()]
        title = (f"{name}: imports from China fell at most to {pct(low['ratio_to_baseline'])} of the {label} "
                 f"after the controls ({pd.Period(low['period'], 'M'):%b %Y})")
        headline = (Finding(f"{possessive(name)} lowest month of {mat} imports from China in the "
                            f"{observed.ERROR_MONTHS} months after the controls, against the {label}",
                            pct(low["ratio_to_baseline"]), f"% of the {label}", "tonnes, customs data",
                            _source(frame)),)
    else:
        title = f"{possessive(name)} imports of {mat}: no month after the controls yet"
    first, last = frame["period_start"].min(), frame["period_start"].max()
    panels = "tonnes (top) and USD (bottom)" if frame["value_usd"].notna().any() else \
        "tonnes (no US dollar values: see the notes)"
    return ChartSpec(
        f"observed-flows-{reporter.lower()}-{material}", title,
        f"Monthly imports of {mat} (HS {', '.join(catalog.materials()[material].hs6)}) from China and from other "
        f"suppliers, {panels}; dashed: China's {label}, {base_t:,.1f} t/month; "
        f"vertical lines: China's measures on magnets",
        _source(frame), frame, "observed_flows",
        {"events": _events(events, first, last)}, tables=OBSERVED_TABLES,
        notes=(f"Baseline: {name}'s mean monthly imports from China over {label} "
               f"({china['baseline_first'].iloc[0]} to {china['baseline_last'].iloc[0]}), before the April 2025 "
               "controls.",
               f"Values: {_value_note(frame, reporter)}.",
               "HS 850511 covers all metal permanent magnets, not only rare-earth ones."),
        headline=headline)


def _value_note(frame: pd.DataFrame, reporter: str) -> str:
    """What the USD panel shows: nothing for a series without US dollar values (an ingested HMRC
    file keeps pounds sterling: no exchange rate is applied), else the reporter's value basis."""
    if frame["value_usd"].isna().all():
        return ("not in US dollars — the customs files give another currency (HMRC: pounds sterling) and no "
                "exchange rate is applied, so only tonnes are shown")
    return observed.VALUE_BASIS.get(reporter, "USD as published")


def _source(frame: pd.DataFrame) -> str:
    """The series' own source line (observed.source_line), carried by the view's frame."""
    if "source" in frame and frame["source"].notna().any():
        return str(frame["source"].dropna().iloc[0])
    return "customs data (observed_monthly)"


def backtest_frame(regs: Sequence[Regime], reporter: str, material: str, *, run: Runner) -> pd.DataFrame:
    """observed.backtest rows for several regimes, with regime, regime_name and the regime's error."""
    parts = []
    for reg in regs:
        rows, s = observed.backtest(reg, reporter, material, run=run)
        parts.append(rows.assign(regime=reg.id, regime_name=reg.name, error=s["error"],
                                 baseline_label=s["baseline"]["label"]))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(out):
        out["source"] = observed.source_line(reporter, material, run)
    return out


def backtest(frame: pd.DataFrame, *, reporter: str, material: str,
             reference_ids: Sequence[str] = ()) -> ChartSpec:
    """Observed ratio to baseline against each regime's modelled ratio (backtest_frame rows); the title
    names the closest and the farthest regime by the error (MAE over the first 6 months)."""
    name = catalog.country_name(reporter)
    err = frame.drop_duplicates("regime").set_index("regime")
    tied = [r for r in err.index if err.at[r, "error"] <= err["error"].min() + 1e-9]
    best = next((r for r in tied if r in reference_ids), tied[0])   # a tie names the no-controls reference
    worst = err["error"].idxmax()
    short = {r: "the no-controls baseline" if r in reference_ids else catalog.short_name(n)
             for r, n in err["regime_name"].items()}
    mat = _material_label(material)
    label = str(frame["baseline_label"].iloc[0])
    others = f"; {len(tied) - 1} more tie" if len(tied) > 1 else ""
    title = (f"{name}: {short[best]} fits best (error {err.at[best, 'error']:.2f}{others}); "
             f"{short[worst]} is off by {err.at[worst, 'error']:.2f}")
    return ChartSpec(
        f"observed-backtest-{reporter.lower()}-{material}", title,
        f"{possessive(name)} imports of {mat} from China as a share of the {label} (black) against each regime's "
        f"modelled flow (month 1 = April 2025); error = mean absolute error of the ratio over the first "
        f"{observed.ERROR_MONTHS} months",
        _source(frame) + "; regime library", frame, "observed_backtest",
        {"reference_ids": list(reference_ids)}, tables=("observed_monthly",),
        notes=("A regime's modelled ratio is the share of the normal flow from China it lets through in the "
               "month (approval rate after the licence delay), every regime started at the April 2025 controls.",
               "Implied approval rate of a month = observed ratio capped at 1; above 1 is restocking or demand "
               "above the baseline."),
        headline=(Finding(f"error of {short[best]} against {possessive(name)} imports from China "
                          f"(first {observed.ERROR_MONTHS} months)", f"{err.at[best, 'error']:.2f}",
                          "mean absolute error of the ratio to baseline", "tonnes, customs data",
                          _source(frame)),))


def error_table(library: Mapping[str, Regime], reporters: Sequence[str], material: str, *,
                run: Runner) -> pd.DataFrame:
    """Regimes (rows) x reporters (columns): the error, as the page shows it."""
    t = observed.error_table(library, reporters, material, run=run)
    wide = t.pivot(index="regime", columns="reporter", values="error").reindex(list(library))
    wide.columns = [f"{catalog.country_name(c)} ({c})" for c in wide.columns]
    wide.insert(0, "regime", [library[r].name for r in wide.index])
    return wide.reset_index(drop=True)


def china_destinations(monthly: pd.DataFrame) -> ChartSpec | None:
    """China's customs-reported magnet exports by destination (monthly_exports_series rows other than
    the world total); only the months a cited page gives. None when there is none."""
    d = monthly[(monthly["to_country"] != WORLD) & (monthly["months"] == 1)].copy()
    if d.empty:
        return None
    d["destination"] = d["to_country"].map(catalog.country_name)
    top = d.loc[d["quantity_t"].idxmax()]
    return ChartSpec(
        "china-magnet-exports-by-destination",
        f"Largest reported destination month: {top['quantity_t']:,.0f} t of China's magnets to {top['destination']}, "
        f"{pd.Timestamp(top['period_start']):%b %Y}",
        "China's rare-earth magnet exports by destination, tonnes per month, 2025: only months and destinations "
        "for which a cited page reports China customs figures (none estimated)",
        "; ".join(sorted(set(d["source"]))), d, "china_destination_exports", tables=("monthly_exports",),
        notes=("Destinations and months missing from the chart are not reported by any page cited; they are not "
               "zero.",))


def country_part(reporter: str, regs: Sequence[Regime], *, run: Runner,
                 reference_ids: Sequence[str] = ()) -> list[ChartSpec]:
    """A country pack's observed-vs-modelled charts: empty when the country has no monthly magnet data."""
    try:
        have = observed.observed_reporters(MAGNETS, run)
    except duckdb.Error:   # a dataset without the observed_monthly table (an ingested release)
        return []
    if reporter not in have:
        return []
    events = run("control_timeline", controller=CONTROLLER)
    frame = observed.flows(reporter, MAGNETS, run=run)
    regs = list(regs)
    return [flows(frame, events, reporter=reporter, material=MAGNETS),
            backtest(backtest_frame(regs, reporter, MAGNETS, run=run), reporter=reporter, material=MAGNETS,
                     reference_ids=reference_ids)]


def destinations(run: Runner) -> ChartSpec | None:
    """The destination chart from the built-in monthly export series."""
    return china_destinations(run("monthly_exports_series", controller=CONTROLLER,
                                  material_id=MAGNET_EXPORTS_MATERIAL))
