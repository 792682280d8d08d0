"""Observed monthly imports after the controls, and each regime checked against them.

Pure core (pandas + numpy; data through an injectable ``run(name, **params)``), used by the
Control regimes page, the briefing packs and ``python -m chokepoint observed|backtest``.

Definitions (one place each)
----------------------------
* **Baseline**: a reporter's mean monthly imports over a window before the April 2025 controls —
  ``BASELINE_WINDOWS``: the United Kingdom Jun–Dec 2024 (the first seven months of its HMRC series),
  Brazil Jan–Mar 2025 (its Comex Stat series starts in January 2025; April is left out because the
  controls took effect on 4 April). A reporter without an entry uses its last (up to 12) months
  before the control month.
* **Observed ratio** of a month: imports from the partner in that month / the partner's baseline
  mean (tonnes).
* **Modelled ratio** of a regime in a month: the pass fraction the regime gives the line
  China -> reporter for the material in that month (``regimes.lines_pass``), with month 1 = the
  control month (``CONTROL_START``, 4 April 2025 -> April 2025 is month 1; the Months of cover
  page's default start). Months before it are 1 (no control).
* **Error** of a regime for a reporter: the mean absolute error of the ratio to baseline,
  mean(|modelled − observed|), over the first ``ERROR_MONTHS`` (6) months from the control month
  (April–September 2025); ``mae_all`` is the same over every observed month from the control month.
* **Implied approval rate** of a month: the observed ratio clipped to [0, 1] — the share of normal
  flow China let through if demand had stayed at the baseline (a ratio above 1 is restocking or
  demand above the baseline, not an approval rate above 1).
"""
from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import catalog, regimes
from .constants import CONTROLLER
from .regimes import Regime

Runner = Callable[..., pd.DataFrame]

#: Month 1 of every regime in the backtest: MOFCOM Announcement No. 18 took effect on 4 April 2025.
CONTROL_START = dt.date(2025, 4, 4)
#: Pre-control baseline windows (first and last month, inclusive), per reporter.
BASELINE_WINDOWS: dict[str, tuple[str, str]] = {"GBR": ("2024-06", "2024-12"), "BRA": ("2025-01", "2025-03")}
#: Months from the control month over which a regime's error is measured.
ERROR_MONTHS = 6
#: The partner group of everyone but the controller (the view's second line).
OTHERS = "others"
#: The value basis of each reporter's series (the page and the CLI say it).
VALUE_BASIS = {"GBR": "USD converted from GBP by the extract's pipeline (HMRC publishes pounds sterling)",
               "BRA": "USD FOB as published by Comex Stat"}


class ObservedError(ValueError):
    """Bad input (unknown reporter, material or partner, or no data): one clear message."""


def month_key(d: dt.date | pd.Timestamp | str) -> str:
    """'YYYY-MM' of a date or a period text."""
    return str(d)[:7]


def months_between(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from ``first`` to ``last`` inclusive."""
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def month_index(period: str, start: dt.date = CONTROL_START) -> int:
    """Month number t of ``period`` in the regime's convention: the control month is 1, the month
    before it 0 (uncontrolled), and so on."""
    y, m = int(period[:4]), int(period[5:7])
    return (y - start.year) * 12 + (m - start.month) + 1


# ------------------------------------------------------------------------------- what there is
def coverage(run: Runner) -> pd.DataFrame:
    """Reporters and materials with monthly data (reporter, material_id, first/last period, months)."""
    return run("observed_reporters")


def resolve_reporter(text: str, run: Runner) -> str:
    """ISO3 of a reporter with monthly data; ObservedError naming the closest reporters otherwise."""
    have = sorted(coverage(run)["reporter"].unique())
    names = {catalog.country_name(c): c for c in have}
    try:
        iso = catalog.country_iso3(text)
    except catalog.CatalogError:
        iso = None
    if iso in have:
        return str(iso)
    close = difflib.get_close_matches(str(text).upper(), have, 3, 0.3) or \
        [names[n] for n in difflib.get_close_matches(str(text), list(names), 3, 0.3)]
    hint = f" — did you mean {' or '.join(close)}?" if close else ""
    raise ObservedError(f"no monthly data for reporter {text!r}{hint} (reporters with monthly data: {', '.join(have)})")


def resolve_material(text: str, reporter: str, run: Runner) -> str:
    """Material id with monthly data for ``reporter``; ObservedError naming the closest otherwise."""
    cov = coverage(run)
    have = sorted(cov.loc[cov["reporter"] == reporter, "material_id"])
    try:
        mid = catalog.resolve_material(text)
    except catalog.CatalogError:
        mid = None
    if mid in have:
        return str(mid)
    close = difflib.get_close_matches(str(text).lower(), have, 3, 0.3)
    hint = f" — did you mean {' or '.join(close)}?" if close else ""
    raise ObservedError(f"no monthly data for material {text!r} from {reporter}{hint} "
                        f"(materials with monthly data: {', '.join(have)})")


def resolve_regime(rid: str, library: Mapping[str, Regime]) -> Regime:
    """A library regime by id; ObservedError naming the closest ids otherwise."""
    if rid in library:
        return library[rid]
    close = difflib.get_close_matches(rid, list(library), 3, 0.4)
    hint = f" — did you mean {' or '.join(close)}?" if close else f" (known: {', '.join(library)})"
    raise ObservedError(f"unknown regime {rid!r}{hint}")


# ------------------------------------------------------------------------------ monthly series
def by_partner(reporter: str, material: str, run: Runner) -> pd.DataFrame:
    """Every month x partner of the reporter's imports of the material, months without a row for
    a partner filled with 0 t / 0 USD (a month in the series with no import from that partner).
    A series without any US dollar value (an ingested HMRC file: pounds sterling, never converted)
    keeps value_usd empty (NaN) throughout."""
    raw = run("observed_monthly_series", reporter=reporter, material=material)
    if raw.empty:
        raise ObservedError(f"no monthly imports of {material} reported by {reporter}")
    periods = months_between(raw["period"].min(), raw["period"].max())
    grid = pd.MultiIndex.from_product([periods, sorted(raw["partner"].unique())], names=["period", "partner"])
    d = raw.set_index(["period", "partner"])[["quantity_t", "value_usd", "confidential"]].reindex(grid)
    has_usd = bool(raw["value_usd"].notna().any())
    d["quantity_t"] = d["quantity_t"].fillna(0.0)
    d["value_usd"] = d["value_usd"].fillna(0.0) if has_usd else np.nan
    return d.reset_index()


@dataclass(frozen=True)
class Baseline:
    """A reporter's pre-control mean monthly imports from one partner (or group)."""

    reporter: str
    partner: str
    first: str
    last: str
    months: int
    mean_t: float
    mean_usd: float

    @property
    def label(self) -> str:
        """'Jun–Dec 2024 mean' (the window, as the page and the packs state it)."""
        a, b = pd.Period(self.first, "M"), pd.Period(self.last, "M")
        left = a.strftime("%b") if a.year == b.year else a.strftime("%b %Y")
        return f"{left}–{b.strftime('%b %Y')} mean"


def baseline_window(reporter: str, periods: Sequence[str], start: dt.date = CONTROL_START) -> tuple[str, str]:
    """(first, last) month of the reporter's baseline (``BASELINE_WINDOWS`` or the last 12 months
    before the control month)."""
    if reporter in BASELINE_WINDOWS:
        return BASELINE_WINDOWS[reporter]
    before = sorted(p for p in periods if month_index(p, start) <= 0)
    if not before:
        raise ObservedError(f"{reporter}: no month before the controls ({month_key(start)}) to take a baseline from")
    return before[-12:][0], before[-1]


def _select(d: pd.DataFrame, partner: str | None) -> pd.DataFrame:
    """Monthly totals for one partner (ISO3), everyone but China (``OTHERS``) or all (None)."""
    if partner is None:
        sel = d
    elif partner == OTHERS:
        sel = d[d["partner"] != CONTROLLER]
    else:
        sel = d[d["partner"] == partner]
    g = sel.groupby("period", sort=True)
    out = g[["quantity_t"]].sum()
    out["value_usd"] = g["value_usd"].sum(min_count=1)       # stays NaN for a series without USD values
    out["confidential"] = g["confidential"].agg(lambda s: bool(s.fillna(False).any()) if s.notna().any() else None)
    fill = {"quantity_t": 0.0, "value_usd": 0.0} if d["value_usd"].notna().any() else {"quantity_t": 0.0}
    return out.reindex(sorted(d["period"].unique())).fillna(fill).reset_index()


def series(reporter: str, material: str, partner: str | None = CONTROLLER, *, run: Runner,
           start: dt.date = CONTROL_START) -> tuple[pd.DataFrame, Baseline]:
    """One row per month: period, quantity_t, value_usd, baseline_t, ratio_to_baseline,
    month (t, 1 = control month), confidential — and the baseline it is measured against.

    ``partner``: an ISO3 code, ``OTHERS`` (all but China) or None (imports from everyone)."""
    d = by_partner(reporter, material, run)
    if partner not in (None, OTHERS) and partner not in set(d["partner"]):
        have = sorted(set(d["partner"]))
        close = difflib.get_close_matches(str(partner), have, 3, 0.3)
        raise ObservedError(f"{reporter} reports no imports of {material} from {partner!r}"
                            + (f" — did you mean {' or '.join(close)}?" if close else ""))
    s = _select(d, partner)
    first, last = baseline_window(reporter, list(s["period"]), start)
    win = s[(s["period"] >= first) & (s["period"] <= last)]
    if win.empty:
        raise ObservedError(f"{reporter}: the series has no month in its baseline window {first}..{last}")
    base = Baseline(reporter, partner or "all", first, last, len(win), float(win["quantity_t"].mean()),
                    float(win["value_usd"].mean()))
    s["baseline_t"] = base.mean_t
    s["baseline_usd"] = base.mean_usd
    s["ratio_to_baseline"] = s["quantity_t"] / base.mean_t if base.mean_t > 0 else np.nan
    s["month"] = [month_index(p, start) for p in s["period"]]
    return s, base


def source_line(reporter: str, material: str, run: Runner) -> str:
    """Who produced the reporter's series, as a chart's source line: each distinct ``source`` of
    its rows cut to the producer and file (its first clause) and its licence clause, so an
    ingested file is credited to its own producer, never to the built-in extract's."""
    raw = run("observed_monthly_series", reporter=reporter, material=material)
    out = []
    for src in sorted(set(raw["source"].dropna().astype(str))):
        clauses = [c.strip() for c in src.split(";")]
        keep = [clauses[0]] + [c for c in clauses[1:] if "licen" in c.lower()]
        out.append("; ".join(keep))
    return " · ".join(out) or "customs data (observed_monthly)"


def flows(reporter: str, material: str, *, run: Runner, start: dt.date = CONTROL_START) -> pd.DataFrame:
    """The view's frame: per month and partner group (China, everyone else), tonnes, USD, the
    group's baseline and ratio, and the series' source line."""
    parts = []
    for p, label in ((CONTROLLER, "China"), (OTHERS, "other suppliers")):
        s, b = series(reporter, material, p, run=run, start=start)
        parts.append(s.assign(group=label, baseline_label=b.label, baseline_first=b.first, baseline_last=b.last))
    out = pd.concat(parts, ignore_index=True)
    out["period_start"] = pd.to_datetime(out["period"] + "-01")
    out["source"] = source_line(reporter, material, run)
    return out


# ------------------------------------------------------------------------------------ backtest
def modelled_ratio(regime: Regime, reporter: str, material: str, months: Sequence[int]) -> np.ndarray:
    """The regime's pass fraction of the line China -> reporter for each month t (t <= 0: 1)."""
    t = np.asarray(list(months), dtype=int)
    horizon = max(int(t.max(initial=1)), 1)
    pf = regimes.lines_pass(regime, [material], [reporter], [CONTROLLER], horizon)[0]
    return np.where(t >= 1, pf[np.clip(t, 1, horizon) - 1], 1.0)


def backtest(regime: Regime, reporter: str, material: str, *, run: Runner,
             start: dt.date = CONTROL_START) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Months from the control month on: period, month, observed_t, baseline_t, observed_ratio,
    modelled_ratio, abs_error, implied_approval_rate, in_error_window; and the summary
    {reporter, regime, error (MAE over the first ``ERROR_MONTHS`` months), mae_all, months, baseline}."""
    s, base = series(reporter, material, CONTROLLER, run=run, start=start)
    after = s[s["month"] >= 1].reset_index(drop=True)
    rows = pd.DataFrame({
        "period": after["period"], "month": after["month"], "observed_t": after["quantity_t"],
        "baseline_t": base.mean_t, "observed_ratio": after["ratio_to_baseline"],
        "modelled_ratio": modelled_ratio(regime, reporter, material, after["month"])})
    rows["abs_error"] = (rows["modelled_ratio"] - rows["observed_ratio"]).abs()
    rows["implied_approval_rate"] = rows["observed_ratio"].clip(0.0, 1.0)
    rows["in_error_window"] = rows["month"] <= ERROR_MONTHS
    win = rows[rows["in_error_window"]]
    summary = {
        "reporter": reporter, "reporter_name": catalog.country_name(reporter), "material": material,
        "regime": regime.id, "regime_name": regime.name,
        "error": float(win["abs_error"].mean()) if len(win) else None,
        "error_months": int(len(win)), "mae_all": float(rows["abs_error"].mean()) if len(rows) else None,
        "months_observed": int(len(rows)),
        "baseline": {"first": base.first, "last": base.last, "months": base.months, "mean_t": base.mean_t,
                     "label": base.label},
    }
    return rows, summary


def backtest_json(regime: Regime, reporters: Sequence[str], material: str, *, run: Runner) -> dict[str, Any]:
    """The CLI's JSON contract: per reporter, the months and the error."""
    out: dict[str, Any] = {
        "regime": regime.id, "regime_name": regime.name, "material": material,
        "control_start": CONTROL_START.isoformat(),
        "error_measure": f"mean absolute error of the ratio to baseline over the first {ERROR_MONTHS} months "
                         f"from {month_key(CONTROL_START)} (month 1)",
        "reporters": []}
    for rep in reporters:
        rows, summary = backtest(regime, rep, material, run=run)
        summary["months"] = [
            {"period": r.period, "month": int(r.month), "observed_t": round(float(r.observed_t), 3),
             "observed_ratio": _r(r.observed_ratio), "modelled_ratio": _r(r.modelled_ratio),
             "abs_error": _r(r.abs_error), "implied_approval_rate": _r(r.implied_approval_rate)}
            for r in rows.itertuples()]
        out["reporters"].append(summary)
    return out


def _r(x: float) -> float | None:
    return None if x is None or x != x else round(float(x), 4)


def error_table(library: Mapping[str, Regime], reporters: Sequence[str], material: str, *,
                run: Runner) -> pd.DataFrame:
    """Regimes x reporters: the error (and mae_all) of every regime against every observed series."""
    rows = []
    for reg in library.values():
        for rep in reporters:
            _, s = backtest(reg, rep, material, run=run)
            rows.append({"regime": reg.id, "regime_name": reg.name, "reporter": rep,
                         "error": s["error"], "mae_all": s["mae_all"]})
    return pd.DataFrame(rows, columns=["regime", "regime_name", "reporter", "error", "mae_all"])


def observed_reporters(material: str, run: Runner) -> list[str]:
    """Reporters with monthly imports of ``material``."""
    cov = coverage(run)
    return sorted(cov.loc[cov["material_id"] == material, "reporter"])


# --------------------------------------------------------------------------- calibrated regime
def calibrated_regime(reporter: str, material: str, *, run: Runner, taken: Sequence[str] = (),
                      horizon_months: int = regimes.DEFAULT_HORIZON) -> Regime:
    """"What <reporter> actually saw": one rule per observed month from the control month, each
    letting through that month's implied approval rate for one month (delay 0, start t-1, end t),
    then the mean implied rate of the observed months for the rest of the horizon. Targets: all
    destinations (it applies the reporter's experience to every importer). Materials: the observed
    material, and every magnet form when it is a magnet line."""
    rows, summary = backtest(regimes.Regime(id="baseline-probe", name="probe"), reporter, material, run=run)
    rows = rows[rows["month"] <= horizon_months]
    if rows.empty:
        raise ObservedError(f"{reporter}: no observed month after the controls to calibrate from")
    mats = ["magnets"] if catalog.materials()[material].form == "magnet" else [material]
    rates = [round(float(x), 4) for x in rows["implied_approval_rate"]]
    rules: list[dict[str, Any]] = [
        {"controller": CONTROLLER, "materials": mats, "targets": "all", "approval_rate": r, "delay_months": 0,
         "start_month": int(t) - 1, "end_month": int(t), "extraterritorial": False, "note": f"observed {p}"}
        for r, t, p in zip(rates, rows["month"], rows["period"])]
    tail = round(float(np.mean(rates)), 4)
    last_t = int(rows["month"].max())
    if last_t < horizon_months:
        rules.append({"controller": CONTROLLER, "materials": mats, "targets": "all", "approval_rate": tail,
                      "delay_months": 0, "start_month": last_t, "end_month": None, "extraterritorial": False,
                      "note": "after the observed months: their mean implied approval rate"})
    name = catalog.country_name(reporter)
    name = f"the {name}" if name.startswith(("United ", "Netherlands", "Philippines")) else name
    first, last = rows["period"].iloc[0], rows["period"].iloc[-1]
    rid = f"observed-{reporter.lower()}-{material.replace('_', '-')}"
    base, k = rid, 2
    while rid in set(taken):
        rid, k = f"{base}-{k}", k + 1
    b = summary["baseline"]
    doc = {
        "id": rid, "name": f"What {name} actually saw ({catalog.materials()[material].short_name}, {first} to {last})",
        "horizon_months": horizon_months,
        "description": f"Calibrated on observed customs data: each month from {first} lets through the share of "
                       f"normal flow that {name}'s imports from China were of their {b['label']} "
                       f"({b['mean_t']:,.1f} t/month), capped at 1; after {last}, their mean ({tail:.2f}). "
                       "Applied to every destination.",
        "sources": [{"title": str(run("observed_monthly_series", reporter=reporter, material=material)["source"].iloc[0]),
                     "note": "Monthly imports from China, tonnes (observed_monthly table)."}],
        "calibration": "Implied approval rate of month t = imports from China in t / baseline mean, clipped to "
                       f"[0, 1]; baseline {b['first']}..{b['last']} ({b['months']} months). Month 1 = "
                       f"{month_key(CONTROL_START)}. Rates: " + ", ".join(f"{p} {r:.2f}" for p, r in
                                                                             zip(rows["period"], rates)),
        "rules": rules,
    }
    return regimes.parse_regime(doc)
