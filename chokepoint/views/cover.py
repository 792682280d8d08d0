"""Months of cover for countries: the importer x regime heatmap, one country's run-down curves,
the tornado of what moves the answer, a custom regime's preview, and what a country pack says
about cover. Used by the Months of cover and Control regimes pages and by country packs."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalog, cover, scenarios
from .. import regimes as regimes_mod
from ..constants import CONTROLLER
from ..fmt import cover_label, possessive
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
COVER_TABLES = ("trade_flows", "consumption", "stockpiles")
COVER_SOURCE = ("CEPII BACI HS92 V202601 (supply shares, derived use); USGS, EU and press consumption figures; "
                "IEA policy database (stockpile targets); AmCham China survey (industry inventory); regime library")
RUNOUT_WINDOW = 6    # months: "runs out within 6 months" in the heatmap's finding


def runout_count(rows: pd.DataFrame, within: int = RUNOUT_WINDOW) -> tuple[str | None, int, int]:
    """(regime with the most importers running out within ``within`` months, how many, of how many
    importers) -- the heatmap's finding; (None, 0, n) when no importer runs out that soon."""
    ex = rows[rows["state"] == cover.EXHAUSTED]
    counts = ex.groupby("regime")["months"].apply(lambda m: int((m <= within).sum()))
    n = rows["holder"].nunique()
    if len(counts) and counts.max() > 0:
        return counts.idxmax(), int(counts.max()), n
    return None, 0, n


MAJOR_SHARE = 0.98   # the heatmap's default: the largest users that together take 98% of world use


def major(rows: pd.DataFrame, share: float = MAJOR_SHARE, keep: str | None = None) -> pd.DataFrame:
    """The rows of the largest users (by ``use_t_per_month``) that together take ``share`` of the
    use of everyone in ``rows`` (plus ``keep``, the selected country): the full bilateral data lists
    every importer down to a few kilograms, whose months of cover would bury the ones that matter."""
    use = rows.drop_duplicates("holder").set_index("holder")["use_t_per_month"].fillna(0).sort_values(ascending=False)
    if use.sum() <= 0:
        return rows
    cum = use.cumsum() / use.sum()
    chosen = set(cum.index[: int((cum < share).sum()) + 1]) | ({keep} if keep else set())
    return rows[rows["holder"].isin(chosen)]


def heatmap(rows: pd.DataFrame, *, material: str, material_id: str, selected: str | None = None,
            excluded: str = "China (the controller) is not shown", notes: tuple[str, ...] = (),
            in_force: Collection[str] | None = None, as_of: dt.date | None = None,
            every_importer: bool = False) -> ChartSpec:
    """Country x regime months of cover (scenarios.country_cover rows) of the largest users that
    together take 98% of world use (``every_importer``: all of them); the title says how many run
    out within 6 months under the worst regime -- among the regimes ``in_force`` on ``as_of`` when
    given (a suspended measure or a scenario never makes the headline while a measure in force is shown)."""
    everyone = rows["holder"].nunique()
    if not every_importer:
        rows = major(rows, keep=selected)
        excluded += (f"; the {rows['holder'].nunique()} largest of {everyone} importers, "
                     f"{MAJOR_SHARE:.0%} of their use")
    names = dict(zip(rows["regime"], rows["regime_name"]))
    hmax = int(rows["horizon_months"].max()) if len(rows) else 36
    counted = rows if in_force is None else rows[rows["regime"].isin(list(in_force))]
    when = f" on {as_of.day} {as_of:%b %Y}" if as_of else ""
    prefix = ""
    if in_force is not None and counted.empty and len(rows):
        prefix, counted = f"No regime shown is in force{when}. ", rows
    worst, k, _ = runout_count(counted)
    n = rows["holder"].nunique()
    label = "in force" + when if in_force is not None and not prefix else ""
    if worst is not None:
        wname = catalog.short_name(names[worst])
        under = f"Under {wname}" + (f" ({label})" if label else "")
        title = f"{prefix}{under}, {k} of {n} importers run out of {material} within {RUNOUT_WINDOW} months"
        headline = (Finding(f"importers run out of {material} within {RUNOUT_WINDOW} months under "
                            f"{wname}" + (f", {label}" if label else ""), f"{k} of {n}", "importers",
                            "months of cover by importer and regime, ESTIMATES", COVER_SOURCE),)
    else:
        shown = "the regimes in force" + when if label else "the regimes shown"
        title = f"{prefix}No importer runs out of {material} within {RUNOUT_WINDOW} months under {shown}"
        headline = ()
    return ChartSpec(
        f"cover-heatmap-{material_id}", title,
        f"Months of cover by importer and regime, ESTIMATES ({hmax}+ = not exhausted within {hmax} months; "
        f"n/a = insufficient data)\nMost exposed first (China's share of supply); {excluded}",
        COVER_SOURCE, rows, "cover_heatmap", {"selected": selected}, tables=COVER_TABLES, notes=notes,
        headline=headline)


def first_runout(curves: pd.DataFrame) -> tuple[float, str] | None:
    """(months, regime name) of the regime under which the stock runs out first, or None."""
    first = []
    for _, g in curves.groupby("regime", sort=False):
        m = g["months"].iloc[0]
        if m == m and m is not None:
            first.append((m, g["regime_name"].iloc[0]))
    return min(first) if first else None


def coinciding(curves: pd.DataFrame) -> list[list[str]]:
    """Groups (two or more regime ids, in drawing order) whose central run-down curves are the same
    month by month (within 0.5 t), so one line would hide the other."""
    series = {rid: g.sort_values("month")["stock_t"].to_numpy() for rid, g in curves.groupby("regime", sort=False)}
    groups: list[list[str]] = []
    for rid, ys in series.items():
        home = next((g for g in groups if len(series[g[0]]) == len(ys)
                     and bool(np.allclose(series[g[0]], ys, rtol=0, atol=0.5, equal_nan=True))), None)
        if home is None:
            groups.append([rid])
        else:
            home.append(rid)
    return [g for g in groups if len(g) > 1]


def rundown(curves: pd.DataFrame, *, country: str, material: str, material_id: str,
            reference_ids: Collection[str] = (), notes: tuple[str, ...] = ()) -> ChartSpec:
    """One country's stock run-down per regime with low/high bands (scenarios.rundown rows);
    regimes whose curves coincide are named in the subtitle and drawn dashed over each other."""
    who = possessive(catalog.country_name(country))
    first = first_runout(curves)
    if first:
        m, name = first
        title = f"{who} {material} stock runs out after {m:.1f} months under {catalog.short_name(name)}"
    else:
        title = f"{who} {material} stock lasts the whole horizon under every regime shown"
    band = curves["band"].iloc[0] if len(curves) else ""
    same = coinciding(curves)
    names = dict(zip(curves["regime"], curves["regime_name"]))
    overlap = "".join(f"\nSame curve (drawn dashed over each other): {' = '.join(catalog.short_name(names[r]) for r in g)}"
                      for g in same)
    return ChartSpec(f"cover-rundown-{country}-{material_id}", title,
                     "Stock (t) month by month, ESTIMATES; legend: months of cover\nShaded for regimes "
                     f"that run out: low–high band ({band}){overlap}", COVER_SOURCE, curves, "rundown_curves",
                     {"reference_ids": tuple(reference_ids), "coinciding": tuple(tuple(g) for g in same)},
                     tables=COVER_TABLES, notes=notes)


def tornado(sens: pd.DataFrame, *, country: str, material: str, material_id: str, regime_name: str,
            notes: tuple[str, ...] = ()) -> ChartSpec:
    """What moves the answer most: months of cover with each input at its low and high setting."""
    hor = int(sens["horizon_months"].iloc[-1]) if len(sens) else 36
    top = catalog.short_name(sens.iloc[0]["input"]).split(" ±")[0] if len(sens) else ""
    base = (cover_label(sens.iloc[0]["base_months"], sens.iloc[0]["base_state"], hor) if len(sens) else "n/a")
    return ChartSpec(f"cover-tornado-{country}-{material_id}",
                     f"{catalog.country_name(country)}: {top.lower()} moves the answer most",
                     f"Months of cover of {material} under {regime_name}, ESTIMATES\nBase {base} months "
                     "(vertical line); each bar: one input moved, the others held",
                     COVER_SOURCE, sens, "cover_tornado", tables=COVER_TABLES, notes=notes)


def preview(rows: pd.DataFrame, *, key: str, regime_name: str, material: str,
            reference_ids: Collection[str] = ()) -> ChartSpec:
    """A few countries' months of cover under a custom regime against a reference."""
    hor = int(rows["horizon_months"].max()) if len(rows) else 36
    mine = rows[(rows["regime_name"] == regime_name) & (rows["state"] == cover.EXHAUSTED)]
    worst = mine.loc[mine["months"].idxmin()] if len(mine) else None
    finding = (f" — {worst['holder_name']} runs out first, after {worst['months']:.1f} months" if worst is not None
               else " — no country shown runs out within the horizon")
    return ChartSpec(key, f"Preview: {regime_name}{finding}",
                     f"Months of cover of {material} ({hor}+ = not exhausted within {hor} months), "
                     "custom regime against the reference. ESTIMATES", COVER_SOURCE, rows, "cover_preview",
                     {"reference_ids": tuple(reference_ids)}, tables=COVER_TABLES)


# ------------------------------------------------------------------ a country's cover, for packs and the CLI
FINDING_SOURCE = ("CEPII BACI supply shares; consumption and stockpile-target figures; Chokepoint regime "
                  "library (see Methods and sources)")


def months_finding(country: str, material: str, regime: regimes_mod.Regime, months: float | None, state: str,
                   horizon: int, *, worst_of_several: bool = False) -> Finding:
    """Months of cover of a country's material under a regime (a ``scenarios.country_cover`` row's
    months, state and horizon), as packs and ``python -m chokepoint cover`` state it;
    ``worst_of_several``: the regime is the worst of those a pack was given."""
    cname, short = catalog.country_name(country), catalog.materials()[material].short_name.lower()
    which = ", the worst of the regimes chosen" if worst_of_several else ""
    return Finding(f"Months of cover of {cname}'s {short} under {regime.short_name}{which} (estimate)",
                   cover_label(months, state, horizon) + " months", "months", "estimate", FINDING_SOURCE)


@dataclass(frozen=True)
class CoverPart:
    """What months-of-cover analysis adds to a country pack: charts and the worst-case finding."""

    charts: tuple[ChartSpec, ...] = ()
    finding: Finding | None = None
    notes: tuple[str, ...] = ()


def regime_notes(regime: regimes_mod.Regime) -> list[str]:
    """Each rule of a regime in one sentence: who, what, to whom, how much, when."""
    from ..fmt import pct
    out = [f"Regime '{regime.name}' ({regime.id}), judged over {regime.horizon_months} months."]
    for i, r in enumerate(regime.rules, 1):
        tg = r.targets
        to = ("all destinations" if tg.mode == "all" else
              ", ".join(tg.countries) if tg.mode == "only" else f"all except {', '.join(tg.countries)}")
        end = "never lifted within the horizon" if r.end_month is None else f"lifted after month {r.end_month}"
        out.append(f"Rule {i}: {r.controller} → {to}: {', '.join(r.materials)}; nothing delivered for "
                   f"{r.delay_months} month(s), then {pct(r.approval_rate)} of normal flow; starts month "
                   f"{r.start_month}, {end}; extraterritorial: {'yes' if r.extraterritorial else 'no'}.")
    if not regime.rules:
        out.append("No rules: supply continues as normal (the baseline).")
    if regime.calibration:
        out.append(f"Calibration: {regime.calibration.strip()}")
    return out


def _largest(rows: pd.DataFrame, peers: int) -> list[str]:
    return (rows.drop_duplicates("holder").sort_values(["imports_t", "holder"], ascending=[False, True])
            ["holder"].head(peers).tolist())


def country_part(country: str, materials: Sequence[str], regimes: Sequence[regimes_mod.Regime],
                 run: Runner, peers: int = 12, *, in_force: Collection[str] | None = None,
                 as_of: dt.date | None = None) -> CoverPart:
    """Cover heatmap (the country among the largest importers), run-down curves and tornado for
    the pack's first material, and the finding "months of cover under the worst selected regime".
    ``in_force`` (regime ids in force on ``as_of``) decides which regimes the heatmap's headline counts."""
    material = materials[0]
    if material not in scenarios.country_materials(run):
        return CoverPart(notes=(f"Months of cover: no country inputs for {material} in this dataset.",))
    cname, short = catalog.country_name(country), catalog.materials()[material].short_name.lower()
    try:
        rows = scenarios.country_cover(material, regimes, run=run)
        h = scenarios.holder(country, material, run=run)
    except (scenarios.ScenarioError, catalog.CatalogError) as e:
        return CoverPart(notes=(f"Months of cover for {cname} not computed: {e}",))
    mine = rows[rows["holder"] == country]
    a = mine.iloc[0]
    stock = (f"Stock: {a['stock_basis']}. Monthly use {a['use_t_per_month']:,.1f} t ({a['use_basis']}: "
             f"{a['use_method']}; {a['use_source']}). Supply shares by quantity, {int(a['trade_year'])} "
             f"({a['trade_source']}).")
    est = "ESTIMATES: stocks are assumptions (industry inventory months + policy targets), not verified holdings."
    reg_notes = tuple(n for r in regimes for n in regime_notes(r))
    rows = rows[rows["holder"] != CONTROLLER]  # the controller is not a holder under its own controls
    big = _largest(rows, peers)
    heat = rows[rows["holder"].isin(set(big) | {country})]
    out = [heatmap(heat, material=short, material_id=material, selected=country,
                   excluded=f"the {peers} largest importers by quantity (China excluded)"
                            + (f" and {cname}" if country not in big else ""),
                   notes=(stock, est, *reg_notes), in_force=in_force, as_of=as_of)]
    if getattr(h, "data_hint", ""):  # insufficient data: the heatmap says n/a; no curves, no finding number
        return CoverPart(tuple(out), None, (f"Months of cover for {cname}: {h.data_hint}.",))
    ranges = scenarios.Ranges()
    curves = scenarios.rundown(h, regimes, ranges=ranges)
    out.append(rundown(curves, country=country, material=short, material_id=material,
                       reference_ids=[r.id for r in regimes if r.has("reference")],
                       notes=(stock, f"Band: {curves['band'].iloc[0]}." if len(curves) else "", est, *reg_notes)))
    ex = mine[mine["state"] == cover.EXHAUSTED]
    worst = (ex.loc[ex["months"].idxmin()] if len(ex) else mine.iloc[0])
    worst_reg = next(r for r in regimes if r.id == worst["regime"])
    if worst_reg.rules:
        sens = scenarios.sensitivity(h, worst_reg, ranges=ranges)
        out.append(tornado(sens, country=country, material=short, material_id=material,
                           regime_name=worst_reg.name, notes=(stock, est, *regime_notes(worst_reg))))
    finding = months_finding(country, material, worst_reg, worst["months"], worst["state"],
                             int(worst["horizon_months"]), worst_of_several=True)
    return CoverPart(tuple(out), finding, (
        f"Stock assumption ({cname}, {short}): {a['industry_months']:g} months of use in industry inventories "
        f"(AmCham survey) + {a['policy_days']:g} days of national stockpile targets; use "
        f"{a['use_t_per_month']:,.1f} t/month ({a['use_basis']}). ESTIMATES.",))
