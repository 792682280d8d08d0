"""What a regime lets through, month by month: pass fractions of supply lines.

The month convention and the stacking and extraterritorial rules are described in the
``chokepoint.regimes`` module docstring; this module applies them to arrays of supply lines
(material, origin -> destination) for the cover engine. Pure: numpy only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .regimes import DEFAULT_HORIZON, Regime, Rule


def pass_fraction(rule: Rule, t: int | np.ndarray) -> float | np.ndarray:
    """Share of a controlled line's normal monthly flow delivered in month ``t`` (1-based).

    1 for t <= start_month or t > end_month (inactive); 0 for start_month < t <=
    start_month + delay_months; ``approval_rate`` for the remaining active months.
    Example: start 0, delay 1, rate a -> month 1: 0, months 2..: a."""
    tt = np.asarray(t)
    end = np.inf if rule.end_month is None else rule.end_month
    active = (tt > rule.start_month) & (tt <= end)
    out = np.where(active, np.where(tt <= rule.start_month + rule.delay_months, 0.0, rule.approval_rate), 1.0)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Lines:
    """Supply lines (material, origin -> destination) as integer codes into ``names``, built once
    with ``index_lines`` and reused for every regime (rule tests become table look-ups)."""

    names: tuple[Any, ...]  # distinct material ids and country codes; None (unknown) is last
    mat: np.ndarray
    dest: np.ndarray
    orig: np.ndarray
    dep: np.ndarray         # dependence of the origin on the controller, for the line's material

    def __len__(self) -> int:
        return len(self.mat)

    def code(self, name: str) -> int:
        """Code of ``name`` (-2 if absent, which matches no line)."""
        try:
            return self.names.index(name)
        except ValueError:
            return -2

    def table(self, pred) -> np.ndarray:
        """Boolean look-up table: ``pred(name)`` for every code."""
        return np.fromiter((pred(x) for x in self.names), bool, len(self.names))


def index_lines(material_ids: Sequence[str], destinations: Sequence[str | None],
                origins: Sequence[str | None], dependence: Sequence[float] | np.ndarray | None = None
                ) -> Lines:
    """Factorise line attributes once (None/NaN destination = unknown; missing dependence = 0).
    Accepts lists, arrays or pandas Series (factorised without per-row Python objects)."""
    cols = [pd.factorize(pd.Series(list(x) if not isinstance(x, (pd.Series, np.ndarray)) else x,
                                   dtype=object if not isinstance(x, pd.Series) else None),
                         use_na_sentinel=True)
            for x in (material_ids, destinations, origins)]
    names = tuple(dict.fromkeys(v for _, u in cols for v in u.tolist())) + (None,)
    pos = {v: i for i, v in enumerate(names)}
    mat, dest, orig = (np.append(np.array([pos[v] for v in u.tolist()], dtype=np.int64),
                                 len(names) - 1)[c] for c, u in cols)   # code -1 -> None (last)
    n = len(mat)
    dep = np.zeros(n) if dependence is None else np.nan_to_num(np.asarray(dependence, float), nan=0.0)
    return Lines(names, mat, dest, orig, dep)


def rule_hits(rule: Rule, ln: Lines) -> tuple[np.ndarray, np.ndarray]:
    """(direct, third) boolean masks of the lines a rule cuts: lines from the controller, and
    (extraterritorial rules only) lines from third countries other than the destination."""
    ctrl = ln.code(rule.controller)
    hit = ln.table(rule.material_ids.__contains__)[ln.mat]
    hit &= ln.table(rule.applies_to)[ln.dest]
    direct = hit & (ln.orig == ctrl)
    if not rule.extraterritorial:
        return direct, np.zeros_like(hit)
    return direct, hit & (ln.orig != ctrl) & (ln.orig != ln.dest)


def _as_lines(material_ids, destinations, origins, dependence) -> Lines:
    return material_ids if isinstance(material_ids, Lines) else index_lines(
        material_ids, destinations, origins, dependence)


def lines_pass(regime: Regime, material_ids: Sequence[str] | Lines, destinations: Sequence[str | None] = (),
               origins: Sequence[str | None] = (), horizon: int = DEFAULT_HORIZON,
               dependence: Sequence[float] | np.ndarray | None = None,
               only: np.ndarray | None = None) -> np.ndarray:
    """Pass fractions [n_lines, horizon] for many supply lines at once (vectorised over lines).

    Line i carries ``material_ids[i]`` from ``origins[i]`` to ``destinations[i]``;
    ``dependence[i]`` is the share of that origin's supply of the material that comes from the
    rule's controller (used by extraterritorial rules only; missing/NaN counts as 0).
    Rules multiply: a line under two rules passes the product. ``material_ids`` may instead be a
    prebuilt ``Lines``; ``only`` (indices) restricts the output to those lines."""
    ln = _as_lines(material_ids, destinations, origins, dependence)
    idx = np.arange(len(ln)) if only is None else np.asarray(only)
    out = np.ones((len(idx), horizon))
    t = np.arange(1, horizon + 1)
    for rule in regime.rules:
        vec = pass_fraction(rule, t)
        if np.all(vec == 1.0):
            continue
        direct, third = (m[idx] for m in rule_hits(rule, ln))
        out[direct] *= vec
        third &= ln.dep[idx] > 0
        if third.any():
            out[third] *= 1.0 - ln.dep[idx][third, None] * (1.0 - vec)
    return out


def line_exposure(regime: Regime, material_ids: Sequence[str] | Lines, destinations: Sequence[str | None] = (),
                  origins: Sequence[str | None] = (), dependence: Sequence[float] | np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per line: (direct, extraterritorial). ``direct`` is True when some rule covers the line
    from its controller (whether or not the rule is active within the horizon); ``extraterritorial``
    is the largest dependence through which an extraterritorial rule reaches a third-country line
    (0 for direct lines). Summing share x these gives the controlled and extraterritorial shares.
    With dependence all ones, ``extraterritorial > 0`` marks every line an extraterritorial rule reaches."""
    ln = _as_lines(material_ids, destinations, origins, dependence)
    direct = np.zeros(len(ln), bool)
    et = np.zeros(len(ln))
    for rule in regime.rules:
        d, t = rule_hits(rule, ln)
        direct |= d
        if t.any():
            et = np.maximum(et, np.where(t, ln.dep, 0.0))
    return direct, np.where(direct, 0.0, et)


def line_pass_matrix(regime: Regime, material_id: str, destination_iso3: str | None,
                     origins: Sequence[str], horizon: int | None = None,
                     dependence: Mapping[str, float] | None = None) -> np.ndarray:
    """Pass fractions [len(origins), horizon] of one holder's supply lines of one material.

    ``dependence`` maps a third-country origin to the share of its supply of the material that
    comes from the controller (extraterritorial rules); origins missing from it count as 0 —
    ``missing_dependence`` lists them so callers can report it. ``ROW`` and unknown origins are
    never the controller."""
    h = regime.horizon_months if horizon is None else int(horizon)
    dep = [float((dependence or {}).get(o, 0.0)) for o in origins]
    n = len(origins)
    return lines_pass(regime, [material_id] * n, [destination_iso3] * n, list(origins), h, dep)


def missing_dependence(regime: Regime, material_id: str, destination_iso3: str | None,
                       origins: Sequence[str], dependence: Mapping[str, float] | None) -> list[str]:
    """Third-country origins an extraterritorial rule would cut but whose dependence is unknown
    (taken as 0 by ``line_pass_matrix``)."""
    dep = dependence or {}
    n = len(origins)
    _, et = line_exposure(regime, [material_id] * n, [destination_iso3] * n, list(origins), np.ones(n))
    return [o for o, e in zip(origins, et) if e > 0 and o not in dep]
