"""Controlled elements through the magnets that carry them, as the Exposure and Months of cover
pages show them: one Finding per element (embedded tonnes, low-high, labelled ESTIMATE) and the
table behind them, with the content range, its sources and the HS 850511 proxy caveat."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import catalog, embedded
from ..fmt import possessive
from .spec import Finding

Runner = Callable[..., pd.DataFrame]
ESTIMATE = embedded.LABEL


@dataclass(frozen=True)
class Elements:
    """What the pages show for one country: findings, the table, and the caveat line."""

    findings: tuple[Finding, ...]
    table: pd.DataFrame
    caption: str


def _t(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else (f"{x:,.0f}" if x >= 100 else f"{x:,.1f}")


def caption() -> str:
    return (f"{ESTIMATE}S. Embedded tonnes = HS 850511 tonnes × the published weight share of each element in "
            f"NdFeB magnets (low–high). {embedded.proxy_note()}: counting every tonne as NdFeB overstates the "
            "magnets, and the same content is assumed for every supplier, so China's share of an element equals "
            "its share of the magnet tonnes.")


def imports(country: str, run: Runner, *, year: int | None = None) -> Elements:
    """Embedded Dy, Tb, Nd and Pr in one country's magnet imports (Exposure page)."""
    t = embedded.country_table(country, year=year, run=run)
    who = possessive(catalog.country_name(country))
    findings = tuple(
        Finding(f"{r.material_name} embedded in {who} magnet imports ({ESTIMATE})",
                f"{_t(r.embedded_t_low)}–{_t(r.embedded_t_high)} t", f"t in {r.year}",
                f"{embedded.ROUTE}: {r.content}", r.source)
        for r in t.itertuples())
    return Elements(findings, t, caption())


def in_stock(row: Mapping[str, Any], run: Runner) -> Elements:
    """The controlled elements inside one country's magnet stock and monthly use (Months of cover
    page, material = HS 850511 magnets): tonnes low-high; the months of cover are the magnets'."""
    rows = []
    for mid, c in embedded.contents(run).items():
        use, stock = float(row["use_t_per_month"]), float(row["stock_t"])
        rows.append({"element": c.element, "material_name": catalog.materials()[mid].name.split(" (")[0],
                     "use_t_per_month_low": use * c.low, "use_t_per_month_high": use * c.high,
                     "stock_t_low": stock * c.low, "stock_t_high": stock * c.high,
                     "content": c.range_label, "label": ESTIMATE, "source": "; ".join(c.sources())})
    t = pd.DataFrame(rows)
    who = possessive(catalog.country_name(str(row["holder"])))
    findings = tuple(
        Finding(f"{r.material_name} in {who} magnet stock ({ESTIMATE})",
                f"{_t(r.stock_t_low)}–{_t(r.stock_t_high)} t", "t", f"{embedded.ROUTE}: {r.content}", r.source)
        for r in t.itertuples()) if len(t) else ()
    return Elements(findings, t, caption() + " Months of cover of an element in magnets are those of the magnets.")
