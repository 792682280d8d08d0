"""Country inputs for months of cover, and the scenarios built on them (issue 03).

For every importer of a material in the trade data (a *holder*):

* **monthly use** U = annual apparent consumption / 12 (``consumption``): a published figure first,
  else the derived one (= 2024 imports, an ESTIMATE, labelled so). No consumption row -> U is
  missing and the holder's state is "insufficient data" (never a silent zero).
* **supply lines** on a QUANTITY basis (``trade_flows``, the trade year): supplier e's share of the
  holder's imports. ``ROW`` is the published rest-of-world bucket: *other* suppliers, never the
  controller. Suppliers without a reported quantity are left out (and counted). When a published
  use exceeds imports (domestic production), the import shares are scaled by imports / use so the
  rest counts as supply of unknown, uncontrolled origin (``import_share_of_use``).
* **stock** S0 = U x (industry inventory months + policy days / 30.44). Industry inventory is a
  user assumption (default 3 months: AmCham China flash survey, May 2025: ~75% of firms expected
  to run out within 3 months); policy days are national stockpile *targets* with days of use whose
  material selector covers the material (JOGMEC 60 days, KOMIR 100 days): targets, not verified
  holdings.
* **dependence** of each supplier on China for the material's upstream input (extraterritorial
  rules) comes from ``exposure.dependence_for`` (the look-through evidence ladder).

``country_inputs`` returns the long table ``cover.cover_table`` takes plus the assumption columns;
``country_cover`` runs the regimes; ``rundown`` gives stock curves with a low/high band for one
country; ``sensitivity`` gives the tornado rows. Pure except for the injectable query runner
``run(name, **params)`` (``db.run_query`` by default; the app passes its cached ``ui.query``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import catalog, cover, db, exposure, regimes
from .constants import CONTROLLER, DEFAULT_STOCK_MONTHS, NOT_HOLDERS, ROW
from .cover import Substitution
from .regimes import Regime

Runner = Callable[..., pd.DataFrame]

DAYS_PER_MONTH = 30.44
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


# ------------------------------------------------------------------ ranges (band and tornado)
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


# ------------------------------------------------------------------ materials and years
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


# ------------------------------------------------------------------ country inputs
INPUT_COLUMNS = [
    "holder", "holder_name", "material_id", "destination", "origin", "share", "quantity_t",
    "stock_t", "use_t_per_month", "state_hint",
    "annual_use_t", "use_year", "use_basis", "use_method", "use_source",
    "imports_t", "import_share_of_use", "china_share", "trade_year", "trade_source", "n_no_quantity",
    "policy_days", "policy_basis", "policy_source", "industry_months", "industry_source", "stock_basis",
]
#: One value per holder (the assumptions shown beside each result).
ASSUMPTION_COLUMNS = [c for c in INPUT_COLUMNS if c not in ("origin", "share", "quantity_t", "material_id",
                                                            "destination", "stock_t", "use_t_per_month")]


def country_inputs(material: str, *, year: int | None = None, industry_months: float = DEFAULT_INDUSTRY_MONTHS,
                   run: Runner | None = None) -> pd.DataFrame:
    """The long holders table of ``cover.cover_table`` for every importer of ``material``.

    One row per (importer, supplier): holder = destination = importer ISO3, origin = supplier
    (ISO3 or ROW), share = share of monthly use, stock_t (t), use_t_per_month (t/month), plus the
    assumption columns (``ASSUMPTION_COLUMNS``). An importer without a consumption figure has
    NaN use and stock (state "insufficient data" downstream, ``state_hint`` says why)."""
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

    rows = []
    for imp, g in flows.groupby("importer", sort=True):
        lines = g[g["quantity_t"].notna()]
        imports_t = float(lines["quantity_t"].sum()) if len(lines) else math.nan
        c = cons.loc[imp] if imp in cons.index else None
        hint = ""
        if c is None:
            annual = use = math.nan
            use_basis, use_method, use_source, use_year = "no consumption figure", "", "", None
            hint = "insufficient data: no consumption figure for this country"
        else:
            annual, use = float(c["apparent_consumption_t"]), float(c["use_t_per_month"])
            use_year = int(c["year"])
            use_basis = "published" if c["basis"] == "published" else "derived (ESTIMATE)"
            use_method, use_source = str(c["method"]), str(c["source"])
        if not imports_t > 0:
            scale = math.nan
            hint = hint or "insufficient data: no import quantity reported"
        elif annual > 0:
            scale = min(1.0, imports_t / annual)
        else:
            scale = 1.0
        days, pbasis, psource = policy.get(imp, (0.0, "no national stockpile target in days of use "
                                                      "found for this country and material: 0 days", ""))
        stock = use * (industry_months + days / DAYS_PER_MONTH) if math.isfinite(use) else math.nan
        stock_basis = (f"{industry_months:g} months of use in industry inventories (assumption, user-set; "
                       f"default 3 months from the AmCham China survey) + {days:g} days of national "
                       f"stockpile policy ({days / DAYS_PER_MONTH:.2f} months at {DAYS_PER_MONTH} days/month)")
        chn = float(lines.loc[lines["supplier"] == CONTROLLER, "quantity_t"].sum())
        common = dict(
            holder=imp, holder_name=catalog.country_name(imp), material_id=mid, destination=imp,
            stock_t=stock, use_t_per_month=use, state_hint=hint, annual_use_t=annual, use_year=use_year,
            use_basis=use_basis, use_method=use_method, use_source=use_source, imports_t=imports_t,
            import_share_of_use=scale,
            china_share=chn / imports_t if imports_t > 0 else math.nan,
            trade_year=year, trade_source=str(g["source"].iloc[0]), n_no_quantity=int(g["n_no_quantity"].iloc[0]),
            policy_days=days, policy_basis=pbasis, policy_source=psource, industry_months=industry_months,
            industry_source=industry_source, stock_basis=stock_basis)
        if math.isfinite(scale) and len(lines):
            for r in lines.itertuples():
                rows.append({**common, "origin": r.supplier, "share": float(r.share) * scale,
                             "quantity_t": float(r.quantity_t)})
        else:
            rows.append({**common, "origin": None, "share": math.nan, "quantity_t": math.nan})
    out = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    out["use_year"] = out["use_year"].astype("Int64")
    return out


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


# ------------------------------------------------------------------ every country x regime
def country_cover(material: str, regs: Sequence[Regime], *, year: int | None = None,
                  industry_months: float = DEFAULT_INDUSTRY_MONTHS, substitution: Substitution | None = None,
                  demand_factor: float = 1.0, band: cover.Band | None = None,
                  run: Runner | None = None) -> pd.DataFrame:
    """``cover.cover_table`` for every importer x regime, joined with the assumption columns.

    Adds regime_name and ``months_capped`` (months, or the horizon when not exhausted within it;
    NaN for insufficient data / no use) for colour scales and sorting."""
    run = run or default_runner()
    inputs = country_inputs(material, year=year, industry_months=industry_months, run=run)
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
    """Calendar date ``months`` after ``start`` (30.44 days a month); None when not exhausted."""
    if months is None or not math.isfinite(months):
        return None
    return start + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def runout_table(rows: pd.DataFrame, start: dt.date = DEFAULT_START) -> pd.DataFrame:
    """Run-out dates for cover rows (one country): regime_name, months, state, runout_date and,
    when present, months_low/months_high with their dates."""
    d = rows.copy()
    d["runout_date"] = [runout_date(start, m) for m in d["months"]]
    cols = ["regime", "regime_name", "months", "state", "runout_date"]
    for k in ("low", "high"):
        if f"months_{k}" in d:
            d[f"runout_date_{k}"] = [runout_date(start, m) for m in d[f"months_{k}"]]
            cols += [f"months_{k}", f"state_{k}", f"runout_date_{k}"]
    d["start_date"] = start
    return d[cols + ["start_date", "horizon_months"]].reset_index(drop=True)


# ------------------------------------------------------------------ one country: curves and tornado
def shift_rules(regime: Regime, *, approval_delta: float = 0.0, delay_delta: int = 0) -> Regime:
    """Every rule's approval rate + ``approval_delta`` (clipped to 0-1) and delay + ``delay_delta``
    (not below 0): relative moves, unlike ``regimes.with_rule_params`` which sets one value for all."""
    rules = tuple(dataclasses.replace(r, approval_rate=float(min(1.0, max(0.0, r.approval_rate + approval_delta))),
                                      delay_months=int(max(0, r.delay_months + delay_delta)))
                  for r in regime.rules)
    return dataclasses.replace(regime, rules=rules)


@dataclass(frozen=True)
class Holder:
    """One country's inputs for one material (from ``country_inputs``)."""

    iso3: str
    material_id: str
    use_t_per_month: float
    industry_months: float
    policy_days: float
    lines: dict[str, float]
    dependence: dict[str, float]
    data_hint: str = ""

    def stock_t(self, industry_factor: float = 1.0) -> float:
        return self.use_t_per_month * (self.industry_months * industry_factor + self.policy_days / DAYS_PER_MONTH)


def holder(country: str, material: str, *, year: int | None = None, industry_months: float = DEFAULT_INDUSTRY_MONTHS,
           with_dependence: bool = True, run: Runner | None = None) -> Holder:
    """The inputs of one country; ScenarioError when it does not import the material."""
    run = run or default_runner()
    iso = catalog.country_iso3(country)
    inputs = country_inputs(material, year=year, industry_months=industry_months, run=run)
    row = inputs[inputs["holder"] == iso]
    if row.empty:
        have = sorted(inputs["holder"].unique(), key=catalog.country_name)
        import difflib
        close = difflib.get_close_matches(catalog.country_name(iso), [catalog.country_name(c) for c in have], 3, 0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise ScenarioError(f"{catalog.country_name(iso)} ({iso}) has no {inputs['material_id'].iloc[0]} imports "
                            f"in the trade data ({len(have)} importers have data{hint})")
    r = row.iloc[0]
    lines = supply_lines(inputs, iso)
    dep = (dependence_map(r["material_id"], int(r["trade_year"]), list(lines), run)[r["material_id"]]
           if with_dependence and lines else {})
    return Holder(iso, str(r["material_id"]), float(r["use_t_per_month"]), float(r["industry_months"]),
                  float(r["policy_days"]), lines, dep, str(r["state_hint"]))


def rundown(h: Holder, regs: Sequence[Regime], *, ranges: Ranges = Ranges(), start: dt.date = DEFAULT_START,
            substitution: Substitution | None = None, demand_factor: float = 1.0) -> pd.DataFrame:
    """Stock curves for one country: one row per (regime, month 0..H) with stock_t and a band.

    Low = approval - ranges.approval_pp, delay + ranges.delay_months, industry months x (1 -
    industry_factor); high = the opposite corner (months of cover is monotone in each, so these two
    corners bound every combination). Columns: regime, regime_name, month, date, stock_t,
    stock_low_t, stock_high_t, months, state, months_low, months_high, band (text)."""
    rows = []
    f = ranges.industry_factor
    for reg in regs:
        runs = {}
        for key, ad, dd, sf in (("mid", 0.0, 0, 1.0), ("low", -ranges.approval_pp, ranges.delay_months, 1 - f),
                                ("high", ranges.approval_pp, -ranges.delay_months, 1 + f)):
            runs[key] = cover.cover_for_holder(
                h.stock_t(sf), h.use_t_per_month, h.lines, shift_rules(reg, approval_delta=ad, delay_delta=dd),
                h.material_id, h.iso3, dependence=h.dependence, substitution=substitution,
                demand_factor=demand_factor)
        mid = runs["mid"]
        band = (f"approval ±{ranges.approval_pp:g}, delay ±{ranges.delay_months} month, "
                f"industry inventory ±{f:.0%}")
        for t, s in enumerate(mid["stock_t_series"]):
            rows.append({"regime": reg.id, "regime_name": reg.name, "month": t,
                         "date": start + dt.timedelta(days=round(t * DAYS_PER_MONTH)),
                         "stock_t": s, "stock_low_t": runs["low"]["stock_t_series"][t],
                         "stock_high_t": runs["high"]["stock_t_series"][t],
                         "months": mid["months_of_cover"], "state": mid["state"],
                         "months_low": runs["low"]["months_of_cover"], "state_low": runs["low"]["state"],
                         "months_high": runs["high"]["months_of_cover"], "state_high": runs["high"]["state"],
                         "band": band})
    return pd.DataFrame(rows)


def _shift_china(lines: Mapping[str, float], pp: float) -> dict[str, float]:
    """China's share + pp (clipped), the other suppliers scaled so the total stays the same."""
    total = sum(lines.values())
    c0 = lines.get(CONTROLLER, 0.0)
    c1 = min(max(c0 + pp, 0.0), total)
    others = total - c0
    out = {k: (v * (total - c1) / others if others > 0 else 0.0) for k, v in lines.items() if k != CONTROLLER}
    out[CONTROLLER] = c1
    return out


def sensitivity(h: Holder, regime: Regime, *, ranges: Ranges = Ranges(),
                substitution: Substitution | None = None, demand_factor: float = 1.0) -> pd.DataFrame:
    """Tornado rows: months of cover when each input moves to its low and its high setting.

    Columns: input, setting_low, setting_high (text naming the range), months_at_low,
    state_at_low, months_at_high, state_at_high, base_months, base_state, horizon_months,
    swing_months (|difference| with "not exhausted" counted as the horizon). Sorted by swing,
    largest first."""
    def run(stock, use, lines, reg):
        return cover.cover_for_holder(stock, use, lines, reg, h.material_id, h.iso3, dependence=h.dependence,
                                      substitution=substitution, demand_factor=demand_factor)
    base = run(h.stock_t(), h.use_t_per_month, h.lines, regime)
    hor = regime.horizon_months
    rates = sorted({r.approval_rate for r in regime.rules})
    delays = sorted({r.delay_months for r in regime.rules})
    rate_txt = "/".join(f"{a:g}" for a in rates) or "no rule"
    delay_txt = "/".join(str(d) for d in delays) or "no rule"
    ap, dm, fi, fu, cp = ranges.approval_pp, ranges.delay_months, ranges.industry_factor, ranges.use_factor, ranges.china_pp
    chn = h.lines.get(CONTROLLER, 0.0)
    variants = [
        (f"Approval rate ±{ap:g} (now {rate_txt})", f"{ap:g} lower", f"{ap:g} higher",
         (h.stock_t(), h.use_t_per_month, h.lines, shift_rules(regime, approval_delta=-ap)),
         (h.stock_t(), h.use_t_per_month, h.lines, shift_rules(regime, approval_delta=ap))),
        (f"Licence delay ±{dm} month (now {delay_txt})", f"{dm} month longer", f"{dm} month shorter",
         (h.stock_t(), h.use_t_per_month, h.lines, shift_rules(regime, delay_delta=dm)),
         (h.stock_t(), h.use_t_per_month, h.lines, shift_rules(regime, delay_delta=-dm))),
        (f"Industry inventory ±{fi:.0%} (now {h.industry_months:g} months)",
         f"{h.industry_months * (1 - fi):g} months", f"{h.industry_months * (1 + fi):g} months",
         (h.stock_t(1 - fi), h.use_t_per_month, h.lines, regime),
         (h.stock_t(1 + fi), h.use_t_per_month, h.lines, regime)),
        (f"Monthly use ±{fu:.0%}, stock in tonnes held (now {h.use_t_per_month:,.1f} t/month)",
         f"use +{fu:.0%}", f"use −{fu:.0%}",
         (h.stock_t(), h.use_t_per_month * (1 + fu), h.lines, regime),
         (h.stock_t(), h.use_t_per_month * (1 - fu), h.lines, regime)),
        (f"China's share of supply ±{cp * 100:g} pp (now {chn:.0%})",
         f"China +{cp * 100:g} pp", f"China −{cp * 100:g} pp",
         (h.stock_t(), h.use_t_per_month, _shift_china(h.lines, cp), regime),
         (h.stock_t(), h.use_t_per_month, _shift_china(h.lines, -cp), regime)),
    ]

    def capped(res):
        if res["state"] == cover.EXHAUSTED:
            return res["months_of_cover"]
        return float(hor) if res["state"] == cover.NOT_EXHAUSTED else math.nan

    rows = []
    for name, lo_txt, hi_txt, lo_args, hi_args in variants:
        lo, hi = run(*lo_args), run(*hi_args)
        swing = abs(capped(hi) - capped(lo)) if math.isfinite(capped(hi) + capped(lo)) else math.nan
        rows.append({"input": name, "setting_low": lo_txt, "setting_high": hi_txt,
                     "months_at_low": lo["months_of_cover"], "state_at_low": lo["state"],
                     "months_at_high": hi["months_of_cover"], "state_at_high": hi["state"],
                     "months_capped_at_low": capped(lo), "months_capped_at_high": capped(hi),
                     "base_months": base["months_of_cover"], "base_state": base["state"],
                     "base_months_capped": capped(base), "horizon_months": hor, "swing_months": swing})
    out = pd.DataFrame(rows)
    return out.sort_values("swing_months", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ regimes for the app and CLI
def rules_table(regime: Regime) -> pd.DataFrame:
    """One row per rule, in the words of the YAML (for the library tables and ``regimes list``)."""
    rows = []
    for r in regime.rules:
        t = r.targets
        targets = "all" if t.mode == "all" else (", ".join(t.countries) if t.mode == "only"
                                                 else "all except " + ", ".join(t.countries))
        rows.append({"controller": r.controller, "materials": ", ".join(r.materials), "targets": targets,
                     "approval_rate": r.approval_rate, "delay_months": r.delay_months,
                     "start_month": r.start_month,
                     "end_month": None if r.end_month is None else int(r.end_month),
                     "extraterritorial": r.extraterritorial, "note": r.note})
    return pd.DataFrame(rows, columns=["controller", "materials", "targets", "approval_rate", "delay_months",
                                       "start_month", "end_month", "extraterritorial", "note"])


def regime_summary(regime: Regime) -> dict[str, Any]:
    """JSON-friendly {id, name, horizon_months, rules: [...]} (``regimes list --format json``)."""
    d = regimes.regime_to_dict(regime)
    return {"id": regime.id, "name": regime.name, "horizon_months": regime.horizon_months,
            "description": regime.description, "rules": d["rules"],
            "sources": d["sources"], "calibration": regime.calibration}


def choose(library: Mapping[str, Regime], ids: Sequence[str], *, target: str = DEFAULT_BAN_TARGET,
           custom: Mapping[str, Regime] | None = None) -> list[Regime]:
    """Regimes by id from the library and the session's custom ones; a library regime flagged
    ``retargetable`` (the ban on one country) is retargeted at ``target`` (``regimes.with_target``)
    unless the target is its default."""
    pool = {**library, **(custom or {})}
    out = []
    for i in ids:
        reg = pool[i]
        if i in library and reg.has("retargetable") and target != DEFAULT_BAN_TARGET:
            reg = regimes.with_target(reg, target)
        out.append(reg)
    return out


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    return s or "regime"


def custom_regime(name: str, rules: Sequence[Mapping[str, Any]], *, taken: Sequence[str] = (),
                  horizon_months: int = regimes.DEFAULT_HORIZON, description: str = "") -> Regime:
    """A user-built regime from rule mappings (the YAML fields), validated by ``regimes.parse_regime``
    (``RegimeError`` lists every problem with its path). The id is ``custom-<slug of name>``, made
    unique against ``taken`` (library ids)."""
    rid = "custom-" + slug(name)
    base, k = rid, 2
    while rid in set(taken):
        rid, k = f"{base}-{k}", k + 1
    doc = {"id": rid, "name": str(name).strip() or "Custom regime", "horizon_months": int(horizon_months),
           "description": description or "Built by the user in the Chokepoint regime editor.",
           "sources": [{"title": "User input (Chokepoint regime editor)",
                        "note": "Parameters chosen by the user; not a published figure."}],
           "calibration": "User-set parameters (no calibration).", "rules": [dict(r) for r in rules]}
    return regimes.parse_regime(doc)


def rule_fields(controller: str, materials: Sequence[str], targets: str, approval_rate: float, delay_months: int,
                start_month: int, end_month: int | None, extraterritorial: bool) -> dict[str, Any]:
    """A rule mapping from the editor's widgets; ``targets`` text: 'all', 'USA, DEU' or 'except FRA, ITA'."""
    t = (targets or "all").strip()
    if t.lower() == "all" or not t:
        tv: Any = "all"
    elif t.lower().startswith("except"):
        tv = {"except": [x.strip() for x in re.split(r"[,;]", t[6:].strip(" :")) if x.strip()]}
    else:
        tv = [x.strip() for x in re.split(r"[,;]", t) if x.strip()]
    return {"controller": controller, "materials": list(materials), "targets": tv,
            "approval_rate": float(approval_rate), "delay_months": int(delay_months),
            "start_month": int(start_month), "end_month": None if not end_month else int(end_month),
            "extraterritorial": bool(extraterritorial)}


def preview(material: str, regime: Regime, countries: Sequence[str], *,
            baseline: Regime | None = None, industry_months: float = DEFAULT_INDUSTRY_MONTHS,
            run: Runner | None = None) -> pd.DataFrame:
    """Months of cover of a few countries under ``regime`` and, when given, a reference regime."""
    regs = [baseline, regime] if baseline is not None else [regime]
    d = country_cover(material, regs, industry_months=industry_months, run=run)
    return d[d["holder"].isin(list(countries))].reset_index(drop=True)


def regime_materials(regime: Regime, run: Runner | None = None) -> list[str]:
    """Materials with country data that some rule of the regime covers (for previews)."""
    ids = country_materials(run)
    covered = set().union(*(r.material_ids for r in regime.rules)) if regime.rules else set()
    return [m for m in ids if m in covered]


def cover_json(country: str, material: str, regime: Regime, *, year: int | None = None,
               industry_months: float = DEFAULT_INDUSTRY_MONTHS, run: Runner | None = None) -> dict[str, Any]:
    """The CLI's JSON contract for one country, material and regime."""
    run = run or default_runner()
    iso = catalog.country_iso3(country)
    d = country_cover(material, [regime], year=year, industry_months=industry_months, run=run)
    row = d[d["holder"] == iso]
    if row.empty:
        holder(iso, material, year=year, industry_months=industry_months, with_dependence=False, run=run)
    r = row.iloc[0]
    inputs = country_inputs(material, year=year, industry_months=industry_months, run=run)
    lines = supply_lines(inputs, iso)

    def num(x):
        return None if x is None or pd.isna(x) else float(x)
    exhausted = r["state"] == cover.EXHAUSTED
    sources = [s for s in (r["use_source"], r["trade_source"], r["policy_source"], r["industry_source"]) if s]
    return {
        "country": iso, "country_name": catalog.country_name(iso), "material": r["material_id"],
        "regime": regime.id, "regime_name": regime.name, "horizon_months": int(r["horizon_months"]),
        "months_of_cover": num(r["months"]) if exhausted else None,
        "exhausted_within_horizon": bool(exhausted), "state": str(r["state"]),
        "runout_month": int(r["runout_month"]) if exhausted else None,
        "controlled_share": num(r["controlled_share"]), "unknown_share": num(r["unknown_share"]),
        "inputs": {
            "stock_t": num(r["stock_t"]), "use_t_per_month": num(r["use_t_per_month"]),
            "industry_months": float(r["industry_months"]), "policy_days": float(r["policy_days"]),
            "policy_basis": r["policy_basis"], "stock_basis": r["stock_basis"],
            "shares": {k: float(v) for k, v in lines.items()},
            "share_basis": f"quantity shares of {int(r['trade_year'])} imports (ROW = other suppliers, never the "
                           "controller)" + (f", scaled by imports/use = {r['import_share_of_use']:.2f}"
                                            if num(r["import_share_of_use"]) not in (None, 1.0) else ""),
            "use_basis": r["use_basis"], "use_method": r["use_method"],
            "trade_year": int(r["trade_year"]), "sources": sources,
        },
    }


def _fmt(x: Any, spec: str) -> str:
    return "n/a" if x is None or pd.isna(x) else format(x, spec)


def assumption_lines(row: Mapping[str, Any]) -> list[str]:
    """The assumptions behind one country's result, as Markdown bullets (use, stock, inventory,
    shares), each naming its source. ``row`` is a ``country_cover`` or ``assumptions`` row."""
    if pd.isna(row["use_t_per_month"]):
        use = (f"**Monthly use:** none — {row['state_hint'] or 'no consumption figure'}; months of cover is "
               "*insufficient data* (not zero).")
    else:
        use = (f"**Monthly use:** {_fmt(row['use_t_per_month'], ',.1f')} t/month = "
               f"{_fmt(row['annual_use_t'], ',.0f')} t/year ÷ 12 ({row['use_year']}, **{row['use_basis']}**: "
               f"{row['use_method']}). Source: {row['use_source']}.")
    stock = (f"**Stock:** {_fmt(row['stock_t'], ',.0f')} t = use × ({row['industry_months']:g} months industry "
             f"inventory + {row['policy_days']:g} days national policy). {row['policy_basis']}."
             + (f" Source: {row['policy_source']}." if row["policy_source"] else ""))
    ind = (f"**Industry inventory:** {row['industry_months']:g} months of use — a user assumption "
           f"(default 3 months: {row['industry_source']}).")
    scale = row["import_share_of_use"]
    shares = (f"**Supply shares:** quantity shares of {row['trade_year']} imports "
              f"({_fmt(row['imports_t'], ',.0f')} t); China {_fmt(row['china_share'] * 100, '.0f')}%. ROW = other "
              "suppliers beyond each importer's top five, never the controller"
              + (f"; scaled by imports ÷ use = {scale:.2f} (the rest is domestic or unknown supply, not cut)"
                 if not pd.isna(scale) and scale < 0.999 else "")
              + (f"; {row['n_no_quantity']} supplier(s) reported no quantity and are left out"
                 if row["n_no_quantity"] else "")
              + f". Source: {row['trade_source']}.")
    return [use, stock, ind, shares]


def lines_table(h: Holder) -> pd.DataFrame:
    """One country's supply lines: supplier, supplier_name, share_of_use (0-1), dependence (0-1 on China)."""
    return pd.DataFrame({
        "supplier": list(h.lines),
        "supplier_name": [catalog.country_name(o) if o != ROW else "Other suppliers (ROW)" for o in h.lines],
        "share_of_use": list(h.lines.values()),
        "dependence": [h.dependence.get(o) for o in h.lines]})
