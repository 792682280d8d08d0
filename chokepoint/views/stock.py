"""What the stocks behind months of cover rest on, in words: which importers' results are driven
by assumptions only, which add a national stockpile target (a policy goal, not a holding), and
which rest on evidence (a published holding or a stock the user stated in tonnes)."""
from __future__ import annotations

import pandas as pd

from .. import catalog
from ..scenarios import stock as stock_mod
from .spec import Finding


def _names(isos: list[str], most: int | None = None) -> str:
    """Country names in alphabetical order; with ``most``, the first ``most`` and how many more."""
    names = sorted(map(catalog.country_name, isos))
    if most is not None and len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more"
    return ", ".join(names) or "none"


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


#: a group longer than this is named by the importers outside it (a page listing 208 countries is a wall)
LIST_MAX = 12


def lines(rows: pd.DataFrame) -> list[str]:
    """The summary as Markdown bullets for a page: a long group is named by who is not in it ("every
    importer except Japan, South Korea"), or by its first names and how many more."""
    per = rows.drop_duplicates("holder").set_index("holder")["stock_kind"]
    out = []
    for f, kind in zip(summary(rows), [k for k in stock_mod.KINDS if (per == k).any()]):
        who, rest = list(per.index[per == kind]), list(per.index[per != kind])
        names = f.basis
        if len(who) > LIST_MAX:
            names = f"every importer except {_names(rest)}" if len(rest) <= LIST_MAX else _names(who, LIST_MAX)
        out.append(f"**{f.value}** importers {f.label.removeprefix('importers whose results ')}: {names}.")
    return out
