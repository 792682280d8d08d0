"""Months of cover (docs/ARCHITECTURE.md, "Months of cover"): a pure, vectorised stock simulation.

For a holder (country or company site) and a material: stock S0 (t), monthly use U (t/month),
supply lines with shares s_e of U from origin e, and pass_e(t) the share of line e still delivered
in month t = 1..H under a regime (``regimes.lines_pass``; month convention documented there):

    inflow(t)    = U * (sum_e s_e * pass_e(t) + u) + substitution(t)
    shortfall(t) = max(U * demand_factor - inflow(t), 0)
    S(t)         = S(t-1) - shortfall(t)

where u = 1 - sum_e s_e is the share of unknown origin. **Decision:** the unknown remainder is
*delivered* (pass 1, not cut by any rule) and reported as ``unknown_share`` so the user sees how
much of the answer rests on it. This is what makes the worked example in docs/ARCHITECTURE.md hold (s_CHN = 0.8 and the
other 0.2 keeps arriving). Substitution: uncut suppliers ramp up by ``ramp_share_per_month`` x U
per month after ``lead_months`` (month lead+1 adds one step), capped at ``cap_share`` x U, and
never deliver more than the gap they fill.

Months of cover is the fractional month at which S reaches 0, linear within the month:
months = (t-1) + S(t-1)/shortfall(t) for the first month t whose cumulative shortfall reaches S0.
Every row gets an explicit ``state``:

* ``exhausted`` — ``months`` is a number (0 when S0 = 0 and month 1 has a shortfall);
* ``not exhausted within horizon`` — ``months`` is NaN;
* ``no use`` — U = 0 (never exhausted), ``months`` NaN;
* ``insufficient data`` — a missing (NaN) stock, use, share, pass fraction or demand factor.

``runout_month`` = ceil(months): the month in which the stock runs out (0 = out at the start),
-1 when not exhausted. ``CoverResult`` keeps the cumulative shortfall and derives the series on
access: stock floored at 0 (after run-out the shortfall series is the unmet demand).

Layers: ``simulate`` (arrays: N rows = holders x materials x regimes flattened, L padded lines,
H months) -> ``cover_for_holder`` / ``cover_band`` (one holder, JSON-friendly dicts) and
``cover_table`` (a long holders table x regimes -> DataFrame with units in column names; builds
only the pass fractions of lines a rule touches). The recursion runs time-major over blocks of
rows so that the month-by-month cumulative sum is a short run of vector additions.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chokepoint import catalog
from chokepoint.regimes import (
    Lines,
    Regime,
    index_lines,
    line_exposure,
    line_pass_matrix,
    lines_pass,
    missing_dependence,
    rule_hits,
    with_rule_params,
)

EXHAUSTED = "exhausted"
NOT_EXHAUSTED = "not exhausted within horizon"
NO_USE = "no use"
INSUFFICIENT = "insufficient data"
STATES = (EXHAUSTED, NOT_EXHAUSTED, NO_USE, INSUFFICIENT)
_STATE_ARR = np.array(STATES, dtype=object)
SHARE_TOL = 1e-9


@dataclass(frozen=True)
class Substitution:
    """Other (uncut) suppliers ramping up: shares of monthly use U."""

    ramp_share_per_month: float
    lead_months: int = 0
    cap_share: float = 1.0

    def __post_init__(self) -> None:
        if not (self.ramp_share_per_month >= 0 and self.lead_months >= 0 and self.cap_share >= 0):
            raise ValueError(f"substitution parameters must be >= 0: {self}")

    def capacity(self, horizon: int) -> np.ndarray:
        """Extra supply available in months 1..H, as a share of U."""
        t = np.arange(1, horizon + 1)
        return np.minimum(self.cap_share, self.ramp_share_per_month * np.maximum(t - self.lead_months, 0))


@dataclass(frozen=True)
class Band:
    """Uncertainty ranges for ``cover_table``: each (low, high) or None to keep the value.
    approval_rate and delay_months replace every rule's value; stock_factor multiplies stock."""

    approval_rate: tuple[float, float] | None = None
    delay_months: tuple[int, int] | None = None
    stock_factor: tuple[float, float] | None = None


@dataclass(frozen=True)
class CoverResult:
    """Output of ``simulate`` for N rows and horizon H (series are derived on access)."""

    months: np.ndarray           # [N] float, NaN unless state == exhausted
    state_code: np.ndarray       # [N] int8 index into STATES
    runout_month: np.ndarray     # [N] int, ceil(months); -1 unless exhausted
    unknown_share: np.ndarray    # [N] 1 - sum of shares (delivered, not cut)
    stock0_t: np.ndarray         # [N] starting stock
    cum_shortfall_t: np.ndarray  # [N, H] cumulative shortfall through month t (NaN rows: missing data)

    @property
    def state(self) -> np.ndarray:
        """[N] str, one of STATES."""
        return _STATE_ARR[self.state_code]

    @property
    def exhausted(self) -> np.ndarray:
        return self.state_code == 0

    @property
    def stock_t(self) -> np.ndarray:
        """[N, H+1] stock at the end of month t (column 0 = S0), floored at 0."""
        s0 = self.stock0_t[:, None]
        return np.maximum(np.concatenate([s0, s0 - self.cum_shortfall_t], axis=1), 0.0)

    @property
    def shortfall_t(self) -> np.ndarray:
        """[N, H] unmet demand each month before drawing on stock (after run-out: unmet demand)."""
        return np.diff(self.cum_shortfall_t, axis=1, prepend=0.0)


def _bad_index(mask: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return ", ".join(map(str, idx))


def simulate(stock_t: np.ndarray, use_t_per_month: np.ndarray, shares: np.ndarray, pass_: np.ndarray,
             substitution: Substitution | None = None,
             demand_factor: float | np.ndarray = 1.0) -> CoverResult:
    """Months of cover for N independent rows at once.

    stock_t [N], use_t_per_month [N], shares [N, L] (zero-padded supply lines), pass_ [N, L, H]
    (share of each line delivered in months 1..H), demand_factor scalar or [N] (< 1 = demand
    reduction). Raises ValueError naming the first offending index for negative stock, use or
    demand factor, shares outside 0–1 (+1e-9), rows of shares summing above 1, and pass
    fractions outside 0–1. NaN inputs give state ``insufficient data`` instead."""
    s0 = np.asarray(stock_t, dtype=float).reshape(-1)
    use = np.asarray(use_t_per_month, dtype=float).reshape(-1)
    shares = np.asarray(shares, dtype=float)
    pass_ = np.asarray(pass_, dtype=float)
    n = s0.shape[0]
    if shares.ndim == 1:
        shares = shares[:, None]
    if use.shape != (n,) or shares.shape[0] != n or pass_.ndim != 3 or pass_.shape[:2] != shares.shape:
        raise ValueError(f"shape mismatch: stock {s0.shape}, use {use.shape}, shares {shares.shape}, "
                         f"pass {pass_.shape} (expected [N], [N], [N, L], [N, L, H])")
    bad_share = (shares < 0) | (shares > 1 + SHARE_TOL)
    if bad_share.any():
        raise ValueError(f"shares[{_bad_index(bad_share)}] = {shares[bad_share][0]} is outside 0–1")
    total = shares.sum(axis=1)
    if (total > 1 + SHARE_TOL).any():
        i = _bad_index(total > 1 + SHARE_TOL)
        raise ValueError(f"shares[{i}] sum to {total[int(i)]:.6g}, above 1")
    missing = ~np.isfinite(total)
    if not np.isfinite(shares).all():
        shares = np.where(np.isfinite(shares), shares, 0.0)
    unknown = np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0)
    nan_pass = np.zeros(n, bool)

    h = pass_.shape[2]
    cum_t = np.empty((h, n))

    def delivered(sl: slice) -> np.ndarray:
        """Share of U arriving for rows ``sl``, written time-major into ``cum_t[:, sl]``;
        validates pass_ on the way (in sub-blocks small enough to be read once from memory)."""
        for a in range(sl.start, sl.stop, SUBCHUNK):
            sub = slice(a, min(a + SUBCHUNK, sl.stop))
            p = pass_[sub]
            lo, hi = (p.min(), p.max()) if p.size else (0.0, 0.0)
            if not (lo >= 0 and hi <= 1):  # one cheap check first; NaN also lands here
                nan = np.isnan(p)
                bad = ~nan & ((p < 0) | (p > 1))
                if bad.any():
                    i = np.argwhere(bad)[0]
                    raise ValueError(f"pass_[{i[0] + a}, {i[1]}, {i[2]}] = {p[tuple(i)]} is outside 0–1")
                nan_pass[sub] = nan.any(axis=(1, 2))
                p = np.where(nan, 1.0, p)
            d = np.einsum("nl,nlh->nh", shares[sub], p)
            d += unknown[sub, None]
            cum_t[:, sub] = d.T
        return cum_t[:, sl]

    return _engine(s0, use, delivered, cum_t, unknown, missing, substitution, demand_factor,
                   extra_missing=nan_pass)


CHUNK = 4096     # rows per block: a block stays in cache while the recursion runs over months
SUBCHUNK = 512   # rows per pass_ block in ``simulate`` (validated and contracted while cached)


def _engine(s0: np.ndarray, use: np.ndarray, delivered: Callable[[slice], np.ndarray], cum_t: np.ndarray,
            unknown: np.ndarray, missing: np.ndarray, substitution: Substitution | None,
            demand_factor: float | np.ndarray, extra_missing: np.ndarray | None = None) -> CoverResult:
    """The stock recursion, in place and time-major. ``delivered(rows)`` fills ``cum_t[:, rows]``
    ([H, N]) with the share of U arriving and returns that view; the engine turns it into the
    cumulative shortfall block by block, so each block stays in cache and the month-by-month
    sum is a run of vector additions over rows."""
    h, n = cum_t.shape
    dfac = np.broadcast_to(np.asarray(demand_factor, dtype=float), (n,))
    for name, arr in (("stock_t", s0), ("use_t_per_month", use), ("demand_factor", dfac)):
        if (arr < 0).any():
            raise ValueError(f"{name}[{_bad_index(arr < 0)}] = {arr[arr < 0][0]} is negative")
    missing = missing | ~np.isfinite(s0) | ~np.isfinite(use) | ~np.isfinite(dfac)
    s0c, usec, dfc = (np.where(missing, 0.0, x) for x in (s0, use, dfac))
    cap = None if substitution is None else substitution.capacity(h)[:, None]
    # first month whose cumulative shortfall reaches S0 (> 0 when S0 = 0)
    thr = np.where(s0c > 0, s0c * (1 - 1e-12), 5e-324)
    k = np.zeros(n, dtype=np.int64)
    for start in range(0, n, CHUNK):
        sl = slice(start, min(start + CHUNK, n))
        g = delivered(sl)                                   # view of cum_t, [H, c]
        np.subtract(dfc[None, sl], g, out=g)                # gap as a share of U
        np.maximum(g, 0.0, out=g)
        if cap is not None:
            g -= cap
            np.maximum(g, 0.0, out=g)
        g *= usec[None, sl]                                 # shortfall, t
        for t in range(1, h):
            np.add(g[t], g[t - 1], out=g[t])                # cumulative shortfall
        # cum is non-decreasing: the number of months below the threshold is the crossing index
        k[sl] = np.count_nonzero(g < thr[None, sl], axis=0)
    if extra_missing is not None:
        missing = missing | extra_missing
    hit = (k < h) & ~missing & (usec > 0)
    kk = np.minimum(k, max(h - 1, 0))
    rows = np.arange(n)
    at = cum_t[kk, rows] if h else np.zeros(n)
    prev = np.where(kk > 0, cum_t[np.maximum(kk - 1, 0), rows], 0.0) if h else np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        frac = np.clip((s0c - prev) / (at - prev), 0.0, 1.0)
    months = np.where(hit, kk + frac, np.nan)
    runout = np.where(hit, kk + (frac > 0), -1).astype(int)

    state = np.ones(n, dtype=np.int8)                        # codes into STATES
    state[hit] = 0
    state[(usec == 0) & ~missing] = 2
    state[missing] = 3
    if missing.any():
        cum_t[:, missing] = np.nan
        unknown = np.where(missing, np.nan, unknown)
    return CoverResult(months, state, runout, unknown, np.where(missing, np.nan, s0c), cum_t.T)


# --------------------------------------------------------------------- one holder
def _iso3(text: str | None) -> str | None:
    """ISO3 for a country code or name (``ROW`` kept; None/NaN -> None); CatalogError otherwise."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return text if catalog.is_iso3(str(text)) else catalog.country_iso3(text)


def _normalise_lines(lines: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for origin, share in lines.items():
        iso3 = _iso3(origin)
        if iso3 is None:
            continue  # no origin: part of the unknown remainder
        out[iso3] = out.get(iso3, 0.0) + float(share)
    return out


def _iso3_series(values: pd.Series) -> pd.Series:
    """Country column normalised to ISO3, one catalogue look-up per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    fixed = [_iso3(u) for u in uniq.tolist()]
    if fixed == uniq.tolist() and not (codes < 0).any():
        return values.reset_index(drop=True)
    return pd.Series(np.array(fixed + [None], dtype=object)[codes], dtype=object)


def _none_if_nan(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _json_series(xs: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(x) else float(x) for x in xs]


def cover_for_holder(stock_t: float, use_t: float, lines: Mapping[str, float], regime: Regime,
                     material_id: str, destination_iso3: str | None, horizon: int | None = None,
                     dependence: Mapping[str, float] | None = None,
                     substitution: Substitution | None = None, demand_factor: float = 1.0) -> dict:
    """Months of cover of one holder for one material under one regime (JSON-friendly dict).

    ``lines`` maps origin (ISO3, ISO2 or name; ``ROW`` allowed) to its share of monthly use.
    ``months_of_cover`` and ``runout_month`` are None unless exhausted; ``state`` says why."""
    lines = _normalise_lines(lines)
    destination_iso3 = _iso3(destination_iso3)
    h = regime.horizon_months if horizon is None else int(horizon)
    origins = list(lines)
    shares = np.array([[lines[o] for o in origins]]) if origins else np.zeros((1, 0))
    pass_ = line_pass_matrix(regime, material_id, destination_iso3, origins, h, dependence)[None]
    res = simulate(np.array([stock_t], float), np.array([use_t], float), shares, pass_,
                   substitution, demand_factor)
    direct, et = line_exposure(regime, [material_id] * len(origins), [destination_iso3] * len(origins),
                               origins, [float((dependence or {}).get(o, 0.0)) for o in origins])
    shr = np.array([lines[o] for o in origins], float)
    return {
        "regime": regime.id, "material_id": material_id, "destination": destination_iso3,
        "horizon_months": h, "stock_t": _none_if_nan(stock_t), "use_t_per_month": _none_if_nan(use_t),
        "months_of_cover": _none_if_nan(res.months[0]),
        "exhausted_within_horizon": bool(res.state[0] == EXHAUSTED),
        "state": str(res.state[0]),
        "runout_month": int(res.runout_month[0]) if res.state[0] == EXHAUSTED else None,
        "controlled_share": float((shr * direct).sum()),
        "extraterritorial_share": float((shr * et).sum()),
        "unknown_share": _none_if_nan(res.unknown_share[0]),
        "dependence_missing": missing_dependence(regime, material_id, destination_iso3, origins, dependence),
        "stock_t_series": _json_series(res.stock_t[0]),        # months 0..H (None: insufficient data)
        "shortfall_t_series": _json_series(res.shortfall_t[0]),  # months 1..H
    }


def cover_band(stock_t: float, use_t: float, lines: Mapping[str, float], regime: Regime,
               material_id: str, destination_iso3: str | None, *,
               approval_range: tuple[float, float] | None = None,
               delay_range: tuple[int, int] | None = None,
               stock_range_t: tuple[float, float] | None = None, horizon: int | None = None,
               dependence: Mapping[str, float] | None = None,
               substitution: Substitution | None = None, demand_factor: float = 1.0) -> dict:
    """Low/high months of cover over the corners of the given ranges (all evaluated in one
    vectorised run). Approval and delay ranges replace every rule's value (``with_rule_params``).
    A corner that is not exhausted counts as +infinity: ``high_months`` is None with
    ``high_state`` 'not exhausted within horizon' when any corner is not exhausted."""
    lines = _normalise_lines(lines)
    destination_iso3 = _iso3(destination_iso3)
    h = regime.horizon_months if horizon is None else int(horizon)
    origins = list(lines)
    corners = list(itertools.product(approval_range or (None,), delay_range or (None,),
                                     stock_range_t or (stock_t,)))
    pass_ = np.stack([line_pass_matrix(with_rule_params(regime, approval_rate=a, delay_months=d),
                                       material_id, destination_iso3, origins, h, dependence)
                      for a, d, _ in corners])
    shares = np.tile(np.array([lines[o] for o in origins], float), (len(corners), 1))
    res = simulate(np.array([c[2] for c in corners], float), np.full(len(corners), float(use_t)),
                   shares, pass_, substitution, demand_factor)
    key = np.where(res.state == EXHAUSTED, res.months, np.inf)
    lo, hi = int(np.argmin(key)), int(np.argmax(key))
    return {"low_months": _none_if_nan(res.months[lo]), "low_state": str(res.state[lo]),
            "high_months": _none_if_nan(res.months[hi]), "high_state": str(res.state[hi]),
            "corners": [{"approval_rate": a, "delay_months": d, "stock_t": s,
                         "months": _none_if_nan(m), "state": str(st)}
                        for (a, d, s), m, st in zip(corners, res.months, res.state)]}


# --------------------------------------------------------------------- many holders
TABLE_INPUT = ("holder", "material_id", "stock_t", "use_t_per_month")


@dataclass(frozen=True)
class _Table:
    """Holders grouped by (holder, material_id) and their supply lines, ready for every regime."""

    groups: pd.DataFrame      # one row per group, index 0..G-1
    g: np.ndarray             # [n_lines] group of each line
    share: np.ndarray         # [n_lines] share of use (NaN kept)
    origin: np.ndarray        # [n_lines] object
    lines: Lines
    dep_known: np.ndarray     # [n_lines] dependence given for (material, origin)
    missing: np.ndarray       # [G] some share is NaN


def _prepare(holders: pd.DataFrame, dependence: Mapping[str, Mapping[str, float]] | None) -> _Table:
    miss = [c for c in TABLE_INPUT if c not in holders.columns]
    if miss:
        raise ValueError(f"holders table lacks column(s) {', '.join(miss)} "
                         f"(has {', '.join(map(str, holders.columns))})")
    df = holders.reset_index(drop=True)
    hc, hu = pd.factorize(df["holder"], use_na_sentinel=False)
    mc, _ = pd.factorize(df["material_id"], use_na_sentinel=False)
    gid, _ = pd.factorize(hc.astype(np.int64) * (int(mc.max(initial=0)) + 1) + mc)
    first = np.unique(gid, return_index=True)[1]
    cols = ["holder", "material_id", "destination", "stock_t", "use_t_per_month"]
    groups = df.reindex(columns=cols).take(first).reset_index(drop=True)
    groups["stock_t"] = groups["stock_t"].astype(float)
    groups["use_t_per_month"] = groups["use_t_per_month"].astype(float)
    groups["destination"] = _iso3_series(groups["destination"])
    has_origin = "origin" in df and df["origin"].notna().any()
    is_line = df["origin"].notna().to_numpy() if has_origin else np.zeros(len(df), bool)
    g = gid[is_line]
    origin_s = _iso3_series(df["origin"][is_line]) if has_origin else pd.Series([], dtype=object)
    origin = origin_s.to_numpy(object)
    share = (df["share"].to_numpy(float) if "share" in df else np.full(len(df), np.nan))[is_line]
    mats = groups["material_id"].to_numpy(object)[g]
    bad = (share < 0) | (share > 1 + SHARE_TOL)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"share {share[i]} of line {origin[i]} for holder {groups.holder[g[i]]!r}, "
                         f"material {mats[i]!r} is outside 0–1")
    tot = np.bincount(g, np.nan_to_num(share), minlength=len(groups))
    if (tot > 1 + SHARE_TOL).any():
        i = int(np.argmax(tot > 1 + SHARE_TOL))
        raise ValueError(f"shares for holder {groups.holder[i]!r}, material {groups.material_id[i]!r} "
                         f"sum to {tot[i]:.6g}, above 1")
    for c in ("stock_t", "use_t_per_month"):
        neg = groups[c].to_numpy() < 0
        if neg.any():
            i = int(np.argmax(neg))
            raise ValueError(f"{c} {groups[c][i]} for holder {groups.holder[i]!r}, "
                             f"material {groups.material_id[i]!r} is negative")
    gl = index_lines(groups["material_id"], groups["destination"],
                     np.full(len(groups), None, object))  # type: ignore[arg-type]  # factorised like a list
    ol = index_lines([], [], origin_s)
    # merge the per-group codes and the origin codes into one name table
    names = tuple(dict.fromkeys(gl.names[:-1] + ol.names[:-1])) + (None,)
    pos = {v: i for i, v in enumerate(names)}
    remap_g = np.array([pos[v] for v in gl.names], dtype=np.int64)
    remap_o = np.array([pos[v] for v in ol.names], dtype=np.int64)
    lines = Lines(names, remap_g[gl.mat][g], remap_g[gl.dest][g], remap_o[ol.orig], np.zeros(len(g)))
    # dependence per line through the (material, origin) pairs, looked up once per distinct pair
    dep_map = dependence or {}
    pair = lines.mat * len(lines.names) + lines.orig
    upair, inv = np.unique(pair, return_inverse=True)
    got = [dep_map.get(lines.names[p // len(lines.names)], {}).get(lines.names[p % len(lines.names)])
           for p in upair]
    dep = np.array([np.nan if x is None else float(x) for x in got])[inv] if len(upair) else np.zeros(0)
    lines = dataclasses.replace(lines, dep=np.nan_to_num(dep))
    missing = np.bincount(g, np.isnan(share), minlength=len(groups)) > 0
    return _Table(groups, g, share, origin, lines, ~np.isnan(dep), missing)


def _run(tb: _Table, regimes: Sequence[Regime], h: int, stock_factor: float,
         substitution: Substitution | None, demand_factor: float) -> CoverResult:
    """Simulate every group under every regime; row r*G + g is regime r, group g.

    Only the lines some rule touches are materialised: delivered = 1 - sum_e s_e (1 - pass_e)."""
    g_n, r_n = len(tb.groups), len(regimes)
    share = np.nan_to_num(tb.share)
    delivered = np.ones((h, r_n * g_n))                      # time-major, becomes the cumulative shortfall
    for r, regime in enumerate(regimes):
        touched = np.zeros(len(tb.lines), bool)
        for rule in regime.rules:
            d, t = rule_hits(rule, tb.lines)
            touched |= d | (t & (tb.lines.dep > 0))
        idx = np.flatnonzero(touched & (share > 0))
        if not len(idx):
            continue
        idx = idx[np.argsort(tb.g[idx], kind="stable")]
        cut = 1.0 - lines_pass(regime, tb.lines, horizon=h, only=idx)
        cut *= share[idx, None]
        gs = tb.g[idx]
        starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
        delivered[:, r * g_n + gs[starts]] -= np.add.reduceat(cut, starts, axis=0).T
    unknown = np.clip(1.0 - np.bincount(tb.g, share, minlength=g_n), 0.0, 1.0)
    stock = np.tile(tb.groups["stock_t"].to_numpy(float) * stock_factor, r_n)
    use = np.tile(tb.groups["use_t_per_month"].to_numpy(float), r_n)
    return _engine(stock, use, lambda sl: delivered[:, sl], delivered, np.tile(unknown, r_n),
                   np.tile(tb.missing, r_n), substitution, demand_factor)


def _cut_to_regime_horizon(res: CoverResult, horizons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(months, state codes) with run-outs beyond each row's own horizon not exhausted."""
    late = (res.state_code == 0) & (res.months > horizons)
    months, state = res.months.copy(), res.state_code.copy()
    months[late], state[late] = np.nan, 1
    return months, state


def _take(values: Sequence[str], codes: np.ndarray) -> pd.Series:
    """String column from codes into a few values, without building Python objects per row."""
    return pd.Series(pd.array(list(values), dtype="str")).take(codes).reset_index(drop=True)


def cover_table(holders: pd.DataFrame, regimes: Sequence[Regime], *, horizon: int | None = None,
                dependence: Mapping[str, Mapping[str, float]] | None = None,
                substitution: Substitution | None = None, demand_factor: float = 1.0,
                band: Band | None = None) -> pd.DataFrame:
    """Months of cover for many holders x materials x regimes in one vectorised run.

    ``holders`` is long: one row per supply line, columns ``holder``, ``material_id``,
    ``stock_t``, ``use_t_per_month`` (taken from the first row of each (holder, material_id)),
    optional ``destination`` (ISO3 of the holder; None = unknown), ``origin`` (ISO3 or ``ROW``;
    a row without origin is no line) and ``share`` (of monthly use; NaN -> insufficient data).
    ``dependence[material_id][origin]`` feeds extraterritorial rules. Without ``horizon`` each
    regime is judged over its own ``horizon_months``.

    Returns one row per (holder, material_id, regime), regimes in the given order: holder,
    material_id, destination, regime, horizon_months, stock_t, use_t_per_month,
    controlled_share, extraterritorial_share, unknown_share, months, runout_month (nullable
    Int64), state, dependence_missing (origins an extraterritorial rule reaches whose dependence
    was unknown and taken as 0, comma-separated), and with ``band``: months_low, months_high,
    state_low, state_high (a corner not exhausted within the horizon counts as +infinity)."""
    tb = _prepare(holders, dependence)
    regimes = list(regimes)
    g_n, r_n = len(tb.groups), len(regimes)
    h = int(horizon) if horizon is not None else max((r.horizon_months for r in regimes), default=1)
    horizons = np.repeat([h if horizon is not None else r.horizon_months for r in regimes], g_n).astype(int)

    res = _run(tb, regimes, h, 1.0, substitution, demand_factor)
    months, state = _cut_to_regime_horizon(res, horizons)
    controlled, et_share, missing_dep = _regime_shares(tb, regimes)

    gidx = np.tile(np.arange(g_n), r_n)

    def tile(col: str) -> pd.Series:
        return tb.groups[col].take(gidx).reset_index(drop=True)

    exhausted = state == 0
    out = pd.DataFrame({
        "holder": tile("holder"), "material_id": tile("material_id"), "destination": tile("destination"),
        "regime": _take([r.id for r in regimes], np.repeat(np.arange(r_n), g_n)), "horizon_months": horizons,
        "stock_t": tile("stock_t"), "use_t_per_month": tile("use_t_per_month"),
        "controlled_share": np.concatenate(controlled) if regimes else np.zeros(0),
        "extraterritorial_share": np.concatenate(et_share) if regimes else np.zeros(0),
        "unknown_share": res.unknown_share,
        "months": months,
        "runout_month": pd.array(np.where(exhausted, res.runout_month, 0), dtype="Int64"),
        "state": _take(STATES, state),
        "dependence_missing": np.concatenate(missing_dep) if regimes else np.zeros(0, object),
    })
    out.loc[~exhausted, "runout_month"] = pd.NA
    if band is not None:
        _add_band(out, tb, regimes, band, h, horizons, substitution, demand_factor)
    return out


def _regime_shares(tb: _Table, regimes: list[Regime]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per regime, per (holder, material): the share of use a rule cuts directly, the share cut
    extraterritorially, and the origins an extraterritorial rule reaches whose dependence is unknown."""
    g_n = len(tb.groups)
    share = np.nan_to_num(tb.share)
    controlled, et_share, missing_dep = [], [], []
    reach = dataclasses.replace(tb.lines, dep=np.ones(len(tb.lines)))
    for regime in regimes:
        direct, et = line_exposure(regime, tb.lines)
        controlled.append(np.bincount(tb.g, share * direct, minlength=g_n))
        et_share.append(np.bincount(tb.g, share * et, minlength=g_n))
        txt = np.full(g_n, "", dtype=object)
        if any(r.extraterritorial for r in regime.rules):
            miss = np.flatnonzero((line_exposure(regime, reach)[1] > 0) & ~tb.dep_known)
            acc: dict[int, list[str]] = {}
            for i in miss:
                acc.setdefault(int(tb.g[i]), []).append(str(tb.origin[i]))
            for gi, names in acc.items():
                txt[gi] = ",".join(names)
        missing_dep.append(txt)
    return controlled, et_share, missing_dep


def _add_band(out: pd.DataFrame, tb: _Table, regimes: list[Regime], band: Band, h: int, horizons: np.ndarray,
              substitution: Substitution | None, demand_factor: float) -> None:
    """months_low/high and state_low/high: every corner of ``band`` run, the earliest and latest
    run-out kept (a corner not exhausted within the horizon counts as +infinity)."""
    keys, runs = [], []
    for a, d, f in itertools.product(band.approval_rate or (None,), band.delay_months or (None,),
                                     band.stock_factor or (1.0,)):
        variants = [with_rule_params(r, approval_rate=a, delay_months=d) for r in regimes]
        rr = _run(tb, variants, h, f, substitution, demand_factor)
        m, s = _cut_to_regime_horizon(rr, horizons)
        keys.append(np.where(s == 0, m, np.inf))
        runs.append(s)
    k, st = np.stack(keys), np.stack(runs)
    lo, hi = k.argmin(axis=0), k.argmax(axis=0)
    cols = np.arange(k.shape[1])
    out["months_low"] = np.where(np.isfinite(k[lo, cols]), k[lo, cols], np.nan)
    out["months_high"] = np.where(np.isfinite(k[hi, cols]), k[hi, cols], np.nan)
    out["state_low"], out["state_high"] = _take(STATES, st[lo, cols]), _take(STATES, st[hi, cols])
