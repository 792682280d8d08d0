"""Regime editor helpers (Control regimes page and the CLI): rules as a table, a regime's summary,
choosing and retargeting library regimes, building a custom regime from form fields, and a
preview of a custom regime's months of cover on a few countries."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from . import regimes
from .regimes import Regime
from .scenarios.inputs import (
    DEFAULT_BAN_TARGET,
    DEFAULT_INDUSTRY_MONTHS,
    Runner,
    country_cover,
    country_materials,
)


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

