"""Country inputs of the months-of-cover model: who holds what, uses how much, buys from whom.

For every importer of a material in the trade data (a *holder*):

* **monthly use** U = annual apparent consumption / 12 (``consumption``): a published figure first,
  else the derived one (= 2024 imports, an ESTIMATE, labelled so). No consumption row -> U is
  missing and the holder's state is "insufficient data" (never a silent zero).
* **supply lines** on a QUANTITY basis (``trade_flows``, the trade year): supplier e's share of the
  holder's imports, over every supplier recorded (an origin ``ROW`` -- other suppliers, never the
  controller -- is allowed in company lines). Suppliers without a reported quantity are left out (and counted). When a published
  use exceeds imports (domestic production), the import shares are scaled by imports / use so the
  rest counts as supply of unknown, uncontrolled origin (``import_share_of_use``).
* **stock** S0 = U x (industry inventory months + policy days / DAYS_PER_MONTH). Industry inventory
  is a user assumption (default 3 months: AmCham China flash survey, May 2025: ~75% of firms
  expected to run out within 3 months); policy days are national stockpile *targets* with days of
  use whose material selector covers the material (JOGMEC 60 days, KOMIR 100 days): targets, not
  verified holdings.
* **dependence** of each supplier on China for the material's upstream input (extraterritorial
  rules) comes from ``exposure.dependence_for`` (the look-through evidence ladder).

``country_inputs`` returns the long table ``cover.cover_table`` takes plus the assumption columns;
``country_cover`` runs the regimes for every holder. Pure except for the injectable query runner
``run(name, **params)`` (``db.run_query`` by default; the app passes its cached ``ui.query``).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import catalog, cover, db, exposure
from ..constants import CONTROLLER, DAYS_PER_MONTH, DEFAULT_STOCK_MONTHS, NOT_HOLDERS
from ..cover import Substitution
from ..regimes import Regime
from . import stock as stock_mod

Runner = Callable[..., pd.DataFrame]




DEFAULT_INDUSTRY_MONTHS = DEFAULT_STOCK_MONTHS


INDUSTRY_CITATION = ("AmCham China flash survey, 23–28 May 2025 (112 firms): about 75% of affected firms "
                     "expected inventories to run out within 3 months (via secondary page)")


#: The April 2025 measure (MOFCOM Announcement No. 18): the default simulation start.
DEFAULT_START = dt.date(2025, 4, 4)


DEFAULT_BAN_TARGET = "USA"


class ScenarioError(ValueError):
    """A request the data cannot answer (unknown material for country data, no such country)."""


def default_runner(data_dir: Path | str = db.DATA) -> Runner:
    return partial(db.run_query, data_dir=data_dir)


@dataclass(frozen=True)
class Ranges:
    """How far each input moves for the band and the tornado (named in every output row).

    approval_pp: every rule's approval rate +- this (clipped to 0-1); delay_months: every rule's
    delay +- this (not below 0); industry_factor: industry inventory months x (1 -+ this);
    use_factor: monthly use x (1 -+ this) with the stock in tonnes held; china_pp: China's share of
    supply +- this, taken from / given to the other suppliers in proportion."""

    approval_pp: float = 0.10
    delay_months: int = 1
    industry_factor: float = 0.5
    use_factor: float = 0.2
    china_pp: float = 0.10


def country_materials(run: Runner | None = None) -> list[str]:
    """Catalogue ids of the materials with bilateral trade lines (the ones with country data)."""
    run = run or default_runner()
    cov = run("exposure_trade_coverage")
    ids = [m for m in dict.fromkeys(cov["material_id"].dropna()) if m in catalog.materials()]
    return ids


def resolve(material: str, run: Runner) -> tuple[str, tuple[str, ...], list[int]]:
    """(material id, HS lines, trade years) for a material with country data; ScenarioError else."""
    mid = catalog.resolve_material(material)
    hs6 = catalog.materials()[mid].hs6
    cov = run("exposure_trade_coverage")
    years = sorted({int(y) for y in cov.loc[cov["hs6"].isin(hs6), "year"]})
    if not years:
        have = ", ".join(country_materials(run))
        raise ScenarioError(f"no country trade data for {mid!r} (HS {', '.join(hs6) or 'none'}); "
                            f"materials with country data: {have}")
    return mid, hs6, years


def _policy(material_id: str, policies: pd.DataFrame) -> dict[str, tuple[float, str, str]]:
    """country -> (days, basis text, source) of the largest stockpile target covering the material."""
    out: dict[str, tuple[float, str, str]] = {}
    for r in policies.itertuples():
        try:
            covered = material_id in catalog.expand_selector(str(r.material))
        except catalog.CatalogError:
            continue
        if not covered or r.days_of_use is None or not math.isfinite(r.days_of_use):
            continue
        days = float(r.days_of_use)
        if r.country in out and out[r.country][0] >= days:
            continue
        basis = (f"{r.holder}: {r.measure} {days:g} days of use for {r.material} ({r.as_of}); "
                 f"a target, not a verified holding" + (f" — {r.note}" if r.note else ""))
        out[r.country] = (days, basis, str(r.source))
    return out


INPUT_COLUMNS = [
    "holder", "holder_name", "material_id", "destination", "origin", "share", "quantity_t",
    "stock_t", "use_t_per_month", "state_hint",
    "annual_use_t", "use_year", "use_basis", "use_method", "use_source",
    "imports_t", "import_share_of_use", "china_share", "trade_year", "trade_source", "n_no_quantity",
    "policy_days", "policy_basis", "policy_source", "industry_months", "industry_source", "stock_basis",
    "stock_kind", "stock_evidence", "holding_t", "user_stock_t",
]


#: One value per holder (the assumptions shown beside each result).
ASSUMPTION_COLUMNS = [c for c in INPUT_COLUMNS if c not in ("origin", "share", "quantity_t", "material_id",
                                                            "destination", "stock_t", "use_t_per_month")]


def country_inputs(material: str, *, year: int | None = None, industry_months: float = DEFAULT_INDUSTRY_MONTHS,
                   stocks: Mapping[str, float] | None = None, run: Runner | None = None) -> pd.DataFrame:
    """The long holders table of ``cover.cover_table`` for every importer of ``material``.

    One row per (importer, supplier): holder = destination = importer ISO3, origin = supplier
    (ISO3 or ROW), share = share of monthly use, stock_t (t), use_t_per_month (t/month), plus the
    assumption columns (``ASSUMPTION_COLUMNS``). An importer without a consumption figure has
    NaN use and stock (state "insufficient data" downstream, ``state_hint`` says why).

    ``stocks`` ({country: tonnes}) are user-set stocks that replace a country's whole stock; a
    published national holding (``stockpiles``, measure = holding) replaces its policy target.
    ``stock_kind`` and ``stock_evidence`` say which (``scenarios.stock``)."""
    if industry_months is None or not industry_months >= 0:
        raise ScenarioError(f"industry inventory months must be >= 0, not {industry_months!r}")
    run = run or default_runner()
    mid, hs6, years = resolve(material, run)
    if year is None:
        year = years[-1]
    elif int(year) not in years:
        raise ScenarioError(f"no {mid} trade data for {year}; years with data: {', '.join(map(str, years))}")
    year = int(year)
    flows = run("cover_supplier_quantities", hs6_list=list(hs6), year=year)
    flows = flows[~flows["importer"].isin(NOT_HOLDERS)]
    cons = run("cover_consumption", material_id=mid).set_index("country")
    policy = _policy(mid, run("cover_stockpile_policies", measure="target"))
    survey = run("cover_stockpile_policies", measure="survey")
    industry_source = str(survey["source"].iloc[0]) if len(survey) else INDUSTRY_CITATION
    industry_months = float(industry_months)
    try:
        user = stock_mod.user_stocks(stocks)
    except ValueError as e:
        raise ScenarioError(str(e)) from None
    held = stock_mod.holdings(mid, run("cover_stockpile_holdings"))

    rows = []
    for imp, g in flows.groupby("importer", sort=True):
        lines = g[g["quantity_t"].notna()]
        imports_t = float(lines["quantity_t"].sum()) if len(lines) else math.nan
        annual, use, use_basis, use_method, use_source, use_year, hint = _use(
            cons.loc[imp] if imp in cons.index else None)
        scale = _import_scale(imports_t, annual)
        if not math.isfinite(scale):
            hint = hint or "insufficient data: no import quantity reported"
        days, pbasis, psource = policy.get(imp, (0.0, "no national stockpile target in days of use "
                                                      "found for this country and material: 0 days", ""))
        st = stock_mod.stock_for(use, industry_months, days, holding=held.get(imp), user_t=user.get(imp))
        stock = st.stock_t
        chn = float(lines.loc[lines["supplier"] == CONTROLLER, "quantity_t"].sum())
        common = dict(
            holder=imp, holder_name=catalog.country_name(imp), material_id=mid, destination=imp,
            stock_t=stock, use_t_per_month=use, state_hint=hint, annual_use_t=annual, use_year=use_year,
            use_basis=use_basis, use_method=use_method, use_source=use_source, imports_t=imports_t,
            import_share_of_use=scale,
            china_share=chn / imports_t if imports_t > 0 else math.nan,
            trade_year=year, trade_source=str(g["source"].iloc[0]), n_no_quantity=int(g["n_no_quantity"].iloc[0]),
            policy_days=days, policy_basis=pbasis, policy_source=psource, industry_months=industry_months,
            industry_source=industry_source, stock_basis=_assumed_stock(industry_months, days) if st.kind in (
                stock_mod.ASSUMPTION, stock_mod.ASSUMPTION_TARGET) else st.evidence,
            stock_kind=st.kind, stock_evidence=st.evidence, holding_t=st.holding_t, user_stock_t=st.user_t)
        if math.isfinite(scale) and len(lines):
            for r in lines.itertuples():
                rows.append({**common, "origin": r.supplier, "share": float(r.share) * scale,
                             "quantity_t": float(r.quantity_t)})
        else:
            rows.append({**common, "origin": None, "share": math.nan, "quantity_t": math.nan})
    out = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    out["use_year"] = out["use_year"].astype("Int64")
    return out


def _use(c: pd.Series | None) -> tuple[float, float, str, str, str, int | None, str]:
    """An importer's use from its consumption row: annual t, t/month, basis, method, source, year,
    and the reason it is missing ("" when present)."""
    if c is None:
        return (math.nan, math.nan, "no consumption figure", "", "", None,
                "insufficient data: no consumption figure for this country")
    basis = "published" if c["basis"] == "published" else "derived (ESTIMATE)"
    return (float(c["apparent_consumption_t"]), float(c["use_t_per_month"]), basis, str(c["method"]),
            str(c["source"]), int(c["year"]), "")


def _import_scale(imports_t: float, annual: float) -> float:
    """The share of use that is imported (capped at 1): NaN without an import quantity, 1 when
    use is unknown or zero (the supplier shares then stand for the whole use)."""
    if not imports_t > 0:
        return math.nan
    return min(1.0, imports_t / annual) if annual > 0 else 1.0


def _assumed_stock(industry_months: float, days: float) -> str:
    return (f"{industry_months:g} months of use in industry inventories (assumption, user-set; "
            f"default 3 months from the AmCham China survey) + {days:g} days of national "
            f"stockpile policy ({days / DAYS_PER_MONTH:.2f} months at {DAYS_PER_MONTH} days/month)")


def assumptions(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per holder: stock, use and the assumption columns (what is shown beside results)."""
    cols = ["holder", "material_id", "stock_t", "use_t_per_month"] + [c for c in ASSUMPTION_COLUMNS if c != "holder"]
    return inputs.drop_duplicates("holder")[cols].reset_index(drop=True)


def supply_lines(inputs: pd.DataFrame, holder: str) -> dict[str, float]:
    """{origin: share of monthly use} for one holder (empty when it has no usable lines)."""
    g = inputs[(inputs["holder"] == holder) & inputs["origin"].notna() & inputs["share"].notna()]
    return dict(zip(g["origin"], g["share"].astype(float)))


def dependence_map(material_id: str, year: int, suppliers: Sequence[str], run: Runner) -> dict[str, dict[str, float]]:
    """{material_id: {supplier: dependence on China}} from exposure's look-through ladder."""
    hs6 = catalog.materials()[material_id].hs6
    sel = exposure.Selection("", material_id, tuple(hs6), int(year), "quantity")
    dep = exposure.dependence_for(sel, hs6[0], run, sorted(set(suppliers)))
    dep = dep.dropna(subset=["dependence"])
    return {material_id: dict(zip(dep["supplier"], dep["dependence"].astype(float)))}


def _needs_dependence(regs: Sequence[Regime]) -> bool:
    return any(r.extraterritorial for reg in regs for r in reg.rules)


def country_cover(material: str, regs: Sequence[Regime], *, year: int | None = None,
                  industry_months: float = DEFAULT_INDUSTRY_MONTHS, substitution: Substitution | None = None,
                  demand_factor: float = 1.0, band: cover.Band | None = None,
                  stocks: Mapping[str, float] | None = None, run: Runner | None = None) -> pd.DataFrame:
    """``cover.cover_table`` for every importer x regime, joined with the assumption columns.

    Adds regime_name and ``months_capped`` (months, or the horizon when not exhausted within it;
    NaN for insufficient data / no use) for colour scales and sorting."""
    run = run or default_runner()
    inputs = country_inputs(material, year=year, industry_months=industry_months, stocks=stocks, run=run)
    regs = list(regs)
    mid = inputs["material_id"].iloc[0] if len(inputs) else catalog.resolve_material(material)
    dep = (dependence_map(mid, int(inputs["trade_year"].iloc[0]), inputs["origin"].dropna().unique(), run)
           if _needs_dependence(regs) and len(inputs) else None)
    out = cover.cover_table(inputs, regs, dependence=dep, substitution=substitution,
                            demand_factor=demand_factor, band=band)
    names = {r.id: r.name for r in regs}
    out.insert(4, "regime_name", out["regime"].map(names))
    out["months_capped"] = np.where(out["state"] == cover.NOT_EXHAUSTED, out["horizon_months"].astype(float),
                                    out["months"])
    extra = assumptions(inputs).drop(columns=["material_id", "stock_t", "use_t_per_month"])
    return out.merge(extra, on="holder", how="left")


def runout_date(start: dt.date, months: float | None) -> dt.date | None:
    """Calendar date ``months`` after ``start`` (``constants.DAYS_PER_MONTH`` = 30.4375 days a month,
    rounded to whole days); None when not exhausted."""
    if months is None or not math.isfinite(months):
        return None
    return start + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def runout_table(rows: pd.DataFrame, start: dt.date = DEFAULT_START,
                 starts: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """Run-out dates for cover rows (one country): regime_name, months, state, runout_date and,
    when present, months_low/months_high with their dates. ``starts`` gives a regime its own
    start date (``regime_status.sim_starts``); ``start_date`` says which one each row used."""
    d = rows.copy()
    first = [(starts or {}).get(r, start) for r in d["regime"]]
    d["runout_date"] = [runout_date(s0, m) for s0, m in zip(first, d["months"])]
    cols = ["regime", "regime_name", "months", "state", "runout_date"]
    for k in ("low", "high"):
        if f"months_{k}" in d:
            d[f"runout_date_{k}"] = [runout_date(s0, m) for s0, m in zip(first, d[f"months_{k}"])]
            cols += [f"months_{k}", f"state_{k}", f"runout_date_{k}"]
    d["start_date"] = first
    return d[cols + ["start_date", "horizon_months"]].reset_index(drop=True)
