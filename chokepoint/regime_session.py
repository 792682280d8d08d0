"""Custom regimes across the pages: the regime picker's options (library + this session's custom
regimes), whether a ban target must be chosen, and the editor's operations on a draft (edit a
regime, change or remove a rule, an uploaded YAML whose id is taken). Pure: the pages keep the
session state. Kept apart from ``regime_editor`` so a page can import it before ``scenarios``
(which re-exports the editor) without an import cycle."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import regimes
from .regimes import Regime

#: The ban's default target (the YAML's); ``scenarios.DEFAULT_BAN_TARGET`` is the same value.
DEFAULT_BAN_TARGET = "USA"


def regime_options(library: Mapping[str, Regime], custom: Mapping[str, Regime] | None = None
                   ) -> tuple[list[str], dict[str, str]]:
    """(ids, display names) of the library and the session's custom regimes, for a regime picker
    (Months of cover, Company stockpiles, Briefing): custom ones are marked "(custom)"."""
    custom = custom or {}
    ids = list(library) + [k for k in custom if k not in library]
    names = {**{k: r.name for k, r in library.items()},
             **{k: f"{r.name} (custom)" for k, r in custom.items() if k not in library}}
    return ids, names


def needs_target(library: Mapping[str, Regime], ids: Sequence[str]) -> bool:
    """True when a chosen library regime is flagged ``retargetable`` (its ban target is chosen per run)."""
    return any(library[i].has("retargetable") for i in ids if i in library)


def rule_inputs(rule: regimes.Rule) -> dict[str, Any]:
    """The editor's widget values of an existing rule (the inverse of :func:`rule_fields`)."""
    t = rule.targets
    targets = "all" if t.mode == "all" else (", ".join(t.countries) if t.mode == "only"
                                             else "except " + ", ".join(t.countries))
    return {"controller": rule.controller, "materials": list(rule.materials), "targets": targets,
            "approval_rate": float(rule.approval_rate), "delay_months": int(rule.delay_months),
            "start_month": int(rule.start_month), "end_month": int(rule.end_month or 0),
            "extraterritorial": bool(rule.extraterritorial)}


def draft_of(regime: Regime) -> dict[str, Any]:
    """An editor draft (name, rules as YAML mappings, id) of a regime, to edit it. A library
    regime is edited as a custom copy (id None: the copy gets a ``custom-`` id when saved)."""
    rules = regimes.regime_to_dict(regime)["rules"]
    own = regime.id if regime.id.startswith("custom-") else None
    return {"name": regime.name if own else f"{regime.name} (edited)", "rules": rules, "id": own,
            "horizon_months": regime.horizon_months}


def without_rule(rules: Sequence[Mapping[str, Any]], index: int) -> list[dict[str, Any]]:
    """The rules with rule ``index`` (0-based) removed; IndexError names the rule numbers there are."""
    if not 0 <= index < len(rules):
        raise IndexError(f"there is no rule {index + 1} (the regime has {len(rules)})")
    return [dict(r) for i, r in enumerate(rules) if i != index]


def with_rule(rules: Sequence[Mapping[str, Any]], rule: Mapping[str, Any], index: int | None = None
              ) -> list[dict[str, Any]]:
    """The rules with ``rule`` appended (index None) or replacing rule ``index`` (0-based)."""
    out = [dict(r) for r in rules]
    if index is None:
        return out + [dict(rule)]
    if not 0 <= index < len(out):
        raise IndexError(f"there is no rule {index + 1} (the regime has {len(out)})")
    out[index] = dict(rule)
    return out


def upload_conflict(loaded: Regime, library: Mapping[str, Regime], custom: Mapping[str, Regime]) -> str | None:
    """Where an uploaded regime's id is already taken: "library", "custom" or None. The page asks
    before replacing a custom regime; a library regime is never replaced (the upload becomes a copy)."""
    if loaded.id in library:
        return "library"
    if loaded.id in custom:
        return "custom"
    return None


def as_copy(loaded: Regime, taken: Sequence[str]) -> Regime:
    """An uploaded regime under a new ``custom-`` id that is not in ``taken``."""
    from . import scenarios  # imports the regime editor in the order that has no cycle
    return scenarios.custom_regime(loaded.name, regimes.regime_to_dict(loaded)["rules"], taken=list(taken),
                                   horizon_months=loaded.horizon_months, description=loaded.description)
