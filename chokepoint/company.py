"""A company's own stockpiles under each control regime: pure transforms and results.

Input is the supply-lines frame of :mod:`chokepoint.stockpile_csv` (``LINE_COLUMNS``: one row
per site x material x supplier line, quantities in tonnes; a workspace snapshot has the same
frame). Everything here is pure (DataFrames in, DataFrames out) except :func:`dependence_map`,
which runs the look-through queries through an injectable ``run(name, **params)``.

* **Cover inputs** (:func:`holders`): holder = site, destination = the site's ``site_country``;
  rows without one take ``default_country`` (the CLI's ``--country``, the page's "country of
  sites without one"); with neither the destination is *unknown* (``None``), which the engine
  treats as a country named in no list: hit by ``targets: all`` and ``{except: [...]}`` rules,
  spared by ``[USA, ...]`` rules. ``destination_basis`` says which applied.
* **Supplier lines without a country** are of unknown origin: never cut, reported as
  ``unknown_share`` (the engine delivers the remainder; see docs/ARCHITECTURE.md).
* **Extraterritorial rules** cut third-country lines in proportion to that supplier's dependence
  on China for the material. It comes from ``exposure.dependence_for`` (the look-through evidence
  ladder) where the material maps to a trade line with an upstream mapping (magnets, magnesium,
  titanium); otherwise it is missing, counted as 0 and listed in ``dependence_missing``.
* **Results** (:func:`results`): ``cover.cover_table`` per (site, material, regime) plus names,
  ``months_capped`` (the horizon when not exhausted; for colour scales) and the run-out date
  (start date + months x 30.4375 days, the mean Gregorian month).
* **Drivers of risk** (:func:`drivers`): per supplier line and regime, the share of the
  holding's monthly use that the regime cuts (direct + extraterritorial) in its worst month and
  on average over the first 12 months, the tonnes per month that represents, ranked by tonnes.
* **What-if** (:func:`add_safety_stock`, :func:`switch_share`): new lines frames; the page
  recomputes :func:`results` on them and :func:`compare` sets base and what-if side by side.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import catalog, cover, exposure, regimes
from .constants import CONTROLLER, DAYS_PER_MONTH
from .regimes import Regime
from .stockpile_csv import LINE_COLUMNS, coerce_lines

Runner = Callable[..., pd.DataFrame]

DRIVER_WINDOW = 12                # months over which the average cut of a line is taken
BASIS_SITE, BASIS_DEFAULT, BASIS_UNKNOWN = "site_country", "default country", "unknown"

RESULT_COLUMNS = ("site", "site_country", "destination", "destination_basis", "material_id", "material_name",
                  "regime", "regime_name", "horizon_months", "on_hand_t", "monthly_use_t", "controlled_share",
                  "extraterritorial_share", "unknown_share", "months", "months_capped", "runout_month",
                  "runout_date", "state", "dependence_missing")
DRIVER_COLUMNS = ("rank", "regime", "regime_name", "site", "destination", "material_id", "material_name",
                  "supplier_country", "supplier_name", "supplier_share", "cut_kind", "dependence",
                  "cut_share_peak", "cut_t_per_month_peak", "cut_share_12m", "cut_t_per_month_12m", "note")


class WhatIfError(ValueError):
    """A what-if change that cannot be applied (message meant for the user)."""


# ------------------------------------------------------------------ helpers
def _none(v):
    """None for None/NaN/"None" (stockpile_csv stores missing text as the string 'None' in str columns)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v == "None":
        return None
    return v


def material_name(material_id: str) -> str:
    m = catalog.materials().get(material_id)
    return m.short_name if m else material_id


def country_label(iso3: str | None) -> str:
    iso3 = _none(iso3)
    return "unknown" if iso3 is None else catalog.country_name(iso3)


def holding_label(site: str, material_id: str) -> str:
    return f"{site} · {material_name(material_id)}"


def _clean(lines: pd.DataFrame) -> pd.DataFrame:
    d = coerce_lines(lines)
    for c in ("site_country", "supplier_country"):
        d[c] = pd.Series([_none(v) for v in d[c].tolist()], index=d.index, dtype=object)
    return d


def country_options(exclude: Sequence[str] = ()) -> list[str]:
    """ISO3 codes of every country, for pickers (sorted by code)."""
    import pycountry
    return sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in set(exclude))


def suppliers_of(lines: pd.DataFrame, site: str, material_id: str) -> list[str]:
    """The known supplier countries (ISO3) of one holding, in file order."""
    d = _clean(lines)
    d = d[(d["site"] == site) & (d["material_id"] == material_id) & d["supplier_country"].notna()]
    return list(dict.fromkeys(d["supplier_country"]))


# ------------------------------------------------------------------ cover inputs
def holders(lines: pd.DataFrame, default_country: str | None = None) -> pd.DataFrame:
    """``cover.cover_table`` input from supply lines: holder = site, destination = site_country,
    else ``default_country`` (ISO3, ISO2 or name), else unknown (None). Adds
    ``destination_basis`` (site_country, default country, unknown)."""
    d = _clean(lines)
    default = catalog.country_iso3(default_country) if default_country else None
    has_site = d["site_country"].notna()
    dest = d["site_country"].where(has_site, default)
    basis = np.where(has_site, BASIS_SITE, BASIS_DEFAULT if default else BASIS_UNKNOWN)
    return pd.DataFrame({
        "holder": d["site"], "material_id": d["material_id"], "destination": dest.astype(object),
        "stock_t": d["on_hand_t"], "use_t_per_month": d["monthly_use_t"],
        "origin": d["supplier_country"].astype(object), "share": d["supplier_share"],
        "site_country": d["site_country"].astype(object), "destination_basis": basis})


def needs_dependence(regs: Sequence[Regime]) -> bool:
    return any(r.extraterritorial for reg in regs for r in reg.rules)


def _upstream_hs6(material_id: str) -> str | None:
    m = catalog.materials().get(material_id)
    return next((h for h in (m.hs6 if m else ()) if h in exposure.UPSTREAM), None)


def dependence_map(lines: pd.DataFrame, run: Runner, year: int | None = None) -> dict[str, dict[str, float]]:
    """{material_id: {supplier ISO3: dependence on China}} for the third-country lines of the
    file, from ``exposure.dependence_for`` (the look-through ladder) where the material has an
    upstream mapping (HS 850511 magnets, 810411 magnesium, 810820 titanium). Other materials
    are left out: their dependence is missing (reported by ``cover_table``)."""
    d = _clean(lines)
    d = d[d["supplier_country"].notna() & (d["supplier_country"] != CONTROLLER)]
    out: dict[str, dict[str, float]] = {}
    if d.empty:
        return out
    coverage = None
    for mid, g in d.groupby("material_id", sort=False):
        hs6 = _upstream_hs6(mid)
        if hs6 is None:
            continue
        if year is None:
            coverage = run("exposure_trade_coverage") if coverage is None else coverage
            years = coverage.loc[coverage["hs6"] == hs6, "year"]
            if years.empty:
                continue
            yr = int(years.max())
        else:
            yr = int(year)
        sel = exposure.Selection("", mid, (hs6,), yr, "quantity")
        dep = exposure.dependence_for(sel, hs6, run, sorted(set(g["supplier_country"])))
        dep = dep.dropna(subset=["dependence"])
        if len(dep):
            out[mid] = dict(zip(dep["supplier"], dep["dependence"].astype(float)))
    return out


# ------------------------------------------------------------------ results
def results(lines: pd.DataFrame, regs: Sequence[Regime], *, default_country: str | None = None,
            dependence: Mapping[str, Mapping[str, float]] | None = None,
            start: dt.date | None = None, starts: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """Months of cover per (site, material, regime), regimes in the given order (``RESULT_COLUMNS``).
    ``starts`` gives a regime its own start date (``regime_status.sim_starts``: a regime that comes
    into force after ``start`` starts then); others start at ``start``.

    ``months`` is NaN unless ``state`` is exhausted; ``runout_date`` (None unless exhausted) is
    ``start`` + months x 30.4375 days; ``months_capped`` is the horizon when not exhausted within
    it (NaN for no use / insufficient data)."""
    regs = list(regs)
    h = holders(lines, default_country)
    if h.empty or not regs:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    t = cover.cover_table(h, regs, dependence=dependence)
    first = h.drop_duplicates(["holder", "material_id"])[["holder", "material_id", "site_country",
                                                          "destination_basis"]]
    t = t.merge(first, on=["holder", "material_id"], how="left", sort=False)
    names = {r.id: r.name for r in regs}
    start = start or dt.date.today()
    months = t["months"].to_numpy(float)
    exhausted = (t["state"] == cover.EXHAUSTED).to_numpy()
    first = [(starts or {}).get(r, start) for r in t["regime"]]
    dates = [s0 + dt.timedelta(days=float(m) * DAYS_PER_MONTH) if e else None
             for s0, m, e in zip(first, months, exhausted)]
    out = pd.DataFrame({
        "site": t["holder"].astype(str), "site_country": t["site_country"].astype(object),
        "destination": t["destination"].astype(object), "destination_basis": t["destination_basis"].astype(str),
        "material_id": t["material_id"].astype(str),
        "material_name": t["material_id"].map(material_name).astype(str),
        "regime": t["regime"].astype(str), "regime_name": t["regime"].map(names).astype(str),
        "horizon_months": t["horizon_months"].astype(int),
        "on_hand_t": t["stock_t"], "monthly_use_t": t["use_t_per_month"],
        "controlled_share": t["controlled_share"], "extraterritorial_share": t["extraterritorial_share"],
        "unknown_share": t["unknown_share"], "months": t["months"],
        "months_capped": np.where(t["state"] == cover.NOT_EXHAUSTED, t["horizon_months"].astype(float),
                                  t["months"]),
        "runout_month": t["runout_month"], "runout_date": pd.Series(dates, dtype=object),
        "state": t["state"].astype(str), "dependence_missing": t["dependence_missing"].astype(str)})
    return out


def earliest_runout(res: pd.DataFrame) -> dict | None:
    """The (site, material, regime) that runs out first, or None when nothing runs out."""
    ex = res[res["state"] == cover.EXHAUSTED]
    if ex.empty:
        return None
    r = ex.loc[ex["months"].astype(float).idxmin()]
    return {k: r[k] for k in ("site", "material_id", "material_name", "regime", "regime_name", "months",
                              "runout_date", "destination")}


def notes(lines: pd.DataFrame, res: pd.DataFrame, default_country: str | None = None) -> list[str]:
    """Plain-language caveats for a result: unknown destinations, unknown origins, missing dependence."""
    out: list[str] = []
    if len(res) and (res["destination_basis"] == BASIS_UNKNOWN).any():
        sites = sorted(set(res.loc[res["destination_basis"] == BASIS_UNKNOWN, "site"]))
        out.append(f"Destination unknown for site(s) {', '.join(sites)}: no site_country and no default "
                   "country. They are treated as a country named in no list — hit by rules on all "
                   "destinations, spared by rules that name target countries.")
    if len(res) and (res["destination_basis"] == BASIS_DEFAULT).any():
        sites = sorted(set(res.loc[res["destination_basis"] == BASIS_DEFAULT, "site"]))
        out.append(f"Site(s) {', '.join(sites)} have no site_country: the default country "
                   f"{default_country} is used as destination.")
    if len(res) and (res["unknown_share"].fillna(0) > 1e-9).any():
        u = res.drop_duplicates(["site", "material_id"])
        u = u[u["unknown_share"].fillna(0) > 1e-9]
        out.append(f"{len(u)} holding(s) have supply of unknown origin (no supplier_country, or shares "
                   "summing below 1): that part is assumed to keep arriving and is never cut.")
    miss = res[res["dependence_missing"].astype(str) != ""] if len(res) else res
    if len(miss):
        pairs = sorted({f"{material_name(m).lower()} from {catalog.country_name(o)}"
                        for m, s in zip(miss["material_id"], miss["dependence_missing"])
                        for o in str(s).split(",") if o})
        out.append("Extraterritorial rule: dependence on China unknown (taken as 0, so the cut is understated) "
                   "for " + "; ".join(pairs) + ".")
    return out


# ------------------------------------------------------------------ drivers of risk
def drivers(lines: pd.DataFrame, regs: Sequence[Regime], *, default_country: str | None = None,
            dependence: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Per supplier line and regime: how much of the holding's monthly use the regime cuts.

    ``cut_share_peak`` = share x (1 - lowest pass fraction over the horizon) (the delay months of
    a licensing rule: the whole controlled flow); ``cut_share_12m`` = share x mean(1 - pass) over
    months 1..12; tonnes per month = cut share x monthly use. ``cut_kind``: direct (from the
    controller), extraterritorial (a third country's China-dependent part), dependence missing,
    unknown origin, or not cut. Sorted and ranked by ``cut_t_per_month_12m`` (then peak) per regime;
    lines no regime touches are kept (rank NaN) so every line of the file appears."""
    regs = list(regs)
    h = holders(lines, default_country)
    rows = []
    if h.empty:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    dep_map = dependence or {}
    dep = np.array([np.nan if o is None else dep_map.get(m, {}).get(o, np.nan)
                    for m, o in zip(h["material_id"], h["origin"])], float)
    share = h["share"].to_numpy(float)
    use = h["use_t_per_month"].to_numpy(float)
    origin = [_none(o) for o in h["origin"].tolist()]
    for reg in regs:
        horizon = reg.horizon_months
        ln = regimes.index_lines(h["material_id"].tolist(), h["destination"].tolist(), origin, np.nan_to_num(dep))
        passes = regimes.lines_pass(reg, ln, horizon=horizon)
        direct, et = regimes.line_exposure(reg, ln)
        reach = regimes.line_exposure(reg, regimes.index_lines(h["material_id"].tolist(), h["destination"].tolist(),
                                                               origin, np.ones(len(h))))[1] > 0
        cut = 1.0 - passes
        peak = cut.max(axis=1) if horizon else np.zeros(len(h))
        avg = cut[:, :DRIVER_WINDOW].mean(axis=1) if horizon else np.zeros(len(h))
        for i in range(len(h)):
            o = origin[i]
            if o is None:
                kind, note = "unknown origin", "no supplier_country: unknown origin, never cut"
            elif direct[i]:
                kind, note = "direct", f"from {catalog.country_name(CONTROLLER)}, the controller"
            elif reach[i] and np.isnan(dep[i]):
                kind, note = "dependence missing", ("an extraterritorial rule reaches this supplier but its "
                                                    "dependence on China is unknown (taken as 0)")
            elif reach[i] and et[i] > 0:
                kind, note = "extraterritorial", f"{dep[i]:.0%} of this supplier's supply depends on China"
            else:
                kind, note = "not cut", ""
            s = share[i] if np.isfinite(share[i]) else np.nan
            rows.append({
                "regime": reg.id, "regime_name": reg.name, "site": h["holder"].iat[i],
                "destination": h["destination"].iat[i], "material_id": h["material_id"].iat[i],
                "material_name": material_name(h["material_id"].iat[i]), "supplier_country": o,
                "supplier_name": country_label(o), "supplier_share": s, "cut_kind": kind,
                "dependence": None if np.isnan(dep[i]) else float(dep[i]),
                "cut_share_peak": s * peak[i], "cut_t_per_month_peak": s * peak[i] * use[i],
                "cut_share_12m": s * avg[i], "cut_t_per_month_12m": s * avg[i] * use[i], "note": note})
    out = pd.DataFrame(rows)
    out = out.sort_values(["regime", "cut_t_per_month_12m", "cut_t_per_month_peak"], ascending=[True, False, False],
                          kind="stable")
    order = {r.id: i for i, r in enumerate(regs)}
    out = out.sort_values("regime", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    cut = out["cut_t_per_month_peak"].fillna(0) > 0
    out["rank"] = np.nan
    out.loc[cut, "rank"] = out[cut].groupby("regime").cumcount() + 1
    out["rank"] = out["rank"].astype("Int64")
    return out[list(DRIVER_COLUMNS)]


# ------------------------------------------------------------------ what-if transforms
def _match(d: pd.DataFrame, site: str | None, material_id: str | None) -> pd.Series:
    m = pd.Series(True, index=d.index)
    if site is not None:
        m &= d["site"] == site
    if material_id is not None:
        m &= d["material_id"] == material_id
    return m


def add_safety_stock(lines: pd.DataFrame, *, months: float = 0.0, tonnes: float = 0.0,
                     site: str | None = None, material_id: str | None = None) -> pd.DataFrame:
    """Lines with extra stock: ``months`` of the holding's own monthly use plus ``tonnes``, added to
    every (site, material) matching ``site`` / ``material_id`` (None = all)."""
    if not (months >= 0 and tonnes >= 0) or not (math.isfinite(months) and math.isfinite(tonnes)):
        raise WhatIfError("safety stock must be a finite amount >= 0")
    d = coerce_lines(lines)
    m = _match(d, site, material_id)
    if not m.any():
        raise WhatIfError(f"no holding matches site {site!r}, material {material_id!r}")
    d.loc[m, "on_hand_t"] = d.loc[m, "on_hand_t"] + months * d.loc[m, "monthly_use_t"] + tonnes
    return d


def switch_share(lines: pd.DataFrame, *, from_country: str, to_country: str, points: float,
                 site: str | None = None, material_id: str | None = None) -> pd.DataFrame:
    """Lines with ``points`` percentage points of monthly use moved from ``from_country``'s line to
    ``to_country`` (an existing line of the holding, or a new one) in every matching holding that
    buys from ``from_country``. At most that line's share moves (never below 0)."""
    if not (0 <= points <= 100):
        raise WhatIfError(f"a share switch is 0–100 percentage points, not {points}")
    src, dst = catalog.country_iso3(from_country), catalog.country_iso3(to_country)
    if src == dst:
        raise WhatIfError("switch from and to the same country")
    d = _clean(lines)
    m = _match(d, site, material_id) & (d["supplier_country"] == src)
    if not m.any():
        raise WhatIfError(f"no matching holding buys from {catalog.country_name(src)}")
    new_rows = []
    for i in d.index[m]:
        moved = min(points / 100.0, float(d.at[i, "supplier_share"]))
        d.at[i, "supplier_share"] = float(d.at[i, "supplier_share"]) - moved
        grp = (d["site"] == d.at[i, "site"]) & (d["material_id"] == d.at[i, "material_id"])
        tgt = d.index[grp & (d["supplier_country"] == dst)]
        if len(tgt):
            d.at[tgt[0], "supplier_share"] = float(d.at[tgt[0], "supplier_share"]) + moved
        else:
            row = d.loc[i].to_dict()
            row.update(supplier_country=dst, supplier_share=moved)
            new_rows.append(row)
    if new_rows:
        d = pd.concat([d, pd.DataFrame(new_rows)], ignore_index=True)
    d["supplier_share"] = d["supplier_share"].clip(lower=0.0)
    d = d.sort_values(["source_row"], kind="stable").reset_index(drop=True)
    return coerce_lines(d.astype({"site_country": object, "supplier_country": object}))


def compare(base: pd.DataFrame, what_if: pd.DataFrame) -> pd.DataFrame:
    """Base and what-if results side by side, per (site, material, regime of the what-if).

    When the what-if uses other regimes than the base, holdings are matched by (site, material)
    and the base's first regime. ``change_months`` is what-if minus base on the capped scale
    (not exhausted = the horizon), so it is a lower bound when either side is capped."""
    keys = ["site", "material_id"]
    b = base.drop_duplicates(keys) if not set(what_if["regime"]) <= set(base["regime"]) else base
    on = keys if b is not base else keys + ["regime"]
    cols = keys + (["regime"] if on != keys else []) + ["months", "months_capped", "state", "on_hand_t",
                                                        "runout_date"]
    m = what_if.merge(b[cols], on=on, how="left", suffixes=("", "_base"))
    out = pd.DataFrame({
        "site": m["site"], "material_id": m["material_id"], "material_name": m["material_name"],
        "regime": m["regime"], "regime_name": m["regime_name"], "horizon_months": m["horizon_months"],
        "on_hand_t_base": m["on_hand_t_base"], "on_hand_t_what_if": m["on_hand_t"],
        "months_base": m["months_base"], "state_base": m["state_base"],
        "months_what_if": m["months"], "state_what_if": m["state"],
        "change_months": m["months_capped"] - m["months_capped_base"],
        "runout_date_base": m["runout_date_base"], "runout_date_what_if": m["runout_date"]})
    return out


# ------------------------------------------------------------------ the CLI's JSON rows
def json_rows(res: pd.DataFrame) -> list[dict]:
    """One object per (site, material[, regime]) with the CLI's contract keys."""
    out = []
    for r in res.itertuples(index=False):
        ex = r.state == cover.EXHAUSTED
        out.append({"site": r.site, "material": r.material_id, "on_hand_t": float(r.on_hand_t),
                    "monthly_use_t": float(r.monthly_use_t), "controlled_share": float(r.controlled_share),
                    "regime": r.regime, "months_of_cover": float(r.months) if ex else None,
                    "exhausted_within_horizon": bool(ex), "state": r.state})
    return out


__all__ = ["BASIS_DEFAULT", "BASIS_SITE", "BASIS_UNKNOWN", "DRIVER_COLUMNS", "LINE_COLUMNS", "RESULT_COLUMNS",
           "WhatIfError", "add_safety_stock", "compare", "country_label", "country_options", "suppliers_of", "dependence_map", "drivers",
           "earliest_runout", "holders", "holding_label", "json_rows", "material_name", "needs_dependence",
           "notes", "results", "switch_share"]
