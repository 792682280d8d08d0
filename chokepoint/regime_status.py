"""What each regime of the library is on a date: in force, suspended, expired, historical, not yet
in force, or a scenario -- derived from a dated, cited timeline of control events.

The built-in timeline is ``data/regimes/timeline.csv`` (one row per event: ``date``, ``regime``,
``action`` = imposed / suspended / lifted, optional ``until``, ``measure``, ``source``, ``url``,
``note``, ``checked`` = when the source was last checked). It ends where its cited sources end;
users add later events with a CSV or YAML file of the same columns (``load_events``), validated
whole before anything is merged (``Timeline.merged``).

Status of a regime on a date ``d`` (events dated after ``d`` are not used):

* **scenario** -- no event names the regime (a hypothetical, or the no-controls reference);
* **not yet in force** -- it has events, but none ``imposed`` on or before ``d``;
* **suspended** -- imposed (or due) but a ``suspended`` event covers ``d`` (``date <= d < until``;
  no ``until`` = suspended indefinitely);
* **historical** -- a ``lifted`` event on or before ``d`` came after its last imposition;
* **expired** -- an ``imposed`` event's ``until`` (scheduled end) is on or before ``d``;
* **in force** -- otherwise.

A suspension that begins before the measure takes effect (the October 2025 measures, suspended on
7 Nov 2025, the day before licensing began) makes the regime ``suspended`` from its effective date.
After a suspension's ``until`` the regime is in force again *as far as the timeline knows*: pages
say when the timeline was last updated and that later events are not in it (``Timeline.caveat``).

Pure: no Streamlit, no DuckDB.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .regimes import LIBRARY_DIR, ProblemsError, Regime
from .safe_input import InputError, decode_text, load_yaml, read_capped, show

TIMELINE_FILE = LIBRARY_DIR / "timeline.csv"
MAX_EVENTS_BYTES = 1 << 20
MAX_EVENTS = 5_000

ACTIONS = ("imposed", "suspended", "lifted")
IN_FORCE, SUSPENDED, EXPIRED, HISTORICAL, NOT_YET, SCENARIO = (
    "in force", "suspended", "expired", "historical", "not yet in force", "scenario")
#: In force only because a suspension's scheduled end has passed, and that end lies after the
#: timeline's latest event: no source says whether it ended or was extended. Not counted as in
#: force (defaults and headlines leave it out) and labelled as unconfirmed.
SCHEDULED = "in force per schedule (unconfirmed)"
STATUSES = (IN_FORCE, SUSPENDED, EXPIRED, HISTORICAL, NOT_YET, SCENARIO, SCHEDULED)
#: The prefix a regime's name gets when it is not in force on the as-of date (``label``); a prefix,
#: not a suffix, so that short names (the text before " (") keep it.
PREFIX = {SCENARIO: "Scenario: ", SUSPENDED: "Suspended: ", EXPIRED: "Expired: ", HISTORICAL: "Lifted: ",
          NOT_YET: "Not yet in force: ", SCHEDULED: "Unconfirmed: "}
REQUIRED = ("date", "regime", "action", "measure", "source")
OPTIONAL = ("until", "url", "note", "checked")
COLUMNS = REQUIRED + OPTIONAL


class EventsError(ProblemsError):
    """An events file that cannot be used; ``problems`` lists each as ``line N: field: message``."""

    AFTER_COUNT = " (nothing was added)"


@dataclass(frozen=True)
class Event:
    """One dated control event for one regime."""

    date: dt.date
    regime: str
    action: str
    measure: str
    source: str
    until: dt.date | None = None
    url: str = ""
    note: str = ""
    checked: dt.date | None = None
    origin: str = "built-in"      # "built-in" or the file it came from

    def describe(self) -> str:
        until = f" until {self.until:%d %b %Y}" if self.until else ""
        return f"{self.action} {self.date:%d %b %Y}{until}: {self.measure} ({self.source})"


@dataclass(frozen=True)
class Status:
    """A regime's status on ``as_of`` and the dates that decide it."""

    regime: str
    status: str
    as_of: dt.date
    effective_from: dt.date | None = None     # first ``imposed`` date (the legal effective date)
    effective_to: dt.date | None = None       # lifted or scheduled end, if any
    suspended_until: dt.date | None = None    # when suspended: the suspension's scheduled end
    in_force_from: dt.date | None = None      # first date on/after as_of it is in force (per the timeline)
    basis: tuple[str, ...] = ()               # the events that decide it

    @property
    def in_force(self) -> bool:
        return self.status == IN_FORCE

    def to_dict(self) -> dict[str, Any]:
        def iso(d: dt.date | None) -> str | None:
            return d.isoformat() if d else None
        return {"status": self.status, "as_of": self.as_of.isoformat(),
                "effective_from": iso(self.effective_from), "effective_to": iso(self.effective_to),
                "suspended_until": iso(self.suspended_until), "in_force_from": iso(self.in_force_from),
                "status_basis": list(self.basis)}


# ----------------------------------------------------------------------------------- reading
def _date(v: Any, field_name: str, errs: list[str], at: str) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    text = str(v).strip() if v is not None else ""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errs.append(f"{at}{field_name}: {show(text)} is not a date (YYYY-MM-DD)")
        return None


def _event(row: Mapping[str, Any], at: str, known: Collection[str] | None, origin: str,
           errs: list[str]) -> Event | None:
    """One event from a row (CSV line or YAML item); problems go to ``errs`` prefixed with ``at``."""
    n0 = len(errs)
    for k in row:
        if k not in COLUMNS:
            close = difflib.get_close_matches(str(k), COLUMNS, n=1, cutoff=0.5)
            hint = f" — did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(COLUMNS)})"
            errs.append(f"{at}{show(k)[1:-1] if isinstance(k, str) else show(k)}: unknown column{hint}")
    vals = {k: row.get(k) for k in COLUMNS}
    for k in REQUIRED:
        v = vals[k]
        if v is None or (isinstance(v, str) and not v.strip()):
            errs.append(f"{at}{k}: required")
    for k in ("regime", "action", "measure", "source", "url", "note"):
        if vals[k] is not None and not isinstance(vals[k], str):
            errs.append(f"{at}{k}: {show(vals[k])} must be text")
            vals[k] = None
    date = _date(vals["date"], "date", errs, at) if vals["date"] not in (None, "") else None
    until = _date(vals["until"], "until", errs, at) if vals["until"] not in (None, "") else None
    checked = _date(vals["checked"], "checked", errs, at) if vals["checked"] not in (None, "") else None
    action = (vals["action"] or "").strip().lower()
    if action and action not in ACTIONS:
        errs.append(f"{at}action: {show(vals['action'])} is not one of {', '.join(ACTIONS)}")
    regime = (vals["regime"] or "").strip()
    if regime and known is not None and regime not in known:
        close = difflib.get_close_matches(regime, list(known), 1, 0.5)
        hint = f" — did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        errs.append(f"{at}regime: {show(regime)} is not a regime in the library{hint}")
    if until is not None and date is not None and until <= date:
        errs.append(f"{at}until: {until} must be after date ({date})")
    if until is not None and action == "lifted":
        errs.append(f"{at}until: a 'lifted' event has no end date (leave until empty)")
    if len(errs) > n0 or date is None:
        return None
    return Event(date, regime, action, str(vals["measure"]).strip(), str(vals["source"]).strip(), until,
                 (vals["url"] or "").strip(), (vals["note"] or "").strip(), checked, origin)


def _rows_csv(text: str) -> Iterable[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise EventsError([f"line 1: empty file; the header must name the columns {', '.join(REQUIRED)}"])
    names = [h.strip().lower() for h in header]
    missing = [k for k in REQUIRED if k not in names]
    if missing:
        raise EventsError([f"line 1: header: missing column(s) {', '.join(missing)} "
                           f"(columns: {', '.join(REQUIRED)}, optional {', '.join(OPTIONAL)})"])
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield f"line {line}: ", {"__cells__": f"has {len(cells)} fields, the header {len(names)}"}
            continue
        yield f"line {line}: ", {k: (v if v.strip() else None) for k, v in zip(names, cells)}


def _rows_yaml(text: str) -> Iterable[tuple[str, Any]]:
    data = load_yaml(text, max_bytes=MAX_EVENTS_BYTES)
    items = data.get("events") if isinstance(data, dict) and set(data) == {"events"} else data
    if not isinstance(items, list):
        raise EventsError(["the file must be a list of events (or {events: [...]}) with the fields "
                           + ", ".join(REQUIRED)])
    node = yaml.compose(text, Loader=yaml.SafeLoader)   # already checked by load_yaml: only for line numbers
    if isinstance(node, yaml.MappingNode):
        node = node.value[0][1]
    lines = [n.start_mark.line + 1 for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    for i, item in enumerate(items):
        at = f"line {lines[i]}: " if i < len(lines) else f"events[{i}]: "
        yield at, item


def parse_events(text: str, *, kind: str = "csv", known: Collection[str] | None = None,
                 where: str | None = None) -> tuple[Event, ...]:
    """Events from CSV or YAML text; every problem is collected into one ``EventsError`` (naming the
    file, the line and the field) and no event is returned unless all are valid."""
    errs: list[str] = []
    out: list[Event] = []
    origin = where or "uploaded events"
    try:
        rows = list(_rows_yaml(text) if kind == "yaml" else _rows_csv(text))
    except EventsError as e:
        raise EventsError(e.problems, where) from None
    except InputError as e:
        raise EventsError([f"refused: {e}"], where) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise EventsError([f"invalid YAML: {at}{getattr(e, 'problem', None) or show(str(e), 200)}"], where) from None
    if len(rows) > MAX_EVENTS:
        raise EventsError([f"{len(rows):,} events; the limit is {MAX_EVENTS:,}"], where)
    if not rows:
        raise EventsError(["no events in the file"], where)
    for at, row in rows:
        if not isinstance(row, Mapping):
            errs.append(f"{at}must be a mapping of {', '.join(REQUIRED)}")
            continue
        if "__cells__" in row:
            errs.append(f"{at}{row['__cells__']}")
            continue
        ev = _event({str(k).strip().lower() if isinstance(k, str) else k: v for k, v in row.items()},
                    at, known, origin, errs)
        if ev is not None:
            out.append(ev)
    if errs:
        raise EventsError(errs, where)
    return tuple(out)


def load_events_bytes(data: bytes, name: str, known: Collection[str] | None = None) -> tuple[Event, ...]:
    """Events from the bytes of a file (an upload): ``.csv`` or ``.yml``/``.yaml`` by name."""
    if len(data) > MAX_EVENTS_BYTES:
        raise EventsError([f"larger than the {MAX_EVENTS_BYTES >> 20} MB limit for an events file"], name)
    try:
        text = decode_text(data)
    except InputError as e:
        raise EventsError([str(e)], name) from None
    kind = "yaml" if name.lower().endswith((".yml", ".yaml")) else "csv"
    return parse_events(text, kind=kind, known=known, where=name)


def load_events(path: str | Path, known: Collection[str] | None = None) -> tuple[Event, ...]:
    """Events from a CSV or YAML file (see ``parse_events``)."""
    path = Path(path)
    try:
        data = read_capped(path, MAX_EVENTS_BYTES)
    except InputError as e:
        raise EventsError([str(e)], str(path)) from None
    return load_events_bytes(data, str(path), known)


# ----------------------------------------------------------------------------------- timeline
@dataclass(frozen=True)
class Timeline:
    """Dated events by regime; ``status(regime_id, as_of)`` says what a regime is on a date."""

    events: tuple[Event, ...] = ()
    by_regime: dict[str, tuple[Event, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.events, key=lambda e: (e.date, ACTIONS.index(e.action))))
        object.__setattr__(self, "events", ordered)
        groups: dict[str, list[Event]] = {}
        for e in ordered:
            groups.setdefault(e.regime, []).append(e)
        object.__setattr__(self, "by_regime", {k: tuple(v) for k, v in groups.items()})

    def merged(self, extra: Iterable[Event]) -> Timeline:
        """This timeline with ``extra`` events added (already validated: all or nothing)."""
        return Timeline(self.events + tuple(extra))

    @property
    def last_updated(self) -> dt.date | None:
        """When the built-in events' sources were last checked."""
        days = [e.checked for e in self.events if e.origin == "built-in" and e.checked]
        return max(days) if days else None

    @property
    def last_event(self) -> dt.date | None:
        """The latest dated event (a scheduled end, ``until``, is not an event)."""
        return max((e.date for e in self.events), default=None)

    @property
    def user_events(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.origin != "built-in")

    def caveat(self, as_of: dt.date | None = None) -> str:
        """What the timeline knows: when it was last updated and that later events are not in it."""
        upd = f"{self.last_updated:%d %b %Y}" if self.last_updated else "unknown"
        last = f"{self.last_event:%d %b %Y}" if self.last_event else "none"
        text = (f"Control timeline last updated {upd}; its latest event is dated {last}. Later measures are not "
                "in it: statuses after that follow the timeline's own scheduled dates (such as the end of a "
                "suspension), not news. Add later events with an events file.")
        if self.user_events:
            text += f" Includes {len(self.user_events)} event(s) you added."
        if as_of and self.last_event and as_of > self.last_event:
            text = f"Statuses on {as_of:%d %b %Y}: " + text[0].lower() + text[1:]
        return text

    # -------------------------------------------------------------------- status on a date
    def status(self, regime_id: str, as_of: dt.date) -> Status:
        evs = self.by_regime.get(regime_id, ())
        if not evs:
            return Status(regime_id, SCENARIO, as_of, basis=("no dated event in the control timeline names "
                                                             "this regime: a scenario",))
        imposed = [e for e in evs if e.action == "imposed"]
        ends = [e.until for e in imposed if e.until] + [e.date for e in evs if e.action == "lifted"
                                                      and (not imposed or e.date > imposed[-1].date)]
        state = self._status_only(regime_id, as_of)
        past = [e for e in evs if e.date <= as_of]
        until = None
        if state == NOT_YET:
            basis = [e.describe() for e in imposed][:1] or [e.describe() for e in evs][:1]
        elif state == HISTORICAL:
            basis = [[e for e in past if e.action == "lifted"][-1].describe()]
        elif state == EXPIRED:
            basis = [e.describe() for e in past if e.action == "imposed"][-1:]
        elif state == SUSPENDED:
            susp = [e for e in past if e.action == "suspended" and (e.until is None or as_of < e.until)][-1]
            basis, until = [susp.describe()], susp.until
        else:
            basis = [e.describe() for e in past if e.action == "imposed"]
            ended = [e for e in past if e.action == "suspended" and e.until and e.until <= as_of]
            basis += [f"suspension ended {e.until:%d %b %Y} per the timeline: {e.describe()}" for e in ended]
            latest = self.last_event
            if latest is not None and any(e.until is not None and e.until > latest for e in ended):
                state = SCHEDULED   # nothing after the latest event says the suspension really ended
                basis.append(f"the timeline's latest event is dated {latest:%d %b %Y}: whether the suspension "
                             "ended as scheduled or was extended is not in it")
        return Status(regime_id, state, as_of, imposed[0].date if imposed else None, min(ends) if ends else None,
                      until, self.in_force_from(regime_id, as_of), tuple(basis))

    def in_force_from(self, regime_id: str, on_or_after: dt.date) -> dt.date | None:
        """The first date on or after ``on_or_after`` on which the regime is in force per the timeline
        (``None``: a scenario, or never in force again)."""
        evs = self.by_regime.get(regime_id, ())
        if not evs:
            return None
        candidates = sorted({on_or_after} | {d for e in evs for d in (e.date, e.until) if d and d > on_or_after})
        for day in candidates:
            if self._status_only(regime_id, day) == IN_FORCE:
                return day
        return None

    def _status_only(self, regime_id: str, day: dt.date) -> str:
        evs = [e for e in self.by_regime.get(regime_id, ()) if e.date <= day]
        imposed = [e for e in evs if e.action == "imposed"]
        if not imposed:
            return NOT_YET
        if any(e.action == "lifted" and e.date >= imposed[-1].date for e in evs):
            return HISTORICAL
        if all(e.until and e.until <= day for e in imposed):
            return EXPIRED
        if any(e.action == "suspended" and (e.until is None or day < e.until) for e in evs):
            return SUSPENDED
        return IN_FORCE


def load_timeline(path: str | Path = TIMELINE_FILE, known: Collection[str] | None = None) -> Timeline:
    """The built-in timeline (validated like a user's events file)."""
    evs = load_events(path, known)
    return Timeline(tuple(dataclasses.replace(e, origin="built-in") for e in evs))


# ----------------------------------------------------------------------- the library on a date
def statuses(library: Mapping[str, Regime], as_of: dt.date, timeline: Timeline) -> dict[str, Status]:
    """Every regime's status on ``as_of`` (library order)."""
    return {rid: timeline.status(rid, as_of) for rid in library}


def in_force_ids(stat: Mapping[str, Status]) -> list[str]:
    return [rid for rid, s in stat.items() if s.in_force]


def default_ids(library: Mapping[str, Regime], stat: Mapping[str, Status]) -> list[str]:
    """What pages and packs choose by default: the regimes in force on the as-of date, plus the
    no-controls reference for comparison. Falls back to the ``default`` flag when nothing is in force."""
    chosen = [rid for rid in library if stat[rid].in_force]
    if not chosen:
        chosen = [rid for rid, r in library.items() if r.has("default")]
    return chosen + [rid for rid, r in library.items() if r.has("reference") and rid not in chosen]


def label(regime: Regime, status: Status | None) -> Regime:
    """The regime with its status in its name ("Scenario: Escalation (...)"), unless in force."""
    if status is None or status.in_force:
        return regime
    prefix = PREFIX[status.status]
    if regime.name.startswith(prefix):
        return regime
    return dataclasses.replace(regime, name=prefix + regime.name)


def label_name(name: str, status: Status | None) -> str:
    if status is None or status.in_force or name.startswith(PREFIX[status.status]):
        return name
    return PREFIX[status.status] + name


def sim_start(regime_id: str, start: dt.date, timeline: Timeline) -> dt.date:
    """Month 0 of a regime's simulation: ``start``, or the first date after it on which the regime is
    in force (never before the regime existed). Scenarios, and regimes never in force again, start at
    ``start``."""
    return timeline.in_force_from(regime_id, start) or start


def sim_starts(regs: Sequence[Regime], start: dt.date, timeline: Timeline) -> dict[str, dt.date]:
    return {r.id: sim_start(r.id, start, timeline) for r in regs}


def summary(regime: Regime, status: Status, sim_from: dt.date | None = None) -> dict[str, Any]:
    """One regime's status for the CLI's JSON: id, name, status, effective dates, flags."""
    d = {"id": regime.id, "name": label_name(regime.name, status), **status.to_dict(),
         "flags": sorted(regime.flags)}
    if sim_from is not None:
        d["simulation_start"] = sim_from.isoformat()
    return d
