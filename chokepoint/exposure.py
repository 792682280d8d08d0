"""Country exposure: supplier shares, China's direct share, concentration, import reliance and
look-through (indirect) exposure through third countries.

Definitions (per importer c, material = a set of HS lines, year, basis = value or quantity):

* ``share(c, e)``: supplier e's share of c's imports on the basis. The built-in flows (and an
  ingested BACI or Comtrade release) list every supplier, so shares are exact for what the source
  records; a supplier without an amount on the basis (no quantity reported) is left out.
* ``direct(c) = share(c, CHN)``.
* ``hhi(c) = sum_e share(c, e)^2`` (0-1), exact since every supplier is listed.
* Look-through (``chokepoint/lookthrough.py``): ``total(c) = direct(c) + sum_{e != CHN} share(c, e)
  * dependence(e)`` (never above 1), where ``dependence(e)`` is e's China share for the UPSTREAM
  input of the HS line (``UPSTREAM``): magnets (850511) are made from rare-earth metals and
  compounds (280530/284690); unwrought magnesium (810411) from primary magnesium smelting; unwrought
  titanium (810820) from titanium sponge. Each supplier's dependence comes from the best evidence
  in the data (own imports of the upstream input; a published figure; domestic production of the
  input; China's world share as the last resort), with a low and a high value, so every total
  comes with ``china_share_total_low <= china_share_total <= china_share_total_high``. One level
  only. Suppliers whose dependence rests on the world fallback (or an old published figure) are
  ``thin``: the page and the CLI say so.

Everything here is pure (DataFrames in, DataFrames out) except ``load``, which runs
the queries through an injectable ``run(name, **params)`` (db.run_query by default; the app
passes its cached ``ui.query``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from . import catalog, db, lookthrough
from .constants import CONTROLLER, ROW
from .lookthrough import Upstream

BASES = ("value", "quantity")

Runner = Callable[..., pd.DataFrame]


class ExposureDataError(ValueError):
    """The data holds nothing for what was asked (never answered with a silent zero)."""


#: The look-through mapping (also printed on the Exposure page).
UPSTREAM: dict[str, Upstream] = {
    "850511": Upstream(
        "850511", "rare-earth metals and compounds (HS 280530, 284690)", ("280530", "284690"),
        ("rare_earth_compounds", "rare_earth_metals", "rare_earths", "light_rare_earths",
         "heavy_rare_earths", "permanent_magnets"),
        "rare_earth_compounds", "refining",
        producer_material="rare_earth_compounds", producer_stage="refining", reexport_only=False),
    "810411": Upstream(
        "810411", "primary magnesium metal (smelting)", ("810411",),
        ("magnesium_metal", "magnesium"), "magnesium_metal", "metal",
        producer_material="magnesium_metal", producer_stage="metal", reexport_only=True),
    "810820": Upstream(
        "810820", "titanium sponge", ("810820",),
        ("titanium_sponge", "titanium_unwrought", "titanium"), "titanium_sponge", "metal",
        producer_material="titanium_sponge", producer_stage="metal", reexport_only=True),
}


@dataclass(frozen=True)
class Selection:
    """What is being asked: one importer, one material (as HS lines), one year, one basis."""

    importer: str
    material: str          # catalogue id, or "hs:<code>" when an HS code was given
    hs6: tuple[str, ...]
    year: int
    basis: str

    @property
    def label(self) -> str:
        return material_label(self.material, self.hs6)


@dataclass
class Exposure:
    selection: Selection
    suppliers: pd.DataFrame        # supplier, value_usd, quantity_t, share, rank, dependence, ...
    summary: dict
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ names and selections
def material_label(material: str, hs6: tuple[str, ...]) -> str:
    """Display label: the catalogue name (which names its HS line when it has one) or the HS code."""
    codes = ", ".join(hs6)
    if material.startswith("hs:"):
        desc = catalog.hs_codes().get(hs6[0], {}).get("description", "")
        return f"HS {codes}" + (f" ({desc.split(',')[0]})" if desc else "")
    name = catalog.materials()[material].name
    lines = catalog.proxy_lines(material)
    if lines:  # the HS line is wider than the material: say so wherever the label goes
        return f"{name} (proxy: " + "; ".join(f"HS {h}, {what}" for h, what in lines) + ")"
    return name if "HS" in name else f"{name} (HS {codes})"


def scope_note(material: str) -> str:
    """The selection's scope sentence ("" for an HS code or a material its lines measure exactly)."""
    return "" if material.startswith("hs:") else catalog.scope_note(material)


def resolve_material(text: str) -> tuple[str, tuple[str, ...]]:
    """(material key, HS lines) for a catalogue id/name/synonym or a 6-digit HS code.

    CatalogError (with the closest names) when neither; an HS code outside the catalogue too.
    """
    t = str(text).strip().replace(".", "").replace(" ", "")
    if re.fullmatch(r"\d{6}", t):
        if t not in catalog.hs_codes():
            import difflib
            raise catalog.CatalogError("HS code", text, difflib.get_close_matches(t, list(catalog.hs_codes()), 3, 0.5))
        return f"hs:{t}", (t,)
    mid = catalog.resolve_material(text)
    return mid, catalog.materials()[mid].hs6


def resolve_country(text: str) -> str:
    return catalog.country_iso3(text)


def default_runner(data_dir: Path | str = db.DATA) -> Runner:
    return partial(db.run_query, data_dir=data_dir)


def select(importer: str, material: str, year: int | None = None, basis: str = "value",
           run: Runner | None = None) -> Selection:
    """Validate a request against the catalogue and the data; ExposureDataError names what exists."""
    run = run or default_runner()
    if basis not in BASES:
        raise ExposureDataError(f"basis must be 'value' or 'quantity', not {basis!r}")
    iso = resolve_country(importer)
    key, hs6 = resolve_material(material)
    cov = run("exposure_trade_coverage")
    have = cov[cov["hs6"].isin(hs6)]
    label = material_label(key, hs6)
    if have.empty:
        lines = ", ".join(f"{r.hs6} ({r.material_id})" for r in cov.drop_duplicates("hs6").itertuples())
        raise ExposureDataError(f"no bilateral trade data for {label} in this dataset; "
                                f"it has HS {lines}")
    years = sorted(set(have["year"].astype(int)))
    if year is None:
        year = years[-1]
    elif int(year) not in years:
        raise ExposureDataError(f"no {label} trade data for {year}; years with data: "
                                f"{', '.join(map(str, years))}")
    if basis == "quantity" and not int(have.loc[have["year"] == int(year), "n_quantity"].sum()):
        raise ExposureDataError(f"quantity is not available for {label} in {year}: the {year} flows give "
                                "value only; use basis 'value'")
    sel = Selection(iso, key, tuple(hs6), int(year), basis)
    importers = run("exposure_china_share_by_importer", hs6_list=list(hs6), year=int(year), basis=basis)
    if iso not in set(importers["importer"]):
        import difflib
        names = {catalog.country_name(c): c for c in importers["importer"]}
        close = difflib.get_close_matches(catalog.country_name(iso), list(names), 3, 0.5)
        hint = f"; closest importers with data: {', '.join(close)}" if close else ""
        raise ExposureDataError(
            f"no {year} imports of {label} recorded for {catalog.country_name(iso)} ({iso}) in this "
            f"dataset ({len(names)} importers have data{hint})")
    return sel


# ------------------------------------------------------------------ pure metrics
def hhi(shares: pd.Series | list[float]) -> float:
    """Herfindahl-Hirschman index (0-1) of shares that sum to 1 (NaN shares ignored)."""
    s = pd.Series(shares, dtype="float64").dropna()
    return float((s * s).sum())


def summarise(suppliers: pd.DataFrame) -> dict:
    """Direct China share, top supplier (a country, never a ROW bucket) and HHI from a supplier-share frame."""
    s = suppliers.dropna(subset=["share"])
    named = s[s["supplier"] != ROW]
    top = named.loc[named["share"].idxmax()] if len(named) else None
    return {
        "china_share_direct": float(s.loc[s["supplier"] == CONTROLLER, "share"].sum()),
        "hhi": hhi(s["share"]),
        "top_supplier": None if top is None else str(top["supplier"]),
        "top_share": None if top is None else float(top["share"]),
        "value_usd": float(suppliers["value_usd"].sum()),
        "quantity_t": float(suppliers["quantity_t"].sum()) if suppliers["quantity_t"].notna().any() else None,
    }


def look_through(suppliers: pd.DataFrame, dep: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per-supplier indirect contributions and the direct / indirect / total split, with its range.

    indirect = sum over suppliers e != CHN of share(c, e) * dependence(e) (and the same with the
    low and high dependence); unknown dependence counts as 0 and is reported in
    ``indirect_unknown_share``. Indirect never exceeds 1 - direct.
    """
    d = suppliers.merge(lookthrough.with_range(dep), on="supplier", how="left")
    d["indirect_share"] = (d["share"] * d["dependence"]).where(d["supplier"] != CONTROLLER, 0.0)
    out = lookthrough.totals(d)
    assert isinstance(out, dict)
    others = d[d["supplier"] != CONTROLLER]
    out["thin_share"] = float(others.loc[others["thin"].fillna(True).astype(bool), "share"].sum())
    out["indirect_unknown_share"] = float(others.loc[others["dependence"].isna(), "share"].sum())
    out["evidence_shares"] = lookthrough.evidence_shares(d)
    return d, out


def look_through_all(bilateral: pd.DataFrame, dep: pd.DataFrame) -> pd.DataFrame:
    """Direct, indirect and total China share (point, low, high) for every importer
    (bilateral_shares rows), sorted by the point estimate."""
    d = bilateral.merge(lookthrough.with_range(dep)[["supplier", "dependence", "dependence_low", "dependence_high"]],
                        on="supplier", how="left")
    g = lookthrough.totals(d, by="importer")
    assert isinstance(g, pd.DataFrame)
    amounts = d.groupby("importer", as_index=False).agg(value_usd=("value_usd", "sum"),
                                                         quantity_t=("quantity_t", "sum"))
    g = g.merge(amounts, on="importer", how="left")
    g["importer_name"] = g["importer"].map(catalog.country_name)
    return g.sort_values(["china_share_total", "importer"], ascending=[False, True]).reset_index(drop=True)


def _no_imports(row) -> str:
    """Why a row has no import tonnes: no flow at all, or flows with a value but no quantity (the
    2022 edition gives values only)."""
    if int(row.get("import_flows", 0) or 0) > 0:
        return "no quantities in this year's flows (value only): reliance needs tonnes — pick a year with quantities"
    return "no trade flows for its HS lines in this dataset"


def reliance_label(row) -> str:
    """How an import-reliance figure was obtained, with ESTIMATE where consumption is derived."""
    if row["import_reliance"] is None or pd.isna(row["import_reliance"]):
        return f"not computable: {_no_imports(row)}"
    lab = f"net imports / apparent consumption ({row['consumption_basis']}: {row['consumption_method']})"
    if row["consumption_basis"] == "derived":
        lab = "ESTIMATE — consumption derived from imports, so ~100% by construction; " + lab
    if row["import_reliance"] > 1:
        lab += "; above 100%: the consumption figure and the HS line differ in scope"
    return lab


#: States of an import-reliance figure; only COMPUTED carries a number (always in [0, 1]).
COMPUTED = "computed"
NO_CONSUMPTION = "no consumption figure"
NET_EXPORTER = "net exporter"


def consumption_material(material: str, hs6: tuple[str, ...]) -> str | None:
    """The catalogue material whose consumption figure answers a selection (an HS code's own material)."""
    if material.startswith("hs:"):
        return catalog.hs_codes().get(hs6[0], {}).get("material_id") or None
    return material


def reliance_state(row: Any) -> tuple[float | None, str]:
    """(import reliance or None, state) for one row of ``exposure_import_reliance`` (None: no row).

    A share is given only where the consumption figure and the traded HS lines have the same scope
    and the ratio is a share; otherwise the state says why, in this order: no consumption figure,
    scope mismatch (the consumption figure is narrower than the HS line: NdFeB demand vs all metal
    magnets), no trade flows, net exporter, consumption derived from imports (a tautology, not a
    figure), net imports above consumption (years or coverage differ).
    """
    if row is None:
        return None, NO_CONSUMPTION
    lines = catalog.proxy_lines(row["material_id"])
    if lines:
        mat = catalog.materials()[row["material_id"]].short_name
        what = "; ".join(f"HS {h}, {w}" for h, w in lines)
        return None, f"scope mismatch: {mat} consumption vs {what}"
    imports = row["imports_t"]
    if imports is None or pd.isna(imports):
        return None, _no_imports(row)
    net = float(row["net_imports_t"])
    if net <= 0:
        return None, NET_EXPORTER
    if row["consumption_basis"] == "derived":
        return None, f"{NO_CONSUMPTION} (the derived estimate is imports, so reliance would be ~100% by construction)"
    value = row["import_reliance"]
    if value is None or pd.isna(value):
        return None, NO_CONSUMPTION
    if value > 1:
        return None, "not a share: net imports exceed the consumption figure (years or coverage differ)"
    return float(value), COMPUTED


def reliance_states(rel: pd.DataFrame) -> pd.DataFrame:
    """``exposure_import_reliance`` rows with ``import_reliance`` kept only where it is a share in
    [0, 1] and ``import_reliance_state`` saying why not elsewhere (pages, exports and the CLI)."""
    out = rel.copy()
    states = [reliance_state(r) for _, r in rel.iterrows()]
    out["import_reliance"] = pd.array([v for v, _ in states], dtype="Float64")
    out["import_reliance_state"] = [st for _, st in states]
    return out


def reliance_for(sel: Selection, run: Runner) -> tuple[float | None, str]:
    """Import reliance of the selection's importer for its material, with its state."""
    mid = consumption_material(sel.material, sel.hs6)
    rel = run("exposure_import_reliance", country=sel.importer, year=sel.year)
    rows = rel[rel["material_id"] == mid]
    return reliance_state(None if rows.empty else rows.iloc[0])


# ------------------------------------------------------------------ loading (runs queries)
def dependence_for(sel: Selection, hs6: str, run: Runner, suppliers: list[str],
                   bilateral: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load what the look-through needs for one HS line and return ``lookthrough.ladder(...)``."""
    up = UPSTREAM.get(hs6)
    if up is None:
        return lookthrough.ladder(suppliers, None, year=sel.year, upstream_imports={}, same_line={},
                                  published=None, producers=None, world=None)
    if bilateral is None:
        bilateral = run("exposure_bilateral_shares", hs6_list=[hs6], year=sel.year, basis=sel.basis)
    b = bilateral.assign(_chn=bilateral["share"].where(bilateral["supplier"] == CONTROLLER, 0.0),
                         _row=bilateral["share"].where(bilateral["supplier"] == ROW, 0.0))
    same = b.groupby("importer", as_index=False).agg(china_share=("_chn", "sum"), row_share=("_row", "sum"))
    upstream_imports = run("lookthrough_upstream_imports", hs6_list=list(up.hs6_lines), year=sel.year,
                           basis=sel.basis)
    published = run("exposure_upstream_published", materials=list(up.published_materials),
                    controller=CONTROLLER)
    producers = (run("exposure_producers", material_id=up.producer_material, stage=up.producer_stage)
                 if up.producer_material else None)
    conc = run("production_concentration")
    w = conc[(conc["material_id"] == up.world_material) & (conc["stage"] == up.world_stage)]
    return lookthrough.ladder(suppliers, up, year=sel.year, upstream_imports=lookthrough.own_shares(upstream_imports),
                              same_line=lookthrough.own_shares(same), published=published,
                              producers=producers, world=None if w.empty else w.iloc[0])


def load(sel: Selection, run: Runner | None = None) -> Exposure:
    """Supplier shares, summary and look-through for a validated selection."""
    run = run or default_runner()
    sup = run("exposure_supplier_shares", importer=sel.importer, hs6_list=list(sel.hs6), year=sel.year,
              basis=sel.basis)
    if sup.empty or sup["share"].isna().all():
        raise ExposureDataError(f"no {sel.basis} data for {sel.label} imports of "
                                f"{catalog.country_name(sel.importer)} in {sel.year}")
    summary = summarise(sup)
    notes: list[str] = []
    # look-through: per HS line when a material spans several (weights = the line's share of the total)
    if len(sel.hs6) == 1:
        dep = dependence_for(sel, sel.hs6[0], run, list(sup["supplier"]))
    else:
        dep = dependence_for(sel, sel.hs6[0], run, list(sup["supplier"]))
        notes.append(f"{sel.label} spans HS {', '.join(sel.hs6)}: the look-through uses the mapping "
                     f"of HS {sel.hs6[0]} for every line.")
    detail, lt = look_through(sup, dep)
    summary.update(lt)
    up = UPSTREAM.get(sel.hs6[0])
    summary["upstream_input"] = up.input_label if up else None
    summary["import_reliance"], summary["import_reliance_state"] = reliance_for(sel, run)
    summary["scope_note"] = scope_note(sel.material)
    if summary["scope_note"]:
        notes.append(f"Scope: {summary['scope_note']}.")
    if up is None:
        notes.append(f"No upstream mapping for HS {sel.hs6[0]}: indirect exposure is not available.")
    for h in sel.hs6:
        caveat = catalog.hs_codes().get(h, {}).get("caveat", "")
        if caveat:
            notes.append(f"HS {h}: {caveat}.")
    if sel.basis == "quantity" and sup["quantity_t"].isna().any():
        n = int(sup["quantity_t"].isna().sum())
        notes.append(f"{n} supplier(s) reported no quantity and are left out of the quantity shares.")
    if summary["thin_share"] > 0:
        notes.append(f"Upstream data is thin for suppliers holding {summary['thin_share']:.0%} of imports: "
                     "their dependence is the world production share of China (fallback) or an old "
                     "published figure, not a country-specific one.")
    return Exposure(sel, detail, summary, notes)


def exposure(importer: str, material: str, year: int | None = None, basis: str = "value",
             run: Runner | None = None) -> Exposure:
    """One call: validate, load, look through (the CLI and tests use this)."""
    run = run or default_runner()
    return load(select(importer, material, year, basis, run), run)


def profile(importer: str, year: int, basis: str, run: Runner | None = None) -> pd.DataFrame:
    """Every HS line the importer buys, with direct, indirect and total China share."""
    run = run or default_runner()
    prof = run("exposure_profile", importer=importer, year=year, basis=basis)
    rows = []
    for r in prof.itertuples():
        key = r.material_id if isinstance(r.material_id, str) else f"hs:{r.hs6}"
        try:
            exp = load(Selection(importer, key, (r.hs6,), year, basis), run)
            rows.append({"hs6": r.hs6, "china_share_indirect": exp.summary["china_share_indirect"],
                         "china_share_total": exp.summary["china_share_total"],
                         "thin_share": exp.summary["thin_share"]})
        except ExposureDataError:
            rows.append({"hs6": r.hs6, "china_share_indirect": math.nan,
                         "china_share_total": math.nan, "thin_share": math.nan})
    lt = pd.DataFrame(rows, columns=["hs6", "china_share_indirect", "china_share_total", "thin_share"])
    out = prof.merge(lt, on="hs6", how="left").rename(columns={"china_share": "china_share_direct"})
    out["top_supplier_name"] = out["top_supplier"].map(lambda c: catalog.country_name(c) if isinstance(c, str) else "")
    return out


def all_importers(sel: Selection, run: Runner | None = None) -> pd.DataFrame:
    """Direct / indirect / total for every importer of the selection's material (map, ranking)."""
    run = run or default_runner()
    bil = run("exposure_bilateral_shares", hs6_list=list(sel.hs6), year=sel.year, basis=sel.basis)
    dep = dependence_for(sel, sel.hs6[0], run, sorted(set(bil["supplier"])), bilateral=bil)
    lt = look_through_all(bil, dep)
    conc = run("exposure_china_share_by_importer", hs6_list=list(sel.hs6), year=sel.year, basis=sel.basis)
    return lt.merge(conc[["importer", "hhi", "top_supplier", "top_share"]],
                    on="importer", how="left")


def to_json(exp: Exposure) -> dict:
    """The CLI's JSON contract: NaN becomes null, supplier codes are ISO3."""
    def num(x):
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
    s, sel = exp.summary, exp.selection
    return {
        "importer": sel.importer, "importer_name": catalog.country_name(sel.importer),
        "material": sel.material, "material_label": sel.label, "hs6": list(sel.hs6),
        "year": sel.year, "basis": sel.basis,
        "china_share_direct": num(s["china_share_direct"]),
        "china_share_indirect": num(s["china_share_indirect"]),
        "china_share_total": num(s["china_share_total"]),
        "china_share_total_low": num(s["china_share_total_low"]),
        "china_share_total_high": num(s["china_share_total_high"]),
        "evidence_shares": {k: num(v) for k, v in s.get("evidence_shares", {}).items()},
        "hhi": num(s["hhi"]),
        "top_supplier": s["top_supplier"], "top_share": num(s["top_share"]),
        "upstream_input": s["upstream_input"], "thin_share": num(s["thin_share"]),
        "scope_note": s.get("scope_note") or None,
        "import_reliance": num(s.get("import_reliance")),
        "import_reliance_state": s.get("import_reliance_state"),
        "suppliers": [
            {"supplier": r.supplier, "share": num(r.share), "value_usd": num(r.value_usd),
             "quantity_t": num(r.quantity_t), "dependence_on_china": num(r.dependence),
             "dependence_low": num(r.dependence_low), "dependence_high": num(r.dependence_high),
             "evidence": r.evidence,
             "evidence_year": None if r.evidence_year is None or pd.isna(r.evidence_year) else int(r.evidence_year),
             "dependence_basis": r.dependence_basis}
            for r in exp.suppliers.itertuples()],
        "notes": exp.notes,
    }
