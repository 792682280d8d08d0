"""Briefing packs: which charts, the key findings, speaker notes, methods and sources.

A :class:`Briefing` is a list of :class:`Slide` objects: a title slide, a key-findings slide with
the three numbers that matter, one slide per chart and a methods-and-sources slide. It is pure
data (figures, frames and text); ``export.pack_pptx`` and ``export.pack_pdf`` turn it into files.

Every chart is a :class:`ChartSpec` (figure, the data behind it, its provenance tables and the
assumptions to state) -- the same four things a page hands to ``ui.chart``. A chart family plugs
into a pack by returning ChartSpecs; months-of-cover charts for a country come in through
:func:`country_cover_part` (the one plug-in point for ``chokepoint.scenarios``).

Numbers on slides come from the functions the pages call (``exposure.load``, ``exposure.profile``,
``cover.cover_table``) and are formatted with the same helpers (``charts.pct`` with the pages'
digits, ``charts.months_label``), so a deck never disagrees with the screen.

No Streamlit, no file I/O: queries run through an injectable ``run(name, **params)`` (as in
``exposure``) and provenance is passed in as the ``datasets.yml`` mapping.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from . import catalog, charts, constants, cover, exposure, regimes as regimes_mod

MAGNETS = constants.MAGNETS
Runner = Callable[..., pd.DataFrame]


class BriefingInputError(ValueError):
    """A choice that cannot make a pack (unknown regime, country or material); one line."""


# ------------------------------------------------------------------ the pack as data
@dataclass(frozen=True)
class ChartSpec:
    """One chart as pages and packs use it: ``ui.chart(fig, data, key=key, tables=tables)``."""

    key: str
    figure: go.Figure
    data: pd.DataFrame
    tables: tuple[str, ...]
    notes: tuple[str, ...] = ()      # assumptions, stated in the speaker notes

    @property
    def title(self) -> str:
        return charts.figure_text(self.figure)[0]


@dataclass(frozen=True)
class Finding:
    """A key number: the value as shown on screen, what it is, where it comes from."""

    value: str
    label: str
    source: str


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


@dataclass(frozen=True)
class CoverPart:
    """What months-of-cover analysis adds to a pack: charts and the worst-case finding."""

    charts: tuple[ChartSpec, ...] = ()
    finding: Finding | None = None
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------ choices
def resolve_regimes(ids: Sequence[str] | str | None,
                    library: Mapping[str, regimes_mod.Regime] | None = None) -> list[regimes_mod.Regime]:
    """Regimes by id ("a,b" or a list; None/empty = the library's regimes flagged ``default``); an
    unknown id is an error naming the closest id and the known ones."""
    library = dict(library) if library is not None else regimes_mod.load_library()
    if isinstance(ids, str):
        ids = [i for i in (x.strip() for x in ids.split(",")) if i]
    ids = list(ids or regimes_mod.flagged(library, "default"))
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
    return out


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


def _short(material_id: str) -> str:
    """The material as the Exposure page names it inside titles ("permanent magnets")."""
    return catalog.materials()[material_id].short_name.lower()


# ------------------------------------------------------------------ notes and sources
def dataset_line(prov: Mapping[str, dict], table: str) -> str:
    p = prov.get(table)
    if not p:
        return table
    return (f"{p['title']} — {p['producer']}; licence: {p['licence']}; accessed {p['accessed']} "
            f"(table {table})")


def dataset_short(prov: Mapping[str, dict], tables: Sequence[str]) -> str:
    return "; ".join(f"{prov[t]['title']} ({prov[t]['producer']})" if t in prov else t for t in tables)


def regime_notes(regime: regimes_mod.Regime) -> list[str]:
    """Each rule of a regime in one sentence: who, what, to whom, how much, when."""
    out = [f"Regime '{regime.name}' ({regime.id}), judged over {regime.horizon_months} months."]
    for i, r in enumerate(regime.rules, 1):
        tg = r.targets
        to = ("all destinations" if tg.mode == "all" else
              ", ".join(tg.countries) if tg.mode == "only" else f"all except {', '.join(tg.countries)}")
        end = "never lifted within the horizon" if r.end_month is None else f"lifted after month {r.end_month}"
        out.append(f"Rule {i}: {r.controller} → {to}: {', '.join(r.materials)}; nothing delivered for "
                   f"{r.delay_months} month(s), then {charts.pct(r.approval_rate)} of normal flow; starts month "
                   f"{r.start_month}, {end}; extraterritorial: {'yes' if r.extraterritorial else 'no'}.")
    if not regime.rules:
        out.append("No rules: supply continues as normal (the baseline).")
    if regime.calibration:
        out.append(f"Calibration: {regime.calibration.strip()}")
    return out


def _notes_text(spec: ChartSpec, prov: Mapping[str, dict]) -> str:
    title, subtitle, source = charts.figure_text(spec.figure)
    parts = [f"Finding: {title}", f"Scope: {subtitle}"]
    parts += [f"Assumption: {n}" for n in spec.notes]
    parts.append(f"Source line: {source}")
    parts += [f"Data: {dataset_line(prov, t)}" for t in spec.tables]
    for t in spec.tables:
        parts += [f"Caveat ({t}): {c}" for c in prov.get(t, {}).get("caveats", [])]
    return "\n".join(parts)


def _chart_slide(spec: ChartSpec, prov: Mapping[str, dict], made: dt.date) -> Slide:
    title, subtitle, source = charts.figure_text(spec.figure)
    return Slide("chart", title, subtitle, f"Source: {source} · Chokepoint, {made.isoformat()}",
                 _notes_text(spec, prov), chart=spec)


METHODS = (
    "Shares are of import value (or quantity) by the last shipping country, from CEPII BACI; ROW is the "
    "published rest-of-world bucket and counts in every denominator.",
    "Look-through: indirect = Σ over non-Chinese suppliers of (supplier's share) × (its own dependence on "
    "China for the upstream input); one level deep; rows resting on China's world production share are "
    "marked thin.",
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


def _assemble(subject: str, stem: str, title: str, subtitle: str, scope: list[str],
              findings: list[Finding], findings_subtitle: str, specs: list[ChartSpec],
              prov: Mapping[str, dict], regimes: Sequence[regimes_mod.Regime],
              extra_methods: Sequence[str] = ()) -> Briefing:
    made = dt.date.today()
    slides = [Slide("title", title, subtitle, lines=tuple(scope),
                    notes="Prepared with Chokepoint on " + made.isoformat() + ". " + " ".join(scope)),
              Slide("findings", "Key findings", findings_subtitle, findings=tuple(findings),
                    notes="\n".join(f"{f.value}: {f.label} (Source: {f.source})" for f in findings))]
    slides += [_chart_slide(s, prov, made) for s in specs]
    slides.append(_methods_slide(specs, prov, extra_methods, regimes))
    return Briefing(subject, stem, tuple(slides), made)


# ------------------------------------------------------------------ context charts (both packs)
def context_charts(run: Runner, groups: Sequence[str]) -> list[ChartSpec]:
    """China's production shares (for the groups in the pack), magnet exports and the measures."""
    conc = run("production_concentration")
    conc = conc[conc["material_group"].isin(list(groups))] if groups else conc
    monthly = run("monthly_exports_series", controller="CHN", material_id="ndfeb_magnet")
    events = run("control_timeline", controller="CHN")
    out = []
    if not conc.empty:
        est = conc[conc["estimate"].fillna(False).astype(bool)]
        out.append(ChartSpec("production-concentration", charts.production_concentration(conc), conc,
                             ("production",), (
                                 "Latest year published per material and stage; China's share is the published "
                                 "share where one exists, else China's tonnes over world tonnes.",
                                 f"{len(est)} of {len(conc)} bars are ESTIMATES (USGS/IEA)." if len(est) else
                                 "No bar is flagged as an estimate.")))
    if not monthly.empty:
        out.append(ChartSpec("monthly-magnet-exports", charts.monthly_exports(monthly), monthly,
                             ("monthly_exports",), (
                                 "Each bar is China's rare-earth magnet exports per month, as a share of the "
                                 "2024 monthly average; light bars are derived from year-to-date totals "
                                 "(ESTIMATES), dark bars are reported months.",)))
    if not events.empty:
        out.append(ChartSpec("control-timeline", charts.control_timeline(events), events, ("control_events",), (
            "One marker per announced measure; status as announced (suspensions may lapse).",)))
    return out


# ------------------------------------------------------------------ country pack
def country_cover_part(country: str, materials: Sequence[str], regimes: Sequence[regimes_mod.Regime],
                       run: Runner) -> CoverPart:
    """Plug-in point for a country's months of cover (``chokepoint.scenarios``).

    Returns the cover charts (heatmap, run-down curves) as ChartSpecs and the finding "months
    of cover under the worst selected regime". Without ``chokepoint.scenarios`` (or without the
    country inputs it needs) the part is empty and the pack says so in its methods."""
    try:
        from . import scenarios  # noqa: F401 - written by the scenarios work; optional here
    except ImportError:
        return CoverPart(notes=("Months of cover for the country are not in this pack: the scenarios "
                                "module is not installed.",))
    return _scenario_cover_part(country, materials, regimes, run)


def _scenario_cover_part(country: str, materials: Sequence[str], regimes: Sequence[regimes_mod.Regime],
                         run: Runner, peers: int = 12) -> CoverPart:
    """Cover heatmap (the country among the largest importers), run-down curves and tornado for
    the pack's first material, through ``scenarios`` (the Cover page's functions)."""
    from . import scenarios
    material = materials[0]
    if material not in scenarios.country_materials(run):
        return CoverPart(notes=(f"Months of cover: no country inputs for {material} in this dataset.",))
    cname, short = catalog.country_name(country), _short(material)
    try:
        rows = scenarios.country_cover(material, regimes, run=run)
        h = scenarios.holder(country, material, run=run)
    except (scenarios.ScenarioError, catalog.CatalogError) as e:
        return CoverPart(notes=(f"Months of cover for {cname} not computed: {e}",))
    mine = rows[rows["holder"] == country]
    a = mine.iloc[0]
    tables = ("trade_flows", "consumption", "stockpiles")
    stock = (f"Stock: {a['stock_basis']}. Monthly use {a['use_t_per_month']:,.1f} t ({a['use_basis']}: "
             f"{a['use_method']}; {a['use_source']}). Supply shares by quantity, {int(a['trade_year'])} "
             f"({a['trade_source']}).")
    est = "ESTIMATES: stocks are assumptions (industry inventory months + policy targets), not verified holdings."
    reg_notes = tuple(n for r in regimes for n in regime_notes(r))
    rows = rows[rows["holder"] != constants.CONTROLLER]  # the controller is not a holder under its own controls
    big = (rows.drop_duplicates("holder").sort_values(["imports_t", "holder"], ascending=[False, True])
           ["holder"].head(peers).tolist())
    heat = rows[rows["holder"].isin(set(big) | {country})]
    charts_out = [ChartSpec(f"cover-heatmap-{material}",
                            charts.cover_heatmap(heat, material=short, selected=country,
                                                 excluded=f"the {peers} largest importers by quantity (China excluded)"
                                                          + (f" and {cname}" if country not in big else "")),
                            heat, tables, (stock, est, *reg_notes))]
    if getattr(h, "data_hint", ""):  # insufficient data: the heatmap says n/a; no curves, no finding number
        return CoverPart(tuple(charts_out), None, (f"Months of cover for {cname}: {h.data_hint}.",))
    ranges = scenarios.Ranges()
    curves = scenarios.rundown(h, regimes, ranges=ranges)
    charts_out.append(ChartSpec(f"cover-rundown-{country}-{material}",
                                charts.rundown_curves(curves, country=country, material=short,
                                                     reference_ids=[r.id for r in regimes if r.has("reference")]),
                                curves, tables,
                                (stock, f"Band: {curves['band'].iloc[0]}." if len(curves) else "", est,
                                 *reg_notes)))
    ex = mine[mine["state"] == cover.EXHAUSTED]
    worst = (ex.loc[ex["months"].idxmin()] if len(ex) else mine.iloc[0])
    worst_reg = next(r for r in regimes if r.id == worst["regime"])
    if worst_reg.rules:
        tor = scenarios.sensitivity(h, worst_reg, ranges=ranges)
        charts_out.append(ChartSpec(f"cover-tornado-{country}-{material}",
                                    charts.cover_tornado(tor, country=country, material=short,
                                                         regime_name=worst_reg.name),
                                    tor, tables, (stock, est, *regime_notes(worst_reg))))
    value = charts.cover_label(worst["months"], worst["state"], int(worst["horizon_months"])) + " months"
    finding = Finding(value, f"Months of cover of {cname}'s {short} under {worst_reg.short_name}, "
                             "the worst of the regimes chosen (estimate)",
                      "CEPII BACI supply shares; consumption and stockpile-target figures; Chokepoint regime "
                      "library (see Methods and sources)")
    return CoverPart(tuple(charts_out), finding, (
        f"Stock assumption ({cname}, {short}): {a['industry_months']:g} months of use in industry inventories "
        f"(AmCham survey) + {a['policy_days']:g} days of national stockpile targets; use "
        f"{a['use_t_per_month']:,.1f} t/month ({a['use_basis']}). ESTIMATES.",))


def country_briefing(country: str, materials: Sequence[str] | str | None = None,
                     regimes: Sequence[regimes_mod.Regime] | None = None, *, run: Runner | None = None,
                     provenance: Mapping[str, dict] | None = None, year: int | None = None,
                     basis: str = "value",
                     cover_part: Callable[..., CoverPart] = country_cover_part) -> Briefing:
    """A country's story: exposure (direct and look-through), suppliers, where it ranks, months
    of cover under the chosen regimes, and the context (production, exports, measures)."""
    from . import dataset
    run = run or exposure.default_runner()
    prov = provenance if provenance is not None else dataset.load_provenance()
    regimes = list(regimes) if regimes else resolve_regimes(None)
    try:
        iso = exposure.resolve_country(country)
    except catalog.CatalogError as e:
        raise BriefingInputError(str(e)) from None
    mats = resolve_materials(materials, run)
    primary = mats[0]
    try:
        sel = exposure.select(iso, primary, year, basis, run)
        exp = exposure.load(sel, run)
    except exposure.ExposureDataError as e:
        raise BriefingInputError(str(e)) from None
    cname, yr, short = catalog.country_name(iso), sel.year, _short(primary)
    s = exp.summary
    lt_tables = ("trade_flows", "import_shares", "production")

    # ---- exposure charts: the same calls as pages/exposure.py
    prof = exposure.profile(iso, yr, basis, run=run)
    hs_wanted = {h for m in mats for h in catalog.materials()[m].hs6}
    prof = prof[prof["hs6"].isin(hs_wanted)].reset_index(drop=True)
    everyone = exposure.all_importers(sel, run=run)
    look = ("Look-through: indirect = Σ over non-Chinese suppliers of share × the supplier's own dependence on "
            "China for the upstream input" + (f" ({s['upstream_input']})" if s.get("upstream_input") else "")
            + "; one level deep.")
    thin = (f"Upstream data is thin (world fallback or old figure) for suppliers holding "
            f"{charts.pct(s['thin_share'], 1)} of {cname}'s {short} imports." if s["thin_share"] > 0 else
            "Every supplier's dependence rests on country-specific evidence.")
    specs = [
        ChartSpec(f"profile-{iso}", charts.exposure_profile(prof, country=iso, year=yr, basis=basis), prof,
                  lt_tables, (f"Imports in {yr} by {basis}; trade origin is the last shipping country.", look)),
        ChartSpec(f"sankey-{iso}-{primary}", charts.supplier_sankey(exp.suppliers, country=iso, material=short,
                                                                     year=yr, basis=basis),
                  exp.suppliers, lt_tables, (look, thin, *exp.notes)),
    ]
    specs.append(ChartSpec(f"ranking-{primary}", charts.exposure_ranking(everyone, selected=iso, material=short,
                                                                         year=yr, basis=basis, top_n=15),
                           everyone, lt_tables, (f"{cname} is shown in bold (added below the top 15 if "
                                                 "outside it).", look)))
    part = cover_part(iso, mats, regimes, run)
    specs += list(part.charts)
    groups = sorted({catalog.materials()[m].group for m in mats})
    specs += context_charts(run, groups)

    # ---- key findings: the Exposure page's numbers, the page's rounding (pct, 1 decimal)
    findings = [
        Finding(charts.pct(s["china_share_direct"], 1),
                f"China's direct share of {cname}'s {short} imports, {yr} (by {basis})",
                prov.get("trade_flows", {}).get("producer", "CEPII BACI")),
        Finding(charts.pct(s["china_share_total"], 1),
                f"China's total share with look-through: direct plus {charts.pct(s['china_share_indirect'], 1)} "
                f"through third countries", charts.figure_text(specs[1].figure)[2]),
    ]
    if part.finding is not None:
        findings.append(part.finding)
    else:
        monthly = run("monthly_exports_series", controller="CHN", material_id="ndfeb_magnet")
        w = monthly[monthly["to_country"] == "WLD"]
        if len(w):
            worst = w.loc[w["share_of_ref"].idxmin()]
            findings.append(Finding(charts.pct(worst["share_of_ref"]),
                                    f"China's magnet exports in {charts.period_label(worst['period_start'], worst['months'])}"
                                    " against the 2024 monthly average", str(worst["source"])))
    scope = [f"Materials: {', '.join(catalog.materials()[m].name for m in mats)}",
             f"Trade year {yr}, shares by {basis}",
             "Regimes: " + "; ".join(r.name for r in regimes),
             f"Prepared {dt.date.today().isoformat()} with Chokepoint; sources on the last slide"]
    return _assemble(
        f"{cname} ({iso})", f"brief-{iso.lower()}",
        f"{cname}: exposure to China's export controls on critical minerals",
        f"{charts.pct(s['china_share_total'], 1)} of {cname}'s {short} imports trace back to China",
        scope, findings, f"{cname}, {short}, {yr} imports by {basis}; regimes as listed on the title slide",
        specs, prov, regimes, extra_methods=part.notes)


# ------------------------------------------------------------------ company pack
def company_cover(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime],
                  default_country: str | None = None, run: Runner | None = None) -> pd.DataFrame:
    """Months of cover per site x material x regime: the Company page's own ``company.results``
    (suppliers' dependence on China included for extraterritorial rules), with a holding label."""
    from . import company
    regimes = list(regimes)
    dep = company.dependence_map(lines, run) if run is not None and company.needs_dependence(regimes) else None
    table = company.results(lines, regimes, default_country=default_country, dependence=dep)
    table = table.rename(columns={"site": "holder", "on_hand_t": "stock_t", "monthly_use_t": "use_t_per_month"})
    table.insert(0, "label", [company.holding_label(h, m) for h, m in zip(table["holder"], table["material_id"])])
    return table


def company_briefing(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime], *, name: str,
                     default_country: str | None = None, run: Runner | None = None,
                     provenance: Mapping[str, dict] | None = None) -> Briefing:
    """A company's story from its stockpile snapshot (stockpile_csv lines): months of cover per
    site and material under each regime, the earliest run-out, where supply comes from, and
    the context charts."""
    from . import dataset
    run = run or exposure.default_runner()
    prov = provenance if provenance is not None else dataset.load_provenance()
    regimes = list(regimes) if regimes else resolve_regimes(None)
    if lines.empty:
        raise BriefingInputError("the company snapshot has no supply lines")
    if default_country:
        try:
            default_country = catalog.country_iso3(default_country)
        except catalog.CatalogError as e:
            raise BriefingInputError(str(e)) from None
    table = company_cover(lines, regimes, default_country, run)
    names = {r.id: r.name for r in regimes}
    horizon = max(r.horizon_months for r in regimes)
    n_hold = table[["holder", "material_id"]].drop_duplicates().shape[0]
    scope = f"{name}, {n_hold} holdings"
    no_dest = table.loc[table["destination"].isna(), "label"].unique().tolist()
    stock_note = ("Stock and monthly use are the snapshot's figures in tonnes; use stays at the stated rate, "
                  "no substitution and no demand cut; the share of use with no supplier country is assumed "
                  "to keep arriving (unknown origin).")
    dest_note = ("Targets are decided by each site's country (site_country)"
                 + (f"; {len(no_dest)} holding(s) without one are treated as an unknown destination "
                    "(hit by 'all' rules only)." if no_dest else "."))
    miss = sorted({o for v in table["dependence_missing"] if v for o in str(v).split(",")})
    et_note = (f"Extraterritorial rules: the dependence on China of {', '.join(miss)} is unknown and taken as 0, "
               "so the cut is understated for those lines." if miss else
               "No extraterritorial rule reaches a supplier of unknown dependence.")
    reg_notes = tuple(n for r in regimes for n in regime_notes(r))
    specs = [ChartSpec("company-cover", charts.holding_cover_bars(table, regime_names=names, horizon=horizon,
                                                                  scope=scope),
                       table, (), (stock_note, dest_note, et_note, *reg_notes))]
    # run-down of the holding that runs out first (same engine, one holder)
    ex = table[table["state"] == cover.EXHAUSTED]
    first = ex.loc[ex["months"].idxmin()] if len(ex) else table.iloc[0]
    from . import company
    h = company.holders(lines, default_country)
    g = h[(h["holder"] == first["holder"]) & (h["material_id"] == first["material_id"])]
    lns: dict[str, float] = {}
    for o, sh in zip(g["origin"], g["share"]):
        if isinstance(o, str):
            lns[o] = lns.get(o, 0.0) + float(sh)
    series = []
    for r in regimes:
        res = cover.cover_for_holder(float(g["stock_t"].iloc[0]), float(g["use_t_per_month"].iloc[0]), lns, r,
                                     first["material_id"], first["destination"], horizon=horizon)
        series += [(r.id, m, v) for m, v in enumerate(res["stock_t_series"]) if v is not None]
    series_df = pd.DataFrame(series, columns=["regime", "month", "stock_t"])
    if not series_df.empty:
        specs.append(ChartSpec("company-rundown", charts.rundown_lines(series_df, label=first["label"],
                                                                       regime_names=names),
                               series_df, (), (stock_note, dest_note, *reg_notes)))
    # supply lines by supplier country
    sup = h.assign(label=[company.holding_label(a, b) for a, b in zip(h["holder"], h["material_id"])])
    sup["supplier"] = sup["origin"].where(sup["origin"].notna(), "UNK")
    sup = sup.groupby(["label", "supplier"], sort=False, as_index=False)["share"].sum()
    unknown = (1 - sup.groupby("label", sort=False)["share"].sum()).clip(lower=0)
    unknown = unknown[unknown > 1e-9]
    if len(unknown):
        sup = pd.concat([sup, pd.DataFrame({"label": unknown.index, "supplier": "UNK", "share": unknown.values})])
        sup = sup.groupby(["label", "supplier"], sort=False, as_index=False)["share"].sum()
    specs.append(ChartSpec("company-suppliers", charts.holding_supplier_stack(sup, scope=scope), sup, (),
                           ("Shares of monthly use by supplier country as given in the snapshot; the rest is "
                            "of unknown origin.",)))
    groups = sorted({catalog.materials()[m].group for m in table["material_id"].unique()})
    specs += context_charts(run, groups)

    # ---- key findings
    src = f"{name} (company snapshot); Chokepoint regime library"
    findings = []
    if len(ex):
        findings.append(Finding(charts.months_label(first["months"]),
                                f"Earliest run-out: {first['label']} under {names[first['regime']]}", src))
    else:
        findings.append(Finding("none", f"No holding runs out within {horizon} months under the regimes chosen", src))
    worst_rid = min(regimes, key=lambda r: (-(table[(table["regime"] == r.id)]["state"] == cover.EXHAUSTED).sum(),
                                            table.loc[table["regime"] == r.id, "months"].min()
                                            if (table["regime"] == r.id).any() else math.inf)).id
    k = int(((table["regime"] == worst_rid) & (table["state"] == cover.EXHAUSTED)).sum())
    k12 = int(((table["regime"] == worst_rid) & (table["months"] <= 12)).sum())
    findings.append(Finding(f"{k} of {n_hold}", f"holdings run out within {horizon} months under "
                                                f"{names[worst_rid]} ({k12} within 12 months)", src))
    chn = sup[sup["supplier"] == "CHN"].set_index("label")["share"]
    findings.append(Finding(f"{int((chn >= 0.5).sum())} of {n_hold}",
                            "holdings get half or more of their monthly use from China", f"{name} (company snapshot)"))
    sites = table["holder"].nunique()
    scope_lines = [f"{sites} site(s), {n_hold} holdings (site × material)",
                   "Regimes: " + "; ".join(r.name for r in regimes),
                   f"Prepared {dt.date.today().isoformat()} with Chokepoint; sources on the last slide"]
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:40] or "company"
    return _assemble(name, f"brief-{slug}", f"{name}: months of cover under China's export controls",
                     findings[0].label + f" — {findings[0].value}", scope_lines, findings,
                     f"{scope}; regimes as listed on the title slide", specs, prov, regimes,
                     extra_methods=(stock_note, dest_note, et_note))
