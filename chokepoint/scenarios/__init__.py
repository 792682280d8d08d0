"""Scenarios for countries: the inputs of the months-of-cover model and what is built on them.

``inputs`` (who holds what, uses how much, buys from whom; every country x regime),
``holder`` (one country: run-down curves with bands, the tornado rows), ``report`` (assumption
lines, supply-lines table, the CLI's JSON). The regime editor's helpers live next to the regimes
in ``chokepoint.regime_editor`` and are re-exported here for the pages and the CLI.
"""
from __future__ import annotations

from ..regime_editor import (
                             choose,
                             custom_regime,
                             preview,
                             regime_materials,
                             regime_summary,
                             rule_fields,
                             rules_table,
                             slug,
)
from .holder import Holder, holder, rundown, sensitivity, shift_rules
from .inputs import (
                             ASSUMPTION_COLUMNS,
                             DAYS_PER_MONTH,
                             DEFAULT_BAN_TARGET,
                             DEFAULT_INDUSTRY_MONTHS,
                             DEFAULT_START,
                             INDUSTRY_CITATION,
                             INPUT_COLUMNS,
                             Ranges,
                             Runner,
                             ScenarioError,
                             assumptions,
                             country_cover,
                             country_inputs,
                             country_materials,
                             default_runner,
                             dependence_map,
                             resolve,
                             runout_date,
                             runout_table,
                             supply_lines,
)
from .report import assumption_lines, cover_json, lines_table

__all__ = ["ASSUMPTION_COLUMNS", "DAYS_PER_MONTH", "DEFAULT_BAN_TARGET", "DEFAULT_INDUSTRY_MONTHS", "DEFAULT_START",
           "INDUSTRY_CITATION", "INPUT_COLUMNS", "Holder", "Ranges", "Runner", "ScenarioError", "assumption_lines",
           "assumptions", "choose", "country_cover", "country_inputs", "country_materials", "cover_json",
           "custom_regime", "default_runner", "dependence_map", "holder", "lines_table", "preview", "regime_materials",
           "regime_summary", "resolve", "rule_fields", "rules_table", "runout_date", "runout_table", "rundown",
           "sensitivity", "shift_rules", "slug", "supply_lines"]
