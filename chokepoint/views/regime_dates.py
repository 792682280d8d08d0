"""Regimes on an as-of date, for every place that chooses regimes (Months of cover, Control regimes,
briefing packs, the CLI): which are in force, how each is labelled, when each one's simulation
starts, and what the timeline does not know. Built on ``chokepoint.regime_status``."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import regime_status as rs
from ..regimes import Regime


@dataclass(frozen=True)
class RegimeDates:
    """The regime library seen on ``as_of`` through ``timeline`` (built-in plus user events)."""

    as_of: dt.date
    timeline: rs.Timeline

    def status(self, regime_id: str) -> rs.Status:
        """A regime's status (a custom or retargeted regime, named by no event, is a scenario)."""
        return self.timeline.status(regime_id, self.as_of)

    def name(self, regime: Regime) -> str:
        return rs.label_name(regime.name, self.status(regime.id))

    def labelled(self, regs: Iterable[Regime]) -> list[Regime]:
        """The regimes with their status in their names ("Scenario: ...", "Suspended: ...")."""
        return [rs.label(r, self.status(r.id)) for r in regs]

    def in_force(self, regs: Iterable[Regime]) -> list[str]:
        return [r.id for r in regs if self.status(r.id).in_force]

    def defaults(self, library: Mapping[str, Regime], *, reference: bool = True) -> list[str]:
        """In force on the as-of date (plus the no-controls reference when ``reference``)."""
        ids = rs.default_ids(library, rs.statuses(library, self.as_of, self.timeline))
        return ids if reference else [i for i in ids if not library[i].has("reference")] or ids

    def starts(self, regs: Sequence[Regime], start: dt.date) -> dict[str, dt.date]:
        """Month 0 of each regime: ``start`` or, for a regime in force only later, that date."""
        return rs.sim_starts(regs, start, self.timeline)

    @property
    def caveat(self) -> str:
        return self.timeline.caveat(self.as_of)

    def table(self, library: Mapping[str, Regime]) -> pd.DataFrame:
        """One row per library regime: status on the as-of date, effective dates, why."""
        rows = []
        for rid, r in library.items():
            s = self.status(rid)
            rows.append({"regime": rid, "name": r.name, "status": s.status, "effective_from": s.effective_from,
                         "effective_to": s.effective_to, "suspended_until": s.suspended_until,
                         "in_force_from": s.in_force_from, "basis": "; ".join(s.basis)})
        return pd.DataFrame(rows)


def on(as_of: dt.date | None = None, events: Iterable[rs.Event] = (),
       timeline: rs.Timeline | None = None) -> RegimeDates:
    """The library on ``as_of`` (default today) with ``events`` merged into the built-in timeline."""
    tl = timeline if timeline is not None else rs.load_timeline()
    extra = tuple(events)
    return RegimeDates(as_of or dt.date.today(), tl.merged(extra) if extra else tl)
