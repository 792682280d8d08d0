"""The two objects every analysis returns: a :class:`Finding` (a number that matters) and a
:class:`ChartSpec` (one chart: its finding title, scope, source line, data and notes).

A spec is computed once by a view function (``chokepoint.views.*``). Pages render specs
(``ui.chart(spec)``), briefing packs lay them out as slides and the CLI prints their findings;
``chokepoint.charts`` only draws what a spec holds (``spec.figure()``). Nothing is ever read back
out of a figure: the title, subtitle and source line live here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

Target = Literal["screen", "slide", "page"]


@dataclass(frozen=True)
class Finding:
    """A key number: ``value`` as shown on screen ("38 of 40", "61.2%", "4.7 months"), what it is
    (``label``), its unit, the scope it was computed on (``basis``) and where it comes from."""

    label: str
    value: str
    unit: str = ""
    basis: str = ""
    source: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """One chart as pages, packs and exports use it.

    ``chart`` names the drawer in ``chokepoint.charts`` and ``options`` are its drawing options
    (which country to highlight, regime names, ...); ``tables`` are the provenance tables of
    ``data``; ``notes`` the assumptions a deck states in its speaker notes; ``headline`` the
    findings the title states, as numbers."""

    id: str
    title: str
    subtitle: str
    source: str
    data: pd.DataFrame
    chart: str
    options: Mapping[str, Any] = field(default_factory=dict)
    tables: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    headline: tuple[Finding, ...] = ()
    #: Drawn figures of this spec (``ui.figure``), shared by copies of the spec; not part of its value.
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """The widget and file-name key (the id)."""
        return self.id

    def figure(self, target: Target = "screen") -> go.Figure:
        """The plotly figure: full title block on screen and on PDF pages; for a deck slide the
        slide carries title, subtitle and source as text, so the image leaves them out."""
        from .. import charts
        return charts.draw(self, target)

    def with_(self, **changes: Any) -> ChartSpec:
        """A copy with some fields changed (e.g. more notes for a pack). A change that cannot alter
        the drawing (its id, notes, provenance tables, headline numbers) keeps the drawn figures."""
        from dataclasses import replace
        out = replace(self, **changes)
        if set(changes) <= _NOT_DRAWN:
            object.__setattr__(out, "memo", self.memo)
        return out


#: ChartSpec fields the drawers never read (``charts.draw`` uses title, subtitle, source, data,
#: chart and options): a copy differing only in these draws the same figure.
_NOT_DRAWN = frozenset({"id", "notes", "tables", "headline"})
