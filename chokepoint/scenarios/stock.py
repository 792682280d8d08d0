"""The stock of a country in months of cover, and what it rests on.

Three kinds of stock, in the order of the evidence behind them:

* **evidence: user-set** -- the user states the stock in tonnes (``cover --stock-tonnes``, the Months
  of cover page): it replaces the whole stock;
* **evidence: national holding** -- a published holding in tonnes in the ``stockpiles`` table
  (``measure = holding``) whose selector covers the material: industry inventory (months of use,
  an assumption) + the holding in tonnes;
* **assumption** -- industry inventory (k months of use, user-set, default 3 months from the
  AmCham survey) + any national stockpile *target* in days of use (a policy goal, not a holding).

``stock_for`` returns the tonnes and two labels shown beside every result: ``stock_kind`` (one of
``KINDS``) and ``stock_evidence`` (one line starting "assumption:" or "evidence:").
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .. import catalog
from ..constants import DAYS_PER_MONTH

ASSUMPTION = "assumption"
ASSUMPTION_TARGET = "assumption + policy target"
HOLDING = "evidence: national holding"
USER = "evidence: user-set"
KINDS = (ASSUMPTION, ASSUMPTION_TARGET, HOLDING, USER)


@dataclass(frozen=True)
class Holding:
    """A published national holding of a material (tonnes held)."""

    holder: str
    quantity_t: float
    as_of: str
    source: str


@dataclass(frozen=True)
class Stock:
    stock_t: float
    kind: str
    evidence: str
    holding_t: float = 0.0        # tonnes of a national holding (not scaled with use)
    user_t: float | None = None   # the user's stated stock, when set


def holdings(material_id: str, rows: pd.DataFrame) -> dict[str, Holding]:
    """country -> the largest published holding whose selector covers the material."""
    out: dict[str, Holding] = {}
    for r in rows.itertuples():
        try:
            covered = material_id in catalog.expand_selector(str(r.material))
        except catalog.CatalogError:
            continue
        q = float(r.quantity_t)
        if not covered or not math.isfinite(q) or (r.country in out and out[r.country].quantity_t >= q):
            continue
        out[str(r.country)] = Holding(str(r.holder), q, str(r.as_of), str(r.source))
    return out


def stock_for(use_t_per_month: float, industry_months: float, policy_days: float, *,
              holding: Holding | None = None, user_t: float | None = None) -> Stock:
    """The stock in tonnes and what it rests on (see the module docstring for the order)."""
    if user_t is not None:
        if not (math.isfinite(user_t) and user_t >= 0):
            raise ValueError(f"stock in tonnes must be a number >= 0, not {user_t!r}")
        months = (f" = {user_t / use_t_per_month:.2f} months of use" if use_t_per_month > 0 else "")
        return Stock(float(user_t), USER, f"evidence: user-set stock of {user_t:,.0f} t{months}", user_t=float(user_t))
    ind = f"{industry_months:g} months of use in industry inventories (user-set; default 3, AmCham survey)"
    if not math.isfinite(use_t_per_month):
        base = math.nan
    else:
        base = use_t_per_month * industry_months
    if holding is not None:
        return Stock(base + holding.quantity_t, HOLDING,
                     f"evidence: {holding.holder} holds {holding.quantity_t:,.0f} t ({holding.as_of}; "
                     f"{holding.source}) + {ind}", holding_t=holding.quantity_t)
    if policy_days > 0:
        stock = base + use_t_per_month * policy_days / DAYS_PER_MONTH if math.isfinite(base) else math.nan
        return Stock(stock, ASSUMPTION_TARGET,
                     f"assumption: {ind} + a national stockpile target of {policy_days:g} days of use "
                     "(a policy target, not a verified holding)")
    return Stock(base, ASSUMPTION, f"assumption: {ind}; no national stock evidence for this country")


def user_stocks(stocks: Mapping[str, float] | None) -> dict[str, float]:
    """Validated {ISO3: tonnes} of user-set stocks (country names and ISO2 accepted)."""
    out: dict[str, float] = {}
    for k, v in (stocks or {}).items():
        iso = catalog.country_iso3(k)
        t = float(v)
        if not (math.isfinite(t) and t >= 0):
            raise ValueError(f"stock in tonnes for {iso} must be a number >= 0, not {v!r}")
        out[iso] = t
    return out
