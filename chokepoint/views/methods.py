"""The two methods on *Data and methods*, each with a worked example computed from the built-in
data by the same code the pages use (look-through: ``exposure.exposure``; months of cover:
``scenarios.holder`` and ``cover.cover_for_holder``). The example's arithmetic is redone here from
the model's inputs, in the open, and its result is set beside the model's own output; a test
checks the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import catalog, cover, exposure, fmt, regimes, scenarios
from ..constants import CONTROLLER
from ..scenarios.inputs import Runner

LOOKTHROUGH_FORMULA = (
    "direct = share(China)\n"
    "indirect = Σ over suppliers e ≠ China of share(e) × dependence(e)\n"
    "total = direct + min(indirect, 1 − direct)")
COVER_FORMULA = (
    "inflow(t)    = U × (Σ_e s_e × pass_e(t) + unknown share)\n"
    "shortfall(t) = max(U − inflow(t), 0)\n"
    "S(t)         = S(t−1) − shortfall(t)        months of cover: when S reaches 0 (linear within the month)\n"
    "\n"
    "one rule, approval a after a delay of d months, controlled share c:\n"
    "months = S0 / (U·c)                              if the stock runs out within the delay\n"
    "       = d + (S0 − d·U·c) / (U·c·(1 − a))        otherwise")


@dataclass(frozen=True)
class LookThroughExample:
    importer: str
    material: str
    year: int
    direct: float
    terms: list[tuple[str, float, float]]   # (supplier name, share, dependence), largest contributions
    rest: float                             # the contributions of every other supplier
    indirect: float                         # Σ share × dependence, recomputed here
    total: float                            # direct + min(indirect, 1 − direct), recomputed here
    model_total: float                      # exposure's china_share_total

    def markdown(self) -> str:
        name = catalog.country_name(self.importer)
        parts = " + ".join(f"{fmt.pct(s, 1)} × {fmt.pct(d, 0)} ({n})" for n, s, d in self.terms)
        return (
            f"**Worked example: {name}, {self.material}, {self.year}, by value** (built-in data). "
            f"China ships {fmt.pct(self.direct, 1)} directly. The largest contributions through third countries: "
            f"{parts}, plus {fmt.pct(self.rest, 2)} from every other supplier: indirect = "
            f"**{fmt.pct(self.indirect, 1)}**. Total = {fmt.pct(self.direct, 1)} + min({fmt.pct(self.indirect, 1)}, "
            f"{fmt.pct(1 - self.direct, 1)}) = **{fmt.pct(self.total, 1)}**; the Exposure page shows "
            f"{fmt.pct(self.model_total, 1)}.")


def lookthrough_example(run: Runner, importer: str = "IND", material: str = "permanent_magnets",
                        shown: int = 3) -> LookThroughExample:
    """China's total share of ``importer``'s imports of ``material`` (latest year, by value), worked."""
    exp = exposure.exposure(importer, material, basis="value", run=run)
    d = exp.suppliers
    others = d[(d["supplier"] != CONTROLLER) & d["share"].notna()].copy()
    others["contribution"] = others["share"] * others["dependence"].fillna(0.0)
    others = others.sort_values("contribution", ascending=False)
    top = others.head(shown)
    direct = float(d.loc[d["supplier"] == CONTROLLER, "share"].sum())
    indirect = float(others["contribution"].sum())
    return LookThroughExample(
        importer, exposure.material_label(exp.selection.material, exp.selection.hs6), exp.selection.year, direct,
        [(catalog.country_name(r.supplier), float(r.share), float(r.dependence)) for r in top.itertuples()],
        float(others["contribution"].iloc[shown:].sum()), indirect, direct + min(indirect, 1 - direct),
        float(exp.summary["china_share_total"]))


@dataclass(frozen=True)
class CoverExample:
    country: str
    material: str
    regime: str
    stock_t: float
    use_t: float
    controlled: float
    approval: float
    delay: int
    months: float            # the closed form, recomputed here
    model_months: float      # cover.cover_for_holder's months_of_cover

    def markdown(self) -> str:
        name, u, c, a, d = catalog.country_name(self.country), self.use_t, self.controlled, self.approval, self.delay
        during = d * u * c
        if self.stock_t <= during:
            steps = f"S0 / (U·c) = {self.stock_t:,.0f} / {u * c:,.1f}"
        else:
            steps = (f"{d} + ({self.stock_t:,.0f} − {d} × {u:,.1f} × {c:.3f}) / ({u:,.1f} × {c:.3f} × "
                     f"(1 − {a:.2f})) = {d} + {self.stock_t - during:,.0f} / {u * c * (1 - a):,.1f}")
        return (
            f"**Worked example: {name}, {self.material}, under “{self.regime}”** (built-in data, default "
            f"assumptions; ESTIMATE). Stock S0 = **{self.stock_t:,.0f} t**, use U = **{u:,.1f} t/month**, China's "
            f"controlled share c = **{fmt.pct(c, 1)}**, approval a = **{fmt.pct(a, 0)}** after a delay of "
            f"**{d} months**. For {d} months the stock covers {u * c:,.1f} t/month ({during:,.0f} t in all), then "
            f"{u * c * (1 - a):,.1f} t/month. Months of cover = {steps} = **{self.months:.2f} months**; "
            f"the model gives {self.model_months:.2f}.")


def cover_example(run: Runner, country: str = "USA", material: str = "permanent_magnets",
                  regime_id: str = "apr-2025-licensing") -> CoverExample:
    """Months of cover of ``country`` under a one-rule regime of the library, worked by hand."""
    reg = regimes.load_library()[regime_id]
    if len(reg.rules) != 1 or reg.rules[0].start_month or reg.rules[0].extraterritorial:
        raise ValueError(f"{regime_id}: the worked example needs one rule from month 0, not extraterritorial")
    rule = reg.rules[0]
    h = scenarios.holder(country, material, run=run)
    res = cover.cover_for_holder(h.stock_t(), h.use_t_per_month, h.lines, reg, h.material_id, h.iso3,
                                 dependence=h.dependence)
    s0, u, c, a, d = h.stock_t(), h.use_t_per_month, res["controlled_share"], rule.approval_rate, rule.delay_months
    months = s0 / (u * c) if s0 <= d * u * c else d + (s0 - d * u * c) / (u * c * (1 - a))
    return CoverExample(country, catalog.materials()[h.material_id].name, reg.name, s0, u, c, a, d, months,
                        float("nan") if res["months_of_cover"] is None else float(res["months_of_cover"]))
