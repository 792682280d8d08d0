"""The two packs: a country's story and a company's story, assembled from the views the pages
use (``chokepoint.views``), so a deck never disagrees with the screen."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from .. import catalog, exposure
from .. import regimes as regimes_mod
from ..fmt import pct
from ..views import company as view_company
from ..views import cover as view_cover
from ..views import exposure as view_exposure
from ..views import observed as view_observed
from ..views import overview, regime_dates
from ..views.cover import CoverPart, regime_notes
from ..views.regime_dates import RegimeDates
from .model import Briefing, BriefingInputError, Runner, Story, assemble, resolve_materials, resolve_regimes


def _provenance(provenance: Mapping[str, dict] | None) -> Mapping[str, dict]:
    from .. import dataset
    return provenance if provenance is not None else dataset.load_provenance()


def country_briefing(country: str, materials: Sequence[str] | str | None = None,
                     regimes: Sequence[regimes_mod.Regime] | None = None, *, run: Runner | None = None,
                     provenance: Mapping[str, dict] | None = None, year: int | None = None,
                     basis: str = "value",
                     cover_part: Callable[..., CoverPart] = view_cover.country_part,
                     dates: RegimeDates | None = None) -> Briefing:
    """A country's story: exposure (direct and look-through), suppliers, where it ranks, months
    of cover under the chosen regimes, and the context (production, exports, measures).
    ``dates`` (default: today, built-in timeline) labels each regime with its status and decides
    which regimes the cover headline counts (those in force)."""
    run = run or exposure.default_runner()
    prov = _provenance(provenance)
    dates = dates or regime_dates.on()
    regimes = dates.labelled(regimes) if regimes else resolve_regimes(None, dates=dates)
    try:
        iso = exposure.resolve_country(country)
    except catalog.CatalogError as e:
        raise BriefingInputError(str(e)) from None
    mats = resolve_materials(materials, run)
    primary = mats[0]
    try:
        sel = exposure.select(iso, primary, year, basis, run)
        short = catalog.materials()[primary].short_name.lower()
        view = view_exposure.country(sel, run, short=short, materials=tuple(mats),
                                     producer=prov.get("trade_flows", {}).get("producer", "CEPII BACI"))
    except exposure.ExposureDataError as e:
        raise BriefingInputError(str(e)) from None
    cname, yr, s = catalog.country_name(iso), sel.year, view.exposure.summary
    part = cover_part(iso, mats, regimes, run, in_force=dates.in_force(regimes), as_of=dates.as_of)
    specs = [*view.pack, *part.charts, *((view.change,) if view.change is not None else ()),
             *_observed_part(iso, regimes, run),
             *overview.context(run, sorted({catalog.materials()[m].group for m in mats}))]
    findings = list(view.findings)
    if part.finding is not None:
        findings.append(part.finding)
    else:
        monthly = run("monthly_exports_series", controller=overview.CONTROLLER,
                      material_id=overview.MAGNET_EXPORTS_MATERIAL)
        worst = overview.worst_magnet_finding(monthly)
        if worst is not None:
            findings.append(worst)
    scope = [f"Materials: {', '.join(catalog.materials()[m].name for m in mats)}",
             f"Trade year {yr}, shares by {basis}",
             "Regimes: " + "; ".join(r.name for r in regimes),
             dates.caveat,
             f"Prepared {dt.date.today().isoformat()} with Chokepoint; sources on the last slide"]
    return assemble(Story(
        f"{cname} ({iso})", f"brief-{iso.lower()}",
        f"{cname}: exposure to China's export controls on critical minerals",
        f"{pct(s['china_share_total'], 1)} of {cname}'s {short} imports trace back to China",
        scope, findings, f"{cname}, {short}, {yr} imports by {basis}; regimes as listed on the title slide",
        specs, part.notes), prov, regimes)


def _observed_part(iso: str, regimes: Sequence[regimes_mod.Regime], run: Runner) -> list:
    """The observed-vs-modelled charts of a country with monthly customs data (none otherwise): the
    pack's regimes and the no-controls reference against what arrived from China."""
    library = regimes_mod.load_library()
    refs = regimes_mod.flagged(library, "reference")
    regs = [*(library[r] for r in refs), *(r for r in regimes if r.id not in refs)]
    return view_observed.country_part(iso, regs, run=run, reference_ids=refs)


def company_cover(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime],
                  default_country: str | None = None, run: Runner | None = None) -> pd.DataFrame:
    """Months of cover per site x material x regime, with a holding label (``views.company.cover_table``)."""
    return view_company.cover_table(lines, regimes, default_country, run)


def company_briefing(lines: pd.DataFrame, regimes: Sequence[regimes_mod.Regime], *, name: str,
                     default_country: str | None = None, run: Runner | None = None,
                     provenance: Mapping[str, dict] | None = None,
                     dates: RegimeDates | None = None) -> Briefing:
    """A company's story from its stockpile snapshot (stockpile_csv lines): months of cover per
    site and material under each regime, the earliest run-out, where supply comes from, and
    the context charts."""
    run = run or exposure.default_runner()
    prov = _provenance(provenance)
    dates = dates or regime_dates.on()
    regimes = dates.labelled(regimes) if regimes else resolve_regimes(None, dates=dates)
    if lines.empty:
        raise BriefingInputError("the company snapshot has no supply lines")
    if default_country:
        try:
            default_country = catalog.country_iso3(default_country)
        except catalog.CatalogError as e:
            raise BriefingInputError(str(e)) from None
    reg_notes = tuple(n for r in regimes for n in regime_notes(r))
    view = view_company.analysis(lines, regimes, name=name, default_country=default_country, run=run,
                                 reg_notes=reg_notes)
    specs = [*view.charts, *overview.context(run, view_company.material_groups(view.table))]
    findings = list(view.findings)
    scope_lines = [f"{view.table['holder'].nunique()} site(s), {view.holdings} holdings (site × material)",
                   "Regimes: " + "; ".join(r.name for r in regimes), dates.caveat,
                   f"Prepared {dt.date.today().isoformat()} with Chokepoint; sources on the last slide"]
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:40] or "company"
    return assemble(Story(name, f"brief-{slug}", f"{name}: months of cover under China's export controls",
                          findings[0].label + f" — {findings[0].value}", scope_lines, findings,
                          f"{view.scope}; regimes as listed on the title slide", specs, view.notes), prov, regimes)
