"""Control regimes: the YAML schema (see docs/ARCHITECTURE.md), the named library, pass fractions.

A regime is a named list of rules; a rule cuts the monthly supply of some materials from one
controlling country to some destinations. Pure: no Streamlit, no DuckDB.

Month convention (used by ``pass_fraction`` and the cover engine)
-----------------------------------------------------------------
The simulation runs over months t = 1..H; month t is the interval (t-1, t] after the simulation
start. A rule with ``start_month`` s, ``delay_months`` d, ``approval_rate`` a and ``end_month`` e
(``None`` = never lifts) is *active* in months s < t <= e. Within the active months,
months s+1 .. s+d deliver nothing (licence review) and later months deliver a share a of the
normal flow. Outside the active months the rule passes everything (1). So ``start_month: 0,
delay_months: 1`` cuts month 1 to 0 and months 2+ to a (the worked example in docs/ARCHITECTURE.md), and
``end_month: 6`` means months 1..6 are controlled and month 7 is back to normal.

Rules stack multiplicatively: a line hit by two rules passes the product of their fractions.
A rule applies to a line when the line's origin is the controller, the material is in the rule's
expanded materials, and the destination is a target (a destination equal to the controller is
never a target: export controls do not touch domestic supply; an unknown destination ``None`` is
treated as a country named in no list, so it is hit by ``all`` and ``{except: [...]}`` rules but
not by ``[USA, ...]`` rules). An ``extraterritorial`` rule also cuts lines from third countries e
(e != controller, e != destination) in proportion to e's dependence on the controller for the
material: pass = 1 - dep_e * (1 - pass_rule(t)).
"""
from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from chokepoint import catalog
from chokepoint.labels import human_problem
from chokepoint.safe_input import InputError, decode_text, load_yaml, read_capped, show

ROOT = catalog.ROOT
LIBRARY_DIR = ROOT / "data" / "regimes"
DEFAULT_HORIZON = 36
MAX_HORIZON = 600
MAX_FILE_BYTES = 1 << 20  # a regime file is a few KB; the cap is applied while reading
MAX_PROBLEMS = 20         # problems listed per file; the rest are counted
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: "abc\n" is not an id

REGIME_KEYS = ("id", "name", "horizon_months", "description", "sources", "calibration", "flags", "rules")
RULE_KEYS = ("controller", "materials", "targets", "approval_rate", "delay_months", "start_month",
             "end_month", "extraterritorial", "note")
SOURCE_KEYS = ("title", "url", "note")
NOT_COUNTRIES = ("ROW", "WLD")  # trade-data areas that cannot control or be targeted
#: What a regime's ``flags:`` may say, and what each one makes the app do with it.
FLAGS = {
    "default": "chosen by default on pages and in briefing packs",
    "reference": "the no-controls reference: drawn grey and dotted, the editor's default comparison",
    "retargetable": "its single target list can be swapped for another country (--target, the target picker)",
}


class ProblemsError(ValueError):
    """A user file with one or more problems: one line for one problem, else a count line (plus
    ``AFTER_COUNT``) and one line per problem, at most ``MAX_PROBLEMS`` listed."""

    AFTER_COUNT = ""

    def __init__(self, problems: Sequence[str], where: str | None = None):
        self.problems = list(problems)
        if len(self.problems) > MAX_PROBLEMS:
            self.problems = self.problems[:MAX_PROBLEMS] + [f"... and {len(self.problems) - MAX_PROBLEMS} more problem(s)"]
        self.where = where
        head = f"{where}: " if where else ""
        if len(self.problems) == 1:
            msg = head + self.problems[0]
        else:
            msg = f"{head}{len(self.problems)} problems{self.AFTER_COUNT}:\n" + "\n".join(
                f"  - {p}" for p in self.problems)
        super().__init__(msg)


class RegimeError(ProblemsError):
    """A regime that cannot be used. ``problems`` lists every problem in words: 'Rule 2: controller —
    unknown country ...' (``labels.human_problem``), 'id: ...' for a top-level field."""

    def __init__(self, problems: Sequence[str], where: str | None = None):
        super().__init__([human_problem(p) for p in problems], where)


# ------------------------------------------------------------------------------------ model
@dataclass(frozen=True)
class Targets:
    """Destinations a rule applies to: ``all``, ``only`` the listed ISO3s, or all ``except`` them."""

    mode: Literal["all", "only", "except"] = "all"
    countries: tuple[str, ...] = ()

    def includes(self, iso3: str | None) -> bool:
        """True if ``iso3`` is a target (``None`` = unknown destination, in no list)."""
        if self.mode == "all":
            return True
        listed = iso3 is not None and iso3 in self.countries
        return listed if self.mode == "only" else not listed

    def to_yaml(self) -> str | list[str] | dict[str, list[str]]:
        if self.mode == "all":
            return "all"
        if self.mode == "only":
            return list(self.countries)
        return {"except": list(self.countries)}


@dataclass(frozen=True)
class Rule:
    """One control rule. ``materials`` keeps the selectors as written; ``material_ids`` is their
    expansion through ``catalog.expand_selector`` (computed, not passed)."""

    controller: str
    materials: tuple[str, ...]
    approval_rate: float
    targets: Targets = Targets()
    delay_months: int = 0
    start_month: int = 0
    end_month: int | None = None
    extraterritorial: bool = False
    note: str = ""
    material_ids: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        problems = _rule_value_problems(self, "rule")
        ids: set[str] = set()
        for i, m in enumerate(self.materials):
            try:
                ids |= catalog.expand_selector(m)
            except catalog.CatalogError as e:
                problems.append(f"rule.materials[{i}]: {e}")
        if problems:
            raise RegimeError(problems)
        object.__setattr__(self, "material_ids", frozenset(ids))

    def applies_to(self, destination: str | None) -> bool:
        """True if this rule restricts exports to ``destination``."""
        return destination != self.controller and self.targets.includes(destination)


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Regime:
    """A named control regime."""

    id: str
    name: str
    rules: tuple[Rule, ...] = ()
    horizon_months: int = DEFAULT_HORIZON
    description: str = ""
    sources: tuple[Source, ...] = ()
    calibration: str = ""
    flags: frozenset[str] = frozenset()

    @property
    def short_name(self) -> str:
        """The name without its bracketed qualifier ("April 2025 licensing")."""
        return catalog.short_name(self.name)

    def has(self, flag: str) -> bool:
        """True when the regime's YAML lists ``flag`` under ``flags:`` (see ``FLAGS``)."""
        return flag in self.flags

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "flags", frozenset(self.flags))
        problems = []
        if not isinstance(self.id, str) or not ID_RE.fullmatch(self.id):
            problems.append(f"id: {show(self.id)} must be lowercase letters, digits and hyphens")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append("name: must be a non-empty string")
        if _bad_int(self.horizon_months, 1, MAX_HORIZON):
            problems.append(f"horizon_months: {show(self.horizon_months)} must be a whole number of months 1–{MAX_HORIZON}")
        if problems:
            raise RegimeError(problems)


def _bad_int(v: Any, lo: int, hi: float = float("inf")) -> bool:
    return isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi


def _rule_value_problems(r: Rule, path: str) -> list[str]:
    """Range checks shared by direct construction and parsing (values already typed)."""
    p = []
    if isinstance(r.approval_rate, bool) or not isinstance(r.approval_rate, (int, float)) \
            or not 0.0 <= r.approval_rate <= 1.0:
        p.append(f"{path}.approval_rate: {show(r.approval_rate)} is outside 0–1")
    if _bad_int(r.delay_months, 0):
        p.append(f"{path}.delay_months: {show(r.delay_months)} must be a whole number of months >= 0")
    if _bad_int(r.start_month, 0):
        p.append(f"{path}.start_month: {show(r.start_month)} must be a whole number of months >= 0")
    if r.end_month is not None and (_bad_int(r.end_month, 1) or
                                    (not _bad_int(r.start_month, 0) and r.end_month <= r.start_month)):
        p.append(f"{path}.end_month: {show(r.end_month)} must be null or a whole month after start_month ({r.start_month})")
    if not isinstance(r.extraterritorial, bool):
        p.append(f"{path}.extraterritorial: {show(r.extraterritorial)} must be true or false")
    if not r.materials:
        p.append(f"{path}.materials: at least one material is required")
    if not isinstance(r.controller, str) or not catalog.is_iso3(r.controller) or r.controller in NOT_COUNTRIES:
        p.append(f"{path}.controller: {show(r.controller)} is not an ISO3 country code")
    return p


# ------------------------------------------------------------------------------ parsing
def _unknown_keys(d: Mapping, allowed: Sequence[str], path: str, errs: list[str]) -> None:
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.5)
            hint = f" — did you mean {show(close[0])}?" if close else f" (allowed: {', '.join(allowed)})"
            errs.append(f"{path}{k if isinstance(k, str) and len(k) <= 80 else show(k)}: unknown key{hint}")


def _int(v: Any, path: str, lo: int, errs: list[str]) -> int | None:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if _bad_int(v, lo):
        errs.append(f"{path}: {show(v)} must be a whole number of months >= {lo}")
        return None
    return int(v)


def _country(text: Any, path: str, errs: list[str]) -> list[str]:
    """ISO3 codes for one country text (``EU``/``EUN`` expands to the EU27)."""
    if not isinstance(text, str):
        errs.append(f"{path}: {show(text)} is not a country name or code")
        return []
    try:
        iso3 = catalog.country_iso3(text)
    except catalog.CatalogError as e:
        errs.append(f"{path}: {e}")
        return []
    if iso3 == "EUN":
        return list(catalog.EU27)
    if iso3 in NOT_COUNTRIES:
        errs.append(f"{path}: {show(text)} is not a country")
        return []
    return [iso3]


def _targets(v: Any, path: str, errs: list[str]) -> Targets:
    if isinstance(v, str) and v.strip().lower() == "all":
        return Targets("all")
    mode: Literal["only", "except"] = "only"
    items = v
    if isinstance(v, Mapping):
        _unknown_keys(v, ("except",), path + ".", errs)
        if "except" not in v:
            errs.append(f"{path}: a mapping must be {{except: [ISO3, ...]}}")
            return Targets("all")
        mode, items = "except", v["except"]
        if items is None:
            items = []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        errs.append(f"{path}: {show(v)} must be 'all', a list of countries or {{except: [...]}}")
        return Targets("all")
    if mode == "only" and not items:
        errs.append(f"{path}: empty target list (use 'all' for every destination)")
    codes: list[str] = []
    for i, c in enumerate(items):
        where = f"{path}.except[{i}]" if mode == "except" else f"{path}[{i}]" if isinstance(v, list) else path
        for iso3 in _country(c, where, errs):
            if iso3 not in codes:
                codes.append(iso3)
    return Targets(mode, tuple(codes))


def _parse_rule(d: Any, path: str, errs: list[str]) -> Rule | None:
    """One rule, checked field by field in schema order; None (problems appended) when invalid."""
    if not isinstance(d, Mapping):
        errs.append(f"{path}: must be a mapping of rule fields")
        return None
    n0 = len(errs)
    _unknown_keys(d, RULE_KEYS, path + ".", errs)
    for k in ("controller", "materials", "approval_rate"):
        if k not in d:
            errs.append(f"{path}.{k}: required")
    controller = _controller(d, path, errs)
    mats = _rule_materials(d, path, errs)
    rate = d.get("approval_rate")
    if "approval_rate" in d:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            errs.append(f"{path}.approval_rate: {show(rate)} is not a number")
        elif not 0.0 <= rate <= 1.0:
            errs.append(f"{path}.approval_rate: {rate} is outside 0–1")
    delay, start, end = _rule_months(d, path, errs)
    et = d.get("extraterritorial", False)
    if not isinstance(et, bool):
        errs.append(f"{path}.extraterritorial: {show(et)} must be true or false")
    note = d.get("note", "")
    if not isinstance(note, str):
        errs.append(f"{path}.note: must be text")
    targets = _targets(d.get("targets", "all"), f"{path}.targets", errs)
    if len(errs) > n0:
        return None
    return Rule(controller=controller, materials=tuple(str(m) for m in mats), approval_rate=float(rate),
                targets=targets, delay_months=delay, start_month=start, end_month=end,
                extraterritorial=et, note=note.strip())


def _controller(d: Mapping, path: str, errs: list[str]) -> str | None:
    """A rule's ``controller``: exactly one country."""
    if "controller" not in d:
        return None
    got = _country(d["controller"], f"{path}.controller", errs)
    if len(got) > 1:
        errs.append(f"{path}.controller: must be one country")
    return got[0] if len(got) == 1 else None


def _rule_materials(d: Mapping, path: str, errs: list[str]) -> list:
    """A rule's ``materials``: a non-empty list of catalogue selectors (one text is a list of one)."""
    mats = d.get("materials", [])
    if isinstance(mats, str):
        mats = [mats]
    if not isinstance(mats, list) or ("materials" in d and not mats):
        errs.append(f"{path}.materials: must be a non-empty list of material ids or group names")
        mats = []
    for i, m in enumerate(mats):
        try:
            catalog.expand_selector(str(m))
        except catalog.CatalogError as e:
            errs.append(f"{path}.materials[{i}]: {e}")
    return mats


def _rule_months(d: Mapping, path: str, errs: list[str]) -> tuple[int | None, int | None, int | None]:
    """A rule's (delay_months, start_month, end_month); end_month must come after start_month."""
    delay = _int(d.get("delay_months", 0), f"{path}.delay_months", 0, errs)
    start = _int(d.get("start_month", 0), f"{path}.start_month", 0, errs)
    end = d.get("end_month")
    if end is not None:
        end = _int(end, f"{path}.end_month", 1, errs)
        if end is not None and start is not None and end <= start:
            errs.append(f"{path}.end_month: {end} must be after start_month ({start})")
    return delay, start, end


def _flags(v: Any, errs: list[str]) -> frozenset[str]:
    """``flags:`` is a list of names from ``FLAGS``; anything else is a problem naming the known ones."""
    if not isinstance(v, list) or not all(isinstance(f, str) for f in v):
        errs.append(f"flags: must be a list of names ({', '.join(FLAGS)})")
        return frozenset()
    for f in v:
        if f not in FLAGS:
            errs.append(f"flags: unknown flag {f!r} (known: {', '.join(FLAGS)})")
    return frozenset(f for f in v if f in FLAGS)


def parse_regime(d: Any, where: str | None = None) -> Regime:
    """Validate a mapping (parsed YAML) into a ``Regime``; ``RegimeError`` lists every problem."""
    if not isinstance(d, Mapping):
        raise RegimeError([f"regime must be a mapping of fields, got {type(d).__name__}"], where)
    errs: list[str] = []
    _unknown_keys(d, REGIME_KEYS, "", errs)
    rid, name, horizon = _regime_fields(d, errs)
    sources = _sources(d.get("sources") or [], errs)
    flags = _flags(d.get("flags") or [], errs)
    raw_rules = d.get("rules", [])
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        errs.append("rules: must be a list of rules (may be empty)")
        raw_rules = []
    rules = [_parse_rule(r, f"rules[{i}]", errs) for i, r in enumerate(raw_rules)]
    if errs:
        raise RegimeError(errs, where)
    return Regime(id=rid, name=name.strip(), rules=tuple(r for r in rules if r is not None),
                  horizon_months=int(horizon), description=str(d.get("description", "")).strip(),
                  sources=tuple(sources), calibration=str(d.get("calibration", "")).strip(), flags=flags)


def _regime_fields(d: Mapping, errs: list[str]) -> tuple[Any, Any, Any]:
    """(id, name, horizon_months) as written, after checking them and the two text fields."""
    for k in ("id", "name"):
        if k not in d:
            errs.append(f"{k}: required")
    rid, name = d.get("id"), d.get("name")
    if "id" in d and (not isinstance(rid, str) or not ID_RE.fullmatch(rid)):
        errs.append(f"id: {show(rid)} must be lowercase letters, digits and hyphens (e.g. 'apr-2025-licensing')")
    if "name" in d and (not isinstance(name, str) or not name.strip()):
        errs.append("name: must be a non-empty string")
    horizon = d.get("horizon_months", DEFAULT_HORIZON)
    if isinstance(horizon, float) and horizon.is_integer():
        horizon = int(horizon)
    if _bad_int(horizon, 1, MAX_HORIZON):
        errs.append(f"horizon_months: {show(horizon)} must be a whole number of months 1–{MAX_HORIZON}")
    for k in ("description", "calibration"):
        if not isinstance(d.get(k, ""), str):
            errs.append(f"{k}: must be text")
    return rid, name, horizon


def _sources(raw: Any, errs: list[str]) -> list[Source]:
    """``sources:``: a list of {title, url?, note?}."""
    if not isinstance(raw, list):
        errs.append("sources: must be a list of {title, url?, note?}")
        return []
    sources: list[Source] = []
    for i, s in enumerate(raw):
        p = f"sources[{i}]"
        if not isinstance(s, Mapping):
            errs.append(f"{p}: must be a mapping {{title, url?, note?}}")
            continue
        _unknown_keys(s, SOURCE_KEYS, p + ".", errs)
        if not isinstance(s.get("title"), str) or not s.get("title", "").strip():
            errs.append(f"{p}.title: required text")
        for k in ("url", "note"):
            if s.get(k) is not None and not isinstance(s[k], str):
                errs.append(f"{p}.{k}: must be text")
        sources.append(Source(str(s.get("title", "")), s.get("url"), s.get("note")))
    return sources


def load_regime(text_or_path: str | Path) -> Regime:
    """A regime from a YAML file (a ``Path``) or YAML text (a ``str``).

    A ``str`` is always text, never a path: an uploaded file whose content is one line such as
    ``/etc/app/secrets.yml`` must not make the server read that file. Files are read
    with the 1 MB cap applied while reading; YAML aliases, anchors, merge keys, duplicate keys and
    deep nesting are refused (``safe_input``), so no file can make the parser or a message explode.
    """
    if isinstance(text_or_path, Path):
        where = str(text_or_path)
        try:
            raw = read_capped(text_or_path, MAX_FILE_BYTES)
        except InputError as e:
            raise RegimeError([str(e)], where) from None
        return load_regime_bytes(raw, where)
    return _load_text(str(text_or_path), None)


def load_regime_bytes(data: bytes, where: str | None = None) -> Regime:
    """A regime from the bytes of a file (an upload): UTF-8 only, at most ``MAX_FILE_BYTES``."""
    if len(data) > MAX_FILE_BYTES:
        raise RegimeError([f"larger than the {MAX_FILE_BYTES >> 20} MB limit for a regime file"], where)
    try:
        text = decode_text(data)
    except InputError as e:
        raise RegimeError([str(e)], where) from None
    return _load_text(text, where)


def _load_text(text: str, where: str | None) -> Regime:
    try:
        data = load_yaml(text, max_bytes=MAX_FILE_BYTES)
    except InputError as e:
        raise RegimeError([f"refused: {e}"], where) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RegimeError([f"invalid YAML: {at}{getattr(e, 'problem', None) or show(str(e), 200)}"], where) from None
    try:
        return parse_regime(data, where)
    except (RecursionError, MemoryError) as e:
        raise RegimeError([f"refused: too large or too deeply nested ({type(e).__name__})"], where) from None


def load_library(directory: str | Path = LIBRARY_DIR) -> dict[str, Regime]:
    """Every ``*.yml``/``*.yaml`` regime in ``directory`` by id, in file-name order.

    Problems in all files are collected into one ``RegimeError``; a duplicate id is an error."""
    out: dict[str, Regime] = {}
    seen: dict[str, str] = {}
    problems: list[str] = []
    files = sorted(p for p in Path(directory).iterdir() if p.suffix in (".yml", ".yaml"))
    for path in files:
        try:
            r = load_regime(path)
        except RegimeError as e:
            problems += [f"{path.name}: {p}" for p in e.problems]
            continue
        if r.id in seen:
            problems.append(f"{path.name}: id: duplicate id {show(r.id)} (also in {seen[r.id]})")
            continue
        seen[r.id] = path.name
        out[r.id] = r
    if problems:
        raise RegimeError(problems, str(directory))
    return out


def flagged(library: Mapping[str, Regime], flag: str) -> list[str]:
    """Ids of the regimes whose YAML lists ``flag`` (library order): pages and packs ask the
    library which regimes are the defaults or the reference, never name them."""
    if flag not in FLAGS:
        raise ValueError(f"unknown regime flag {flag!r} (known: {', '.join(FLAGS)})")
    return [rid for rid, r in library.items() if r.has(flag)]


# ----------------------------------------------------------------------------- writing
def regime_to_dict(regime: Regime) -> dict[str, Any]:
    """Plain mapping in schema order; ``parse_regime(regime_to_dict(r)) == r``."""
    d: dict[str, Any] = {"id": regime.id, "name": regime.name, "horizon_months": regime.horizon_months}
    if regime.description:
        d["description"] = regime.description
    d["sources"] = [{k: v for k, v in dataclasses.asdict(s).items() if v is not None} for s in regime.sources]
    d["calibration"] = regime.calibration
    if regime.flags:
        d["flags"] = sorted(regime.flags)
    d["rules"] = []
    for r in regime.rules:
        rd: dict[str, Any] = {
            "controller": r.controller, "materials": list(r.materials), "targets": r.targets.to_yaml(),
            "approval_rate": r.approval_rate, "delay_months": r.delay_months,
            "start_month": r.start_month, "end_month": r.end_month,
            "extraterritorial": r.extraterritorial,
        }
        if r.note:
            rd["note"] = r.note
        d["rules"].append(rd)
    return d


class _Dumper(yaml.SafeDumper):
    pass


def _str_rep(dumper: yaml.SafeDumper, s: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None)


def _list_rep(dumper: yaml.SafeDumper, xs: list) -> yaml.Node:
    flow = all(isinstance(x, (str, int, float)) for x in xs)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", xs, flow_style=flow)


_Dumper.add_representer(str, _str_rep)
_Dumper.add_representer(list, _list_rep)


def regime_to_yaml(regime: Regime) -> str:
    """YAML text for a regime, in schema order; ``load_regime(regime_to_yaml(r)) == r``."""
    return yaml.dump(regime_to_dict(regime), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100, default_flow_style=False)


# ------------------------------------------------------------------------ transformations
def with_target(regime: Regime, iso3: str) -> Regime:
    """The regime retargeted at one country: every rule with a target list gets ``[iso3]``.

    Meant for ``ban-one-country``; the id gets the country code (``ban-one-country-deu``) and the
    old country's name in ``name`` is replaced by the new one."""
    iso3 = catalog.country_iso3(iso3)
    listed = [r for r in regime.rules if r.targets.mode == "only"]
    if not listed:
        raise RegimeError([f"with_target: regime {show(regime.id)} has no rule with a target list"])
    old = {c for r in listed for c in r.targets.countries}
    rules = tuple(dataclasses.replace(r, targets=Targets("only", (iso3,))) if r.targets.mode == "only" else r
                  for r in regime.rules)
    name = regime.name
    for c in old:
        name = name.replace(catalog.country_name(c), catalog.country_name(iso3))
    if name == regime.name and old != {iso3}:
        name = f"{regime.name} (target: {catalog.country_name(iso3)})"
    return dataclasses.replace(regime, id=f"{regime.id}-{iso3.lower()}", name=name, rules=rules)


def with_rule_params(regime: Regime, *, approval_rate: float | None = None,
                     delay_months: int | None = None) -> Regime:
    """The regime with every rule's approval rate and/or delay replaced (``None`` keeps it).
    Used for uncertainty bands (``cover.cover_band``)."""
    changes: dict[str, Any] = {}
    if approval_rate is not None:
        changes["approval_rate"] = float(approval_rate)
    if delay_months is not None:
        changes["delay_months"] = int(delay_months)
    return dataclasses.replace(regime, rules=tuple(dataclasses.replace(r, **changes) for r in regime.rules))


# What a regime lets through month by month lives in regime_pass (re-exported: regimes.lines_pass).
from .regime_pass import (  # noqa: E402,F401
    Lines,
    index_lines,
    line_exposure,
    line_pass_matrix,
    lines_pass,
    missing_dependence,
    pass_fraction,
    rule_hits,
)
