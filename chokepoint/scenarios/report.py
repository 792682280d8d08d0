"""A country's months of cover in words and as the CLI's JSON: the assumption lines beside the
result, the supply-lines table, ``cover_json`` (``python -m chokepoint cover --format json``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import catalog, cover
from ..constants import ROW
from ..regimes import Regime
from .holder import Holder, holder
from .inputs import (
    DEFAULT_INDUSTRY_MONTHS,
    Runner,
    country_cover,
    country_inputs,
    default_runner,
    supply_lines,
)


def cover_json(country: str, material: str, regime: Regime, *, year: int | None = None,
               industry_months: float = DEFAULT_INDUSTRY_MONTHS, stock_t: float | None = None,
               run: Runner | None = None) -> dict[str, Any]:
    """The CLI's JSON contract for one country, material and regime. ``stock_t`` (tonnes) replaces
    the country's whole stock (``stock_kind`` "evidence: user-set"); ``stock_basis`` says what the
    stock rests on, "assumption: ..." or "evidence: ..."."""
    run = run or default_runner()
    iso = catalog.country_iso3(country)
    stocks = {iso: stock_t} if stock_t is not None else None
    d = country_cover(material, [regime], year=year, industry_months=industry_months, stocks=stocks, run=run)
    row = d[d["holder"] == iso]
    if row.empty:
        holder(iso, material, year=year, industry_months=industry_months, with_dependence=False, run=run)
    r = row.iloc[0]
    inputs = country_inputs(material, year=year, industry_months=industry_months, stocks=stocks, run=run)
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
        "stock_basis": str(r["stock_evidence"]), "stock_kind": str(r["stock_kind"]),
        "inputs": {
            "stock_t": num(r["stock_t"]), "use_t_per_month": num(r["use_t_per_month"]),
            "industry_months": float(r["industry_months"]), "policy_days": float(r["policy_days"]),
            "policy_basis": r["policy_basis"], "stock_basis": r["stock_basis"],
            "shares": {k: float(v) for k, v in lines.items()},
            "share_basis": f"quantity shares of {int(r['trade_year'])} imports (every supplier recorded)" + (f", scaled by imports/use = {r['import_share_of_use']:.2f}"
                                            if num(r["import_share_of_use"]) not in (None, 1.0) else ""),
            "use_basis": r["use_basis"], "use_method": r["use_method"],
            "trade_year": int(r["trade_year"]), "sources": sources,
        },
    }


def _fmt(x: Any, spec: str) -> str:
    return "n/a" if x is None or pd.isna(x) else format(x, spec)


def _sentence(text: object) -> str:
    """A clause that follows a full stop, with its first letter capitalised."""
    t = str(text)
    return t[:1].upper() + t[1:]


def assumption_lines(row: Mapping[str, Any]) -> list[str]:
    """The assumptions behind one country's result, as Markdown bullets (use, stock, inventory,
    shares), each naming its source. ``row`` is a ``country_cover`` or ``assumptions`` row."""
    if pd.isna(row["use_t_per_month"]):
        use = (f"**Monthly use:** none — {row['state_hint'] or 'no consumption figure'}; months of cover is "
               "*insufficient data* (not zero).")
    else:
        method = str(row["use_method"])
        if "ESTIMATE" in str(row["use_basis"]):       # the basis already says so: "derived (ESTIMATE): ESTIMATE: ..."
            method = method.removeprefix("ESTIMATE: ")
        use = (f"**Monthly use:** {_fmt(row['use_t_per_month'], ',.1f')} t/month = "
               f"{_fmt(row['annual_use_t'], ',.0f')} t/year ÷ 12 ({row['use_year']}, **{row['use_basis']}**: "
               f"{method}). Source: {row['use_source']}.")
    kind = row.get("stock_kind", "assumption")
    if str(kind).startswith("evidence"):
        stock = f"**Stock:** {_fmt(row['stock_t'], ',.0f')} t — **{kind}**: {row['stock_evidence']}."
    else:
        stock = (f"**Stock:** {_fmt(row['stock_t'], ',.0f')} t = use × ({row['industry_months']:g} months industry "
                 f"inventory + {row['policy_days']:g} days national policy) — **{kind}**. {_sentence(row['policy_basis'])}."
                 + (f" Source: {row['policy_source']}." if row["policy_source"] else ""))
    ind = (f"**Industry inventory:** {row['industry_months']:g} months of use — a user assumption "
           f"(default 3 months: {row['industry_source']}).")
    scale = row["import_share_of_use"]
    shares = (f"**Supply shares:** quantity shares of {row['trade_year']} imports "
              f"({_fmt(row['imports_t'], ',.0f')} t); China {_fmt(row['china_share'] * 100, '.0f')}%, over every "
              "supplier recorded"
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
