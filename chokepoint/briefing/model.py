"""A briefing pack as data: slides (title, key findings, one per chart, methods and sources),
the choices a pack is made from (regimes, materials, countries) and the notes on every slide.

Pure data: charts are :class:`~chokepoint.views.spec.ChartSpec` objects, key numbers are
:class:`~chokepoint.views.spec.Finding` objects, both built by ``chokepoint.views``; the files are
written by ``briefing.pptx`` and ``briefing.pdf``.
"""
from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from .. import catalog, constants, exposure
from .. import regimes as regimes_mod
from ..views import regime_dates
from ..views.regime_dates import RegimeDates
from ..views.spec import ChartSpec, Finding

MAGNETS = constants.MAGNETS
Runner = Callable[..., pd.DataFrame]


class BriefingInputError(ValueError):
    """A choice that cannot make a pack (unknown regime, country or material); one line."""


@dataclass(frozen=True)
class Slide:
    kind: Literal["title", "findings", "chart", "methods"]
    title: str
    subtitle: str = ""
    source: str = ""
    notes: str = ""
    chart: ChartSpec | None = None
    findings: tuple[Finding, ...] = ()
    lines: tuple[str, ...] = ()          # title slide: scope lines; methods: methods paragraphs
    datasets: tuple[str, ...] = ()       # methods: one line per dataset


@dataclass(frozen=True)
class Briefing:
    subject: str                          # "India (IND)" or the company snapshot's name
    stem: str                             # for file names: "brief-ind", "brief-acme"
    slides: tuple[Slide, ...]
    made: dt.date = field(default_factory=dt.date.today)

    @property
    def title(self) -> str:
        return self.slides[0].title

    @property
    def findings(self) -> tuple[Finding, ...]:
        return next((s.findings for s in self.slides if s.kind == "findings"), ())

    @property
    def charts(self) -> list[ChartSpec]:
        return [s.chart for s in self.slides if s.chart is not None]

    def outline(self) -> list[tuple[str, str]]:
        """(kind, title) per slide: the preview list on the Briefing page."""
        return [(s.kind, s.title) for s in self.slides]


# ------------------------------------------------------------------ choices
def resolve_regimes(ids: Sequence[str] | str | None,
                    library: Mapping[str, regimes_mod.Regime] | None = None, *,
                    dates: RegimeDates | None = None) -> list[regimes_mod.Regime]:
    """Regimes by id ("a,b" or a list; None/empty = the regimes in force on the as-of date of
    ``dates``, default today), each named with its status on that date ("Scenario: ...",
    "Suspended: ..."); an unknown id is an error naming the closest id and the known ones."""
    library = dict(library) if library is not None else regimes_mod.load_library()
    dates = dates or regime_dates.on()
    if isinstance(ids, str):
        ids = [i for i in (x.strip() for x in ids.split(",")) if i]
    ids = list(ids or dates.defaults(library, reference=False))
    out = []
    for rid in ids:
        if rid not in library:
            close = difflib.get_close_matches(rid, list(library), 1, 0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise BriefingInputError(f"unknown regime {rid!r}{hint} (known: {', '.join(library)})")
        if library[rid] not in out:
            out.append(library[rid])
    if not out:
        raise BriefingInputError("choose at least one regime")
    return dates.labelled(out)


def traded_materials(run: Runner) -> list[str]:
    """Materials with bilateral trade data, magnets first (the default selection)."""
    cov = run("exposure_trade_coverage")
    ids = list(dict.fromkeys(cov["material_id"]))
    return sorted(ids, key=lambda m: (m != MAGNETS, m))


def resolve_materials(materials: Sequence[str] | str | None, run: Runner) -> list[str]:
    have = traded_materials(run)
    if isinstance(materials, str):
        materials = [m.strip() for m in materials.split(",") if m.strip()]
    if not materials:
        return have
    out = []
    for text in materials:
        try:
            mid, _ = exposure.resolve_material(text)
        except catalog.CatalogError as e:
            raise BriefingInputError(str(e)) from None
        if mid not in have:
            names = ", ".join(f"{m} ({catalog.materials()[m].name})" for m in have)
            raise BriefingInputError(f"no bilateral trade data for {mid!r} in this dataset; it has {names}")
        out.append(mid)
    return list(dict.fromkeys(out))


def countries(material_id: str, run: Runner, basis: str = "value") -> list[str]:
    """Importers of a material in its latest trade year (ISO3, by name): who a pack can be about."""
    cov = run("exposure_trade_coverage")
    hs6 = list(catalog.materials()[material_id].hs6)
    year = int(cov.loc[cov["hs6"].isin(hs6), "year"].max())
    imp = run("exposure_china_share_by_importer", hs6_list=hs6, year=year, basis=basis)["importer"]
    return sorted((c for c in imp if c not in constants.NOT_HOLDERS), key=catalog.country_name)


# ------------------------------------------------------------------ notes and sources
def dataset_line(prov: Mapping[str, dict], table: str) -> str:
    p = prov.get(table)
    if not p:
        return table
    return (f"{p['title']} — {p['producer']}; licence: {p['licence']}; accessed {p['accessed']} "
            f"(table {table})")


def dataset_short(prov: Mapping[str, dict], tables: Sequence[str]) -> str:
    return "; ".join(f"{prov[t]['title']} ({prov[t]['producer']})" if t in prov else t for t in tables)


def plain(text: str) -> str:
    """Spec text on one line (a slide's subtitle)."""
    return " ".join(text.split("\n")).strip()


def _notes_text(spec: ChartSpec, prov: Mapping[str, dict]) -> str:
    parts = [f"Finding: {spec.title}", f"Scope: {plain(spec.subtitle)}"]
    parts += [f"Assumption: {n}" for n in spec.notes]
    parts.append(f"Source line: {spec.source}")
    parts += [f"Data: {dataset_line(prov, t)}" for t in spec.tables]
    for t in spec.tables:
        parts += [f"Caveat ({t}): {c}" for c in prov.get(t, {}).get("caveats", [])]
    return "\n".join(parts)


def _chart_slide(spec: ChartSpec, prov: Mapping[str, dict], made: dt.date) -> Slide:
    return Slide("chart", spec.title, plain(spec.subtitle), f"Source: {spec.source} · Chokepoint, {made.isoformat()}",
                 _notes_text(spec, prov), chart=spec)


METHODS = (
    "Shares are of import value (or quantity) by the last shipping country, from CEPII BACI, over every "
    "supplier recorded; charts name the largest and draw the others together as 'all other suppliers'. "
    "2022 flows give value only, so the change between years is by value.",
    "Look-through: indirect = Σ over non-Chinese suppliers of (supplier's share) × (its own dependence on "
    "China for the upstream input); one level deep. Each supplier's dependence uses the best evidence in the "
    "data (its own imports of the input, a published figure, domestic production, China's world share as the "
    "last resort); totals carry the range the evidence allows (fallback suppliers at 0 to the world share); "
    "rows resting on China's world production share are marked thin.",
    "Months of cover: stock S0, monthly use U, supply lines s_e; each month the shortfall U − inflow is drawn "
    "from stock; cover is the fractional month the stock reaches 0, or 'not exhausted' within the horizon.",
    "Regimes cut China's monthly supply to the targets: nothing during the licence delay, then the approval "
    "rate of normal flow; rules stack multiplicatively. Parameters are in each chart's speaker notes.",
    "Figures labelled estimate (USGS/IEA production, derived consumption) are estimates, not measurements.",
)


def _methods_slide(specs: Sequence[ChartSpec], prov: Mapping[str, dict], extra: Sequence[str],
                   regimes: Sequence[regimes_mod.Regime]) -> Slide:
    tables = list(dict.fromkeys(t for s in specs for t in s.tables))
    ds = [dataset_line(prov, t) for t in tables]
    ds.append("Chokepoint regime library (data/regimes): " + "; ".join(r.name for r in regimes)
              + " — each regime file lists its sources and calibration (in the speaker notes)")
    return Slide("methods", "Methods and sources",
                 "Every dataset behind the charts, and how the numbers were computed",
                 lines=tuple(METHODS) + tuple(extra), datasets=tuple(ds),
                 notes="Datasets:\n" + "\n".join(ds) + "\n\nMethods:\n" + "\n".join(METHODS + tuple(extra)))


@dataclass(frozen=True)
class Story:
    """What a pack says before it is laid out: subject, title block, scope, findings, charts."""

    subject: str
    stem: str
    title: str
    subtitle: str
    scope: list[str]
    findings: list[Finding]
    findings_subtitle: str
    specs: list[ChartSpec]
    extra_methods: Sequence[str] = ()


def assemble(story: Story, prov: Mapping[str, dict], regimes: Sequence[regimes_mod.Regime]) -> Briefing:
    """Lay a story out as slides: title, key findings, one slide per chart, methods and sources."""
    made = dt.date.today()
    findings = story.findings
    slides = [Slide("title", story.title, story.subtitle, lines=tuple(story.scope),
                    notes="Prepared with Chokepoint on " + made.isoformat() + ". " + " ".join(story.scope)),
              Slide("findings", "Key findings", story.findings_subtitle, findings=tuple(findings),
                    notes="\n".join(f"{f.value}: {f.label} (Source: {f.source})" for f in findings))]
    slides += [_chart_slide(s, prov, made) for s in story.specs]
    slides.append(_methods_slide(story.specs, prov, story.extra_methods, regimes))
    return Briefing(story.subject, story.stem, tuple(slides), made)
