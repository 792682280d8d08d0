"""Exposure: China's direct and look-through share of a country's imports, where it ranks, who
supplies it. One function per chart; ``country`` lists a country's charts for the page and the
pack."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from .. import catalog, exposure
from ..constants import CONTROLLER, ROW
from ..fmt import pct
from . import change as view_change
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
LOOK_THROUGH_TABLES = ("trade_flows", "import_shares", "production")
BACI = "CEPII BACI HS92 V202601"
LOOK_THROUGH_SOURCE = "CEPII BACI HS92 V202601; USGS; IEA; published import shares"
#: Suppliers a chart names one by one; the others are drawn together as one grey "other suppliers" bar.
NAMED_SUPPLIERS = 8


def with_others(d: pd.DataFrame, n: int = NAMED_SUPPLIERS, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """The n largest suppliers (per group ``by``) and one ``ROW`` row for all the others, so a chart
    stays readable: shares and value add up, and a ``dependence`` column is share-weighted so that
    share x dependence (the look-through) is unchanged. The full list stays in the tables."""
    d = d.dropna(subset=["share"])
    groups = d.groupby(list(by), sort=False) if by else [((), d)]
    out = []
    for key, g in groups:
        g = g.sort_values("share", ascending=False)
        head, tail = g.iloc[:n], g.iloc[n:]
        out.append(head)
        if len(tail):
            row = {c: (key[i] if isinstance(key, tuple) else key) for i, c in enumerate(by)}
            row.update(supplier=ROW, share=float(tail["share"].sum()))
            for c in ("value_usd", "quantity_t"):
                if c in g:
                    row[c] = float(tail[c].sum(min_count=1))
            if "dependence" in g:
                w = tail.dropna(subset=["dependence"])
                row["dependence"] = float((w["share"] * w["dependence"]).sum() / row["share"]) if row["share"] else 0.0
                row["dependence_basis"] = f"{len(tail)} other suppliers together (share-weighted)"
            for c in ("material", "hs6"):
                if c in g and c not in row:
                    row[c] = g[c].iloc[0]
            out.append(pd.DataFrame([row]))
    return pd.concat(out, ignore_index=True) if out else d


def profile(prof: pd.DataFrame, *, country: str, year: int, basis: str, notes: tuple[str, ...] = ()) -> ChartSpec:
    """Every material the country imports: direct and indirect China share side by side."""
    cname = catalog.country_name(country)
    hi = prof.loc[prof["china_share_total"].idxmax()] if prof["china_share_total"].notna().any() else None
    title = (f"{cname} traces {pct(hi['china_share_total'])} of its {catalog.short_name(hi['material_name']).lower()} "
             "imports to China" if hi is not None else f"{cname}: China's share by material")
    return ChartSpec(f"profile-{country}", title,
                     f"Every material {cname} imports, China's share of {year} imports by {basis}: "
                     "direct and through third countries",
                     "CEPII BACI HS92 V202601; USGS; IEA", prof, "exposure_profile", tables=LOOK_THROUGH_TABLES,
                     notes=notes)


def share_map(everyone: pd.DataFrame, *, key: str, value: str, selected: str, material: str, year: int,
              basis: str) -> ChartSpec:
    """World map of China's share by importer."""
    d = everyone.dropna(subset=[value])
    n_half = int((d[value] > 0.5).sum())
    return ChartSpec(f"map-{key}", f"China supplies over half of {material} imports in {n_half} of {len(d)} importers",
                     f"China's {'direct' if 'direct' in value else 'total'} share of each importer's "
                     f"{year} imports, by {basis}; grey = not among the importers in the data",
                     "CEPII BACI HS92 V202601; outlines Natural Earth 1:110m", everyone, "china_share_map",
                     {"value": value, "selected": selected}, tables=("trade_flows",))


def ranking(everyone: pd.DataFrame, *, key: str, selected: str, material: str, year: int, basis: str,
            top_n: int = 30, notes: tuple[str, ...] = ()) -> ChartSpec:
    """Importers ranked by China's total (look-through) share; the selected one always shown."""
    k = int((everyone["china_share_total"] >= 0.9).sum())
    n = len(everyone)
    # every importer is in the data now, down to a few thousand dollars: the chart shows the largest
    # importers by value (ranked by total share); the title counts all of them
    shown = f"the {min(top_n, n)} largest of {n} importers by value, ranked by total" if n > top_n else f"{n} importers"
    spread = ""
    if "china_share_total_low" in everyone:
        k_low = int((everyone["china_share_total_low"] >= 0.9).sum())
        k_high = int((everyone["china_share_total_high"] >= 0.9).sum())
        spread = f" ({k_low}–{k_high} across the evidence range)" if (k_low, k_high) != (k, k) else ""
    return ChartSpec(f"ranking-{key}", f"With look-through, {k} of {n} importers trace 90%+ of their {material} to "
                     f"China{spread}",
                     f"Share of {year} imports by {basis}: direct, plus suppliers' own dependence on China "
                     f"({shown}; whiskers: the range the evidence allows)",
                     "CEPII BACI HS92 V202601; USGS; IEA; published import shares (see dependence table)",
                     everyone, "exposure_ranking", {"selected": selected, "top_n": top_n, "largest_by": "value_usd"},
                     tables=LOOK_THROUGH_TABLES, notes=notes)


def supplier_stack(stack: pd.DataFrame, *, country: str, year: int, basis: str) -> ChartSpec:
    """Suppliers of each material the country imports (China first, rest of world last)."""
    d = stack.dropna(subset=["share"])
    top = d.loc[d.groupby("material")["share"].idxmax()]
    k = int((top["supplier"] == CONTROLLER).sum())
    stack = with_others(stack, 5, by=("material",))
    return ChartSpec(f"suppliers-{country}",
                     f"{catalog.country_name(country)}: China is the largest supplier of {k} of "
                     f"{d['material'].nunique()} materials",
                     f"Suppliers of each material, share of {year} imports by {basis} "
                     "(top five suppliers named; all others together in grey)",
                     BACI, stack, "supplier_stack", tables=("trade_flows",))


def suppliers_of(country: str, lines: tuple[tuple[str, str], ...], *, year: int, basis: str,
                 run: Runner) -> ChartSpec:
    """The supplier stack of every (HS line, material name) the country imports (the profile's
    lines): one query per line, then :func:`supplier_stack`."""
    stack = pd.concat([
        run("exposure_supplier_shares", importer=country, hs6_list=[h], year=year, basis=basis)
        .assign(hs6=h, material=f"{catalog.short_name(name)} (HS {h})") for h, name in lines], ignore_index=True)
    return supplier_stack(stack, country=country, year=year, basis=basis)


def sankey(suppliers: pd.DataFrame, *, key: str, country: str, material: str, year: int, basis: str,
           notes: tuple[str, ...] = ()) -> ChartSpec:
    """Chinese / other inputs -> suppliers -> the importer: the look-through made visible."""
    d = suppliers.dropna(subset=["share"])
    total = float((d["share"] * d["dependence"].fillna(0.0)).sum())
    suppliers = with_others(suppliers, NAMED_SUPPLIERS)
    cname = catalog.country_name(country)
    return ChartSpec(f"sankey-{country}-{key}", f"{pct(total)} of {cname}'s {material} imports trace back to China",
                     f"Inputs → suppliers → {cname}, share of {year} imports by {basis}; "
                     f"each supplier split by its own dependence on China (the {NAMED_SUPPLIERS} largest named)",
                     LOOK_THROUGH_SOURCE, suppliers, "supplier_sankey",
                     {"country": country}, tables=LOOK_THROUGH_TABLES, notes=notes)


def export_share_lines(series: pd.DataFrame, *, key: str, material: str) -> ChartSpec:
    """China's share of world exports of the material's HS line(s) over time."""
    y0, y1 = int(series["year"].min()), int(series["year"].max())
    last = series[series["year"] == y1].sort_values("hs6").iloc[0]
    basis = set(series["series_basis"])
    return ChartSpec(f"export-share-{key}",
                     f"China shipped {pct(last['china_export_share'])} of world {material} exports in {y1}",
                     f"China's share of world export value, {y0}–{y1}" if y1 > y0 else
                     f"China's share of world export value, {y1} only (the built-in flows cover one year)",
                     "CEPII BACI V202601 (" + "; ".join(sorted(basis)) + ")", series, "china_export_share_lines",
                     tables=("trade_series", "trade_flows"))


# ------------------------------------------------------------------ a country, for page and pack
@dataclass(frozen=True)
class CountryExposure:
    """A country's exposure to one material: the numbers, the notes, and its charts."""

    selection: exposure.Selection
    exposure: exposure.Exposure
    findings: tuple[Finding, ...]       # direct share, total share with look-through
    profile: ChartSpec
    map: ChartSpec
    ranking: ChartSpec
    sankey: ChartSpec
    pack: tuple[ChartSpec, ...]         # the charts a briefing pack shows, in slide order
    #: China's share in the first and last year with data, every importer (None with one year only)
    change: ChartSpec | None = None
    change_findings: tuple[Finding, ...] = ()   # what changed for this country (share, top supplier, HHI)


def look_through_note(summary: dict) -> str:
    return ("Look-through: indirect = Σ over non-Chinese suppliers of share × the supplier's own dependence on "
            "China for the upstream input" + (f" ({summary['upstream_input']})" if summary.get("upstream_input") else "")
            + "; one level deep. Each supplier's dependence uses the best evidence available (own imports of "
              "the input, a published figure, domestic production, China's world share as the last resort); "
              "the range counts fallback suppliers at 0 (low) and at the world share (high).")


def material_short(sel: exposure.Selection, short: str | None = None) -> str:
    """The material as titles and findings name it: ``short`` (default: the catalogue's short name,
    lowercase; an HS code's label), with the HS line(s) when they are a proxy for the material."""
    if short is None:
        short = (catalog.materials()[sel.material].short_name.lower() if sel.material in catalog.materials()
                 else sel.label)
    proxy = catalog.proxy_lines(sel.material) if not sel.material.startswith("hs:") else ()
    if proxy:  # the HS line is wider than the material: titles say "proxy", subtitles say how
        short = f"{short} (proxy: HS {', '.join(h for h, _ in proxy)})"
    return short


def findings(exp: exposure.Exposure, *, short: str, producer: str = "CEPII BACI") -> tuple[Finding, ...]:
    """The two headline findings of a selection: China's direct share of the importer's imports and
    the total with look-through. ``short`` as :func:`material_short` writes it."""
    s, sel = exp.summary, exp.selection
    cname = catalog.country_name(sel.importer)
    return (
        Finding(f"China's direct share of {cname}'s {short} imports, {sel.year} (by {sel.basis})",
                pct(s["china_share_direct"], 1), "%", sel.basis, producer),
        Finding(f"China's total share with look-through: direct plus {pct(s['china_share_indirect'], 1)} "
                f"through third countries (range {pct(s['china_share_total_low'], 1)}–"
                f"{pct(s['china_share_total_high'], 1)} as the evidence allows)",
                pct(s["china_share_total"], 1), "%", sel.basis, LOOK_THROUGH_SOURCE),
    )


def country(sel: exposure.Selection, run: Runner, *, short: str, materials: tuple[str, ...] | None = None,
            producer: str = "CEPII BACI", pack_top_n: int = 15) -> CountryExposure:
    """Everything the Exposure page and a country pack show for a selection: the headline findings
    (direct and total share) and the charts. ``short`` is the material as titles name it;
    ``materials`` limits the profile to those catalogue materials (a pack's choice)."""
    exp = exposure.load(sel, run)
    s, iso, yr, basis = exp.summary, sel.importer, sel.year, sel.basis
    short = material_short(sel, short)
    cname = catalog.country_name(iso)
    prof = exposure.profile(iso, yr, basis, run=run)
    if materials is not None:
        wanted = {h for m in materials for h in catalog.materials()[m].hs6}
        prof = prof[prof["hs6"].isin(wanted)].reset_index(drop=True)
    everyone = exposure.all_importers(sel, run=run)
    look = look_through_note(s)
    thin = (f"Upstream data is thin (world fallback or old figure) for suppliers holding "
            f"{pct(s['thin_share'], 1)} of {cname}'s {short} imports." if s["thin_share"] > 0 else
            "Every supplier's dependence rests on country-specific evidence.")
    prof_spec = profile(prof, country=iso, year=yr, basis=basis,
                        notes=(f"Imports in {yr} by {basis}; trade origin is the last shipping country.", look))
    sankey_spec = sankey(exp.suppliers, key=sel.material, country=iso, material=short, year=yr, basis=basis,
                         notes=(look, thin, *exp.notes))
    rank_args = dict(key=sel.material, selected=iso, material=short, year=yr, basis=basis)
    rank_notes = (f"{cname} is shown in bold (added below the top {pack_top_n} if outside it).", look)
    rank_pack = with_scope(ranking(everyone, **rank_args, top_n=pack_top_n, notes=rank_notes), s)
    sankey_spec = with_scope(sankey_spec, s)
    change_spec, change_findings = change(sel, run, short=short)
    change_spec = with_scope(change_spec, s) if change_spec else None
    pack = (prof_spec, sankey_spec, rank_pack)  # the change chart goes after the cover charts (packs.py)
    return CountryExposure(sel, exp, findings(exp, short=short, producer=producer), prof_spec,
                           with_scope(share_map(everyone, value="china_share_direct", **rank_args), s),
                           with_scope(ranking(everyone, **rank_args, notes=rank_notes), s), sankey_spec, pack,
                           change_spec, change_findings)


def change(sel: exposure.Selection, run: Runner, *, short: str) -> tuple[ChartSpec | None, tuple[Finding, ...]]:
    """China's share in the first and last year with data for every importer of the selection's
    lines, and what changed for the selected country (None, () when the data has one year)."""
    years = view_change.years(run, sel.hs6)
    if len(years) < 2:
        return None, ()
    t = view_change.table(run, sel.hs6, years[0], years[-1])
    found = view_change.country(t, sel.importer, material=short)
    spec = view_change.chart(t, key=sel.material, material=short, selected=sel.importer)
    return spec.with_(headline=found, notes=spec.notes + tuple(f"{f.label}: {f.value}." for f in found)), found


def with_scope(spec: ChartSpec, summary: dict) -> ChartSpec:
    """The spec with the selection's scope note (HS line used as a proxy) ending its subtitle."""
    note = summary.get("scope_note")
    return replace(spec, subtitle=f"{spec.subtitle}. {note}") if note else spec
