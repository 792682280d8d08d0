"""A company's stockpiles: months of cover per holding (site x material) under each regime, the
holding that runs out first, where supply comes from, what drives the risk, what-ifs and
snapshot comparisons. Used by the Company page and by company packs."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import catalog, company, cover
from .. import regimes as regimes_mod
from ..constants import CONTROLLER, UNKNOWN_ORIGIN
from ..fmt import cover_label, months_label
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
COMPANY_SOURCE = "company stockpile upload; Chokepoint regime library (data/regimes)"
SNAPSHOT_SOURCE = "company stockpile snapshot; Chokepoint regime library (data/regimes)"
HALF = 0.5          # "half or more of monthly use from China"


# ------------------------------------------------------------------ one function per chart
def holding_cover(table: pd.DataFrame, *, regime_names: dict[str, str], horizon: int, scope: str,
                  notes: tuple[str, ...] = ()) -> ChartSpec:
    """Months of cover per holding and regime (company_cover rows, with ``label``)."""
    ex = table[table["state"] == cover.EXHAUSTED]
    if len(ex):
        w = ex.loc[ex["months"].idxmin()]
        title = (f"{w['label']} runs out first: {months_label(w['months'])} under "
                 f"{regime_names.get(w['regime'], w['regime'])}")
    else:
        title = f"No holding runs out within {horizon} months under the regimes selected"
    return ChartSpec("company-cover", title,
                     f"Months of cover per site and material under each regime ({scope}); hatched: "
                     f"not exhausted within {horizon} months", SNAPSHOT_SOURCE, table, "holding_cover_bars",
                     {"regime_names": regime_names, "horizon": horizon}, notes=notes)


def holding_rundown(series: pd.DataFrame, *, label: str, regime_names: dict[str, str],
                    notes: tuple[str, ...] = ()) -> ChartSpec:
    """Stock month by month of one holding under each regime (regime, month, stock_t)."""
    return ChartSpec("company-rundown", f"{label}: how the stock runs down under each regime",
                     "Stock on hand at the end of each month, normal use, no substitution or demand cut",
                     SNAPSHOT_SOURCE, series, "rundown_lines", {"regime_names": regime_names}, notes=notes)


def supplier_shares(holders: pd.DataFrame) -> pd.DataFrame:
    """label, supplier (ISO3 or UNK), share of monthly use: each holding's supply lines, the share
    nobody stated as unknown origin."""
    sup = holders.assign(label=[company.holding_label(a, b) for a, b in zip(holders["holder"], holders["material_id"])])
    sup["supplier"] = sup["origin"].where(sup["origin"].notna(), UNKNOWN_ORIGIN)
    sup = sup.groupby(["label", "supplier"], sort=False, as_index=False)["share"].sum()
    unknown = (1 - sup.groupby("label", sort=False)["share"].sum()).clip(lower=0)
    unknown = unknown[unknown > 1e-9]
    if len(unknown):
        sup = pd.concat([sup, pd.DataFrame({"label": unknown.index, "supplier": UNKNOWN_ORIGIN,
                                            "share": unknown.values})])
        sup = sup.groupby(["label", "supplier"], sort=False, as_index=False)["share"].sum()
    return sup


def china_majority(sup: pd.DataFrame) -> int:
    """How many holdings get half or more of their monthly use from China."""
    chn = sup[sup["supplier"] == CONTROLLER].groupby("label")["share"].sum()
    return int((chn >= HALF).sum())


def supplier_stack(sup: pd.DataFrame, *, scope: str) -> ChartSpec:
    """Each holding's monthly use by supplier country (supplier_shares rows)."""
    n = len(dict.fromkeys(sup["label"]))
    return ChartSpec("company-suppliers", f"China supplies half or more of {china_majority(sup)} of {n} holdings",
                     f"Supply lines of each site and material as shares of monthly use ({scope})",
                     "company stockpile snapshot", sup, "holding_supplier_stack",
                     notes=("Shares of monthly use by supplier country as given in the snapshot; the rest is "
                            "of unknown origin.",))


def site_heatmap(results: pd.DataFrame, *, key: str, regime_name: str, scope: str) -> ChartSpec:
    """Site x material months of cover under one regime (company.results rows of that regime)."""
    hor = int(results["horizon_months"].max()) if len(results) else 36
    ex = results[results["state"] == cover.EXHAUSTED]
    if len(ex):
        w = ex.loc[ex["months"].astype(float).idxmin()]
        title = f"{w['site']} runs out of {w['material_name'].lower()} first: {w['months']:.1f} months"
    else:
        title = f"No site runs out within {hor} months"
    return ChartSpec(key, title, f"Months of cover per site and material under {regime_name} ({scope}); "
                     f"{hor}+ = not exhausted within {hor} months. ESTIMATES", COMPANY_SOURCE, results,
                     "company_cover_heatmap")


def drivers(drv: pd.DataFrame, *, key: str, regime_name: str, top: int = 12) -> ChartSpec:
    """The supplier lines whose cut drives the risk under one regime (company.drivers rows)."""
    d = drv[drv["cut_t_per_month_peak"].fillna(0) > 0].head(top)
    if len(d):
        w = d.iloc[0]
        title = (f"{w['supplier_name']} supply of {w['material_name'].lower()} to {w['site']} drives the risk: "
                 f"{w['cut_t_per_month_12m']:,.2f} t/month cut")
    else:
        title = f"No supplier line is cut under {regime_name}"
    return ChartSpec(key, title,
                     f"Monthly use each supplier line loses under {regime_name}, average of the first 12 months "
                     "(bar) and worst month (tick): vermillion = from China, orange = third country through its "
                     "dependence on China (extraterritorial). ESTIMATES", COMPANY_SOURCE, drv, "company_drivers",
                     {"top": top})


def what_if(cmp: pd.DataFrame, *, key: str, change: str) -> ChartSpec:
    """Months of cover as uploaded and under a what-if change (company.compare rows of one regime)."""
    hor = int(cmp["horizon_months"].max()) if len(cmp) else 36
    gain = cmp["change_months"].dropna()
    best = cmp.loc[gain.idxmax()] if len(gain) else None
    if best is not None and best["change_months"] > 0.05:
        title = f"{change}: {best['site']} · {best['material_name']} gains {best['change_months']:.1f} months"
    elif best is not None and best["change_months"] < -0.05:
        title = f"{change}: cover falls by up to {-gain.min():.1f} months"
    else:
        title = f"{change}: no holding's months of cover changes"
    return ChartSpec(key, title, f"Months of cover as uploaded and under the what-if "
                     f"({cmp['regime_name'].iloc[0] if len(cmp) else ''}); {hor} = not exhausted within the "
                     "horizon. ESTIMATES", COMPANY_SOURCE, cmp, "company_what_if")


def snapshot_change(per_material: pd.DataFrame, *, key: str, name_a: str, name_b: str) -> ChartSpec:
    """Stock change per material between two snapshots (Workspace.compare(per_site=False))."""
    up = int((per_material["on_hand_change_t"] > 0).sum())
    down = int((per_material["on_hand_change_t"] < 0).sum())
    return ChartSpec(key, f"Stock rose for {up} and fell for {down} of {len(per_material)} materials",
                     f"Stock on hand, all sites: '{name_b}' minus '{name_a}' (t)",
                     "company stockpile snapshots (workspace)", per_material, "snapshot_change")


# ------------------------------------------------------------------ a company, for packs
def cover_table(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime],
                default_country: str | None = None, run: Runner | None = None) -> pd.DataFrame:
    """Months of cover per site x material x regime: the Company page's own ``company.results``
    (suppliers' dependence on China included for extraterritorial rules), with a holding label."""
    return labelled(results(lines, regimes, default_country, run))


def results(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime],
            default_country: str | None = None, run: Runner | None = None) -> pd.DataFrame:
    """``company.results`` rows (the CLI's JSON and CSV rows), the suppliers' dependence on China
    looked up when a regime has an extraterritorial rule."""
    regimes = list(regimes)
    dep = company.dependence_map(lines, run) if run is not None and company.needs_dependence(regimes) else None
    return company.results(lines, regimes, default_country=default_country, dependence=dep)


def labelled(res: pd.DataFrame) -> pd.DataFrame:
    """``results`` rows as the charts take them: holder, stock_t, use_t_per_month and a holding label."""
    table = res.rename(columns={"site": "holder", "on_hand_t": "stock_t", "monthly_use_t": "use_t_per_month"})
    table.insert(0, "label", [company.holding_label(h, m) for h, m in zip(table["holder"], table["material_id"])])
    return table


def _first_series(lines: pd.DataFrame, first: pd.Series, regimes: Sequence[regimes_mod.Regime], horizon: int,
                  holders: pd.DataFrame) -> pd.DataFrame:
    """Month-by-month stock of the holding that runs out first, under each regime (same engine)."""
    g = holders[(holders["holder"] == first["holder"]) & (holders["material_id"] == first["material_id"])]
    lns: dict[str, float] = {}
    for o, sh in zip(g["origin"], g["share"]):
        if isinstance(o, str):
            lns[o] = lns.get(o, 0.0) + float(sh)
    series = []
    for r in regimes:
        res = cover.cover_for_holder(float(g["stock_t"].iloc[0]), float(g["use_t_per_month"].iloc[0]), lns, r,
                                     first["material_id"], first["destination"], horizon=horizon)
        series += [(r.id, m, v) for m, v in enumerate(res["stock_t_series"]) if v is not None]
    return pd.DataFrame(series, columns=["regime", "month", "stock_t"])


def worst_regime(table: pd.DataFrame, regimes: Sequence[regimes_mod.Regime]) -> str:
    """The regime under which most holdings run out (ties: the earliest run-out)."""
    def key(r: regimes_mod.Regime):
        mine = table["regime"] == r.id
        return (-(table[mine]["state"] == cover.EXHAUSTED).sum(),
                table.loc[mine, "months"].min() if mine.any() else math.inf)
    return min(regimes, key=key).id


@dataclass(frozen=True)
class CompanyView:
    """What a company pack shows: the cover table, the charts, the findings and the method notes;
    ``results`` is the same table as ``company.results`` writes it (the CLI's rows)."""

    table: pd.DataFrame
    charts: tuple[ChartSpec, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]
    scope: str
    holdings: int
    results: pd.DataFrame


def analysis(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime], *, name: str,
             default_country: str | None, run: Runner | None, reg_notes: tuple[str, ...]) -> CompanyView:
    """A company's months of cover per holding under each regime, the earliest run-out, where its
    supply comes from: the charts and the three findings of a company pack."""
    res = results(lines, regimes, default_country, run)
    table = labelled(res)
    names = {r.id: r.name for r in regimes}
    horizon = max(r.horizon_months for r in regimes)
    n_hold = table[["holder", "material_id"]].drop_duplicates().shape[0]
    scope = f"{name}, {n_hold} holdings"
    no_dest = table.loc[table["destination"].isna(), "label"].unique().tolist()
    stock_note = ("Stock and monthly use are the snapshot's figures in tonnes; use stays at the stated rate, "
                  "no substitution and no demand cut; the share of use with no supplier country is assumed "
                  "to keep arriving (unknown origin).")
    dest_note = ("Targets are decided by each site's country (site_country)"
                 + (f"; {len(no_dest)} holding(s) without one are treated as an unknown destination "
                    "(hit by 'all' rules only)." if no_dest else "."))
    miss = sorted({o for v in table["dependence_missing"] if v for o in str(v).split(",")})
    et_note = (f"Extraterritorial rules: the dependence on China of {', '.join(miss)} is unknown and taken as 0, "
               "so the cut is understated for those lines." if miss else
               "No extraterritorial rule reaches a supplier of unknown dependence.")
    specs = [holding_cover(table, regime_names=names, horizon=horizon, scope=scope,
                           notes=(stock_note, dest_note, et_note, *reg_notes))]
    ex = table[table["state"] == cover.EXHAUSTED]
    first = ex.loc[ex["months"].idxmin()] if len(ex) else table.iloc[0]
    holders = company.holders(lines, default_country)
    series = _first_series(lines, first, regimes, horizon, holders)
    if not series.empty:
        specs.append(holding_rundown(series, label=first["label"], regime_names=names,
                                     notes=(stock_note, dest_note, *reg_notes)))
    sup = supplier_shares(holders)
    specs.append(supplier_stack(sup, scope=scope))
    src = f"{name} (company snapshot); Chokepoint regime library"
    if len(ex):
        f0 = Finding(f"Earliest run-out: {first['label']} under {names[first['regime']]}",
                     months_label(first["months"]), "months", "estimate", src)
    else:
        f0 = Finding(f"No holding runs out within {horizon} months under the regimes chosen", "none", "", "", src)
    worst = worst_regime(table, regimes)
    k = int(((table["regime"] == worst) & (table["state"] == cover.EXHAUSTED)).sum())
    k12 = int(((table["regime"] == worst) & (table["months"] <= 12)).sum())
    findings = (f0,
                Finding(f"holdings run out within {horizon} months under {names[worst]} ({k12} within 12 months)",
                        f"{k} of {n_hold}", "holdings", "estimate", src),
                Finding("holdings get half or more of their monthly use from China", f"{china_majority(sup)} of {n_hold}",
                        "holdings", "share of monthly use", f"{name} (company snapshot)"))
    return CompanyView(table, tuple(specs), findings, (stock_note, dest_note, et_note), scope, n_hold, res)


def material_groups(table: pd.DataFrame) -> list[str]:
    return sorted({catalog.materials()[m].group for m in table["material_id"].unique()})


# ------------------------------------------------------------------ two snapshots compared
@dataclass(frozen=True)
class SnapshotComparison:
    """Two snapshots compared: the chart of months of cover per holding under each regime in
    each, the cover table (``snapshot_diff.cover_change`` rows) and what changed in the inputs
    (``snapshot_diff.input_changes`` rows), with human-labelled tables for the screen."""

    spec: ChartSpec
    cover: pd.DataFrame
    inputs: pd.DataFrame

    def cover_display(self, name_a: str, name_b: str) -> pd.DataFrame:
        """The cover table with human headers and months written as everywhere ("36+", "—")."""
        d = self.cover
        return pd.DataFrame({
            "Site": d["site"], "Material": d["material_name"],
            "Regime": [catalog.short_name(n) for n in d["regime_name"]],
            f"{name_a} (months)": [_cover_cell(m, s, h) for m, s, h in
                                           zip(d["months_a"], d["state_a"], d["horizon_months"])],
            f"{name_b} (months)": [_cover_cell(m, s, h) for m, s, h in
                                           zip(d["months_b"], d["state_b"], d["horizon_months"])],
            "Change (months)": [_change_cell(c, cc, st) for c, cc, st in
                                zip(d["change_months"], d["change_capped"], d["status"])]})

    def inputs_display(self, name_a: str, name_b: str) -> pd.DataFrame:
        d = self.inputs
        return pd.DataFrame({
            "Site": d["site"], "Material": d["material_name"], "Status": d["status"], "What changed": d["changes"],
            f"Stock (t): {name_a}": d["on_hand_t_a"], f"Stock (t): {name_b}": d["on_hand_t_b"],
            f"Use (t/month): {name_a}": d["monthly_use_t_a"], f"Use (t/month): {name_b}": d["monthly_use_t_b"]})


def _cover_cell(m: float, state, horizon: int) -> str:
    if not isinstance(state, str):
        return "—"
    return cover_label(None if m != m else m, state, horizon)


def _change_cell(change: float, capped: float, status: str) -> str:
    if status != "in both":
        return status
    if change == change:
        return f"{change:+.1f}"
    if capped != capped:
        return "—"
    return "no change" if abs(capped) < 0.05 else f"{capped:+.1f} or more" if capped > 0 else f"{capped:+.1f} or less"


def snapshot_cover(lines_a: pd.DataFrame, lines_b: pd.DataFrame, regimes: Sequence[regimes_mod.Regime], *,
                   name_a: str, name_b: str, key: str, default_country: str | None = None,
                   dependence: Callable[[pd.DataFrame], dict | None] | None = None) -> SnapshotComparison:
    """Months of cover per holding under each regime in snapshot a and in b, the change, and
    what changed in the inputs. ``dependence(lines)``: suppliers' dependence on China for
    extraterritorial rules (the page passes ``company.dependence_map`` over its cached queries)."""
    from .. import snapshot_diff
    regimes = list(regimes)
    dep_a = dependence(lines_a) if dependence is not None else None
    dep_b = dependence(lines_b) if dependence is not None else None
    res_a = company.results(lines_a, regimes, default_country=default_country, dependence=dep_a)
    res_b = company.results(lines_b, regimes, default_country=default_country, dependence=dep_b)
    table = snapshot_diff.cover_change(res_a, res_b)
    inputs = snapshot_diff.input_changes(lines_a, lines_b)
    table.insert(0, "label", [company.holding_label(s, m) for s, m in zip(table["site"], table["material_id"])])
    fell, rose, n = snapshot_diff.counts(table)
    worst = snapshot_diff.worst_change(table)
    if worst is not None:
        title = (f"{worst['label']} loses {-worst['change_capped']:.1f} months of cover under "
                 f"{worst['regime_name']} from '{name_a}' to '{name_b}'")
    elif (best := snapshot_diff.best_change(table)) is not None:
        title = (f"No holding loses cover; {best['label']} gains {best['change_capped']:.1f} months under "
                 f"{best['regime_name']}")
    else:
        title = f"Months of cover are unchanged from '{name_a}' to '{name_b}' under the regimes selected"
    changed = int((inputs["status"] != "unchanged").sum())
    subtitle = (f"Months of cover per site and material, '{name_a}' (grey) → '{name_b}' (colour), one panel per "
                f"regime; cover fell for {fell} and rose for {rose} of {n} holding × regime pairs; inputs changed "
                f"for {changed} of {len(inputs)} holdings. ESTIMATES")
    horizon = max((r.horizon_months for r in regimes), default=36)
    spec = ChartSpec(key, title, subtitle, "company stockpile snapshots (workspace); Chokepoint regime library",
                     table, "snapshot_cover_change",
                     {"regime_names": {r.id: r.short_name for r in regimes}, "horizon": horizon,
                      "name_a": name_a, "name_b": name_b},
                     notes=("Both snapshots are run with the same regimes, start and destination settings; only "
                            "their stock, use, site countries and supply lines differ.",))
    return SnapshotComparison(spec, table, inputs)
