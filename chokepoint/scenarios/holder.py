"""One country in detail: its holder record, stock run-down curves with a low/high band, and the
sensitivity (tornado) rows of what moves its months of cover most."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import catalog, cover
from ..constants import CONTROLLER
from ..cover import Substitution
from ..regimes import Regime
from .inputs import (
    DAYS_PER_MONTH,
    DEFAULT_INDUSTRY_MONTHS,
    DEFAULT_START,
    Ranges,
    Runner,
    ScenarioError,
    country_inputs,
    default_runner,
    dependence_map,
    supply_lines,
)

_DEFAULT_RANGES = Ranges()  # the default low/high settings (immutable)


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
    holding_t: float = 0.0              # a published national holding (t), in place of the policy target
    user_stock_t: float | None = None   # a user-set stock (t): replaces the whole stock

    def stock_t(self, industry_factor: float = 1.0) -> float:
        """The stock in tonnes; ``industry_factor`` scales the assumed part (industry inventory, or
        a user-set stock as a whole)."""
        if self.user_stock_t is not None:
            return self.user_stock_t * industry_factor
        if self.holding_t:
            return self.use_t_per_month * self.industry_months * industry_factor + self.holding_t
        return self.use_t_per_month * (self.industry_months * industry_factor + self.policy_days / DAYS_PER_MONTH)


def holder(country: str, material: str, *, year: int | None = None, industry_months: float = DEFAULT_INDUSTRY_MONTHS,
           with_dependence: bool = True, stocks: Mapping[str, float] | None = None,
           run: Runner | None = None) -> Holder:
    """The inputs of one country; ScenarioError when it does not import the material."""
    run = run or default_runner()
    iso = catalog.country_iso3(country)
    inputs = country_inputs(material, year=year, industry_months=industry_months, stocks=stocks, run=run)
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
                  float(r["policy_days"]), lines, dep, str(r["state_hint"]), float(r["holding_t"]),
                  None if pd.isna(r["user_stock_t"]) else float(r["user_stock_t"]))


def rundown(h: Holder, regs: Sequence[Regime], *, ranges: Ranges = _DEFAULT_RANGES, start: dt.date = DEFAULT_START,
            substitution: Substitution | None = None, demand_factor: float = 1.0,
            starts: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """Stock curves for one country: one row per (regime, month 0..H) with stock_t and a band.

    Low = approval - ranges.approval_pp, delay + ranges.delay_months, industry months x (1 -
    industry_factor); high = the opposite corner (months of cover is monotone in each, so these two
    corners bound every combination). Columns: regime, regime_name, month, date, stock_t,
    stock_low_t, stock_high_t, months, state, months_low, months_high, band (text).
    ``starts`` gives a regime its own month 0 (``regime_status.sim_starts``: never before it is in
    force); other regimes start at ``start``."""
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
                         "date": (starts or {}).get(reg.id, start) + dt.timedelta(days=round(t * DAYS_PER_MONTH)),
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


def sensitivity(h: Holder, regime: Regime, *, ranges: Ranges = _DEFAULT_RANGES,
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
        (f"Industry inventory ±{fi:.0%} (now {h.industry_months:g} months)" if h.user_stock_t is None
         else f"Stock ±{fi:.0%} (now {h.user_stock_t:,.0f} t, user-set)",
         f"{h.industry_months * (1 - fi):g} months" if h.user_stock_t is None else f"{h.user_stock_t * (1 - fi):,.0f} t",
         f"{h.industry_months * (1 + fi):g} months" if h.user_stock_t is None else f"{h.user_stock_t * (1 + fi):,.0f} t",
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
