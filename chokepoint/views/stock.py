"""What the stocks behind months of cover rest on, in words: which importers' results are driven
by assumptions only, which add a national stockpile target (a policy goal, not a holding), and
which rest on evidence (a published holding or a stock the user stated in tonnes)."""
from __future__ import annotations

import pandas as pd

from .. import catalog
from ..scenarios import stock as stock_mod
from .spec import Finding


def _names(isos: list[str]) -> str:
    return ", ".join(f"{catalog.country_name(c)}" for c in sorted(isos, key=catalog.country_name)) or "none"


def summary(rows: pd.DataFrame) -> tuple[Finding, ...]:
    """One Finding per kind of stock present in ``scenarios.country_cover`` rows (one per holder)."""
    per = rows.drop_duplicates("holder").set_index("holder")["stock_kind"]
    n = len(per)
    words = {
        stock_mod.ASSUMPTION: "rest on assumptions only (industry inventory in months of use; no national stock "
                              "evidence)",
        stock_mod.ASSUMPTION_TARGET: "add a national stockpile target to the assumed inventory (a policy target, "
                                     "not a verified holding)",
        stock_mod.HOLDING: "use a published national holding (evidence)",
        stock_mod.USER: "use a stock you set in tonnes (evidence)",
    }
    out = []
    for kind in stock_mod.KINDS:
        who = [h for h, k in per.items() if k == kind]
        if who:
            out.append(Finding(f"importers whose results {words[kind]}", f"{len(who)} of {n}", "importers",
                               _names(who), "Chokepoint: stock basis of each result"))
    return tuple(out)


def lines(rows: pd.DataFrame) -> list[str]:
    """The summary as Markdown bullets for a page."""
    return [f"**{f.value}** importers {f.label.removeprefix('importers whose results ')}: {f.basis}."
            for f in summary(rows)]
