"""Controlled elements through the magnets that carry them: embedded Dy, Tb, Nd and Pr (ESTIMATES).

China's April 2025 measures name elements (Sm, Gd, Tb, Dy, Lu, Sc, Y), but trade data has no line
per element: a country's dysprosium and terbium arrive mostly inside magnets. The embedded tonnes
of an element are the country's magnet imports (HS 850511 tonnes in ``trade_flows``) times the
published weight share of the element in NdFeB magnets, a low-high range (``magnet_content``, each
bound with the page it is read from). Read them with three caveats, stated in every ``basis``:

* HS 850511 holds all metal magnets (NdFeB, SmCo, AlNiCo) and is used as a proxy for NdFeB:
  counting every tonne as NdFeB overstates the magnets, so even the low end can be too high;
* the content range spans magnet grades (a plain grade carries almost no Dy or Tb, a
  high-temperature grade several per cent); the same range is applied to every supplier;
* so a supplier's share of the embedded element is its share of the magnet tonnes, and months of
  cover with a stock in months of use are those of the magnets (the content cancels). Only a
  stock stated in tonnes of the element gives a months range (high content -> fewer months).

``exposure_json`` and ``cover_json`` are the CLI's JSON for an element through this route;
``country_table`` is what the pages show. Pure except for the injectable query runner.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import catalog, exposure
from .constants import DEFAULT_STOCK_MONTHS, MAGNET_EXPORTS_MATERIAL, MAGNETS, NOT_HOLDERS
from .regimes import Regime

Runner = Callable[..., pd.DataFrame]

#: The trade line that carries the elements (HS 850511, all metal magnets).
CARRIER = MAGNETS
#: How the estimate is reached, as the JSON and the pages name it.
ROUTE = "embedded in magnet imports"
LABEL = "ESTIMATE"
#: Display order: the two controlled heavy rare earths first, then NdPr.
ORDER = ("dysprosium", "terbium", "neodymium", "praseodymium")


def proxy_note() -> str:
    """"HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"."""
    return catalog.scope_note(MAGNET_EXPORTS_MATERIAL)


class EmbeddedError(ValueError):
    """A material with no magnet-content figure (the route does not apply)."""


@dataclass(frozen=True)
class Content:
    """Published weight share of one element in NdFeB magnets: the low and high ends, each cited."""

    material_id: str
    element: str
    low: float
    high: float
    basis_low: str
    basis_high: str
    source_low: str
    source_high: str
    url_low: str
    url_high: str

    @property
    def range_label(self) -> str:
        return f"{_pct(self.low)}–{_pct(self.high)} {self.element} by weight of NdFeB magnet"

    def sources(self) -> list[str]:
        """Each bound's citation with its page (one entry when both come from one page)."""
        out = [f"{self.source_low} <{self.url_low}>"]
        if self.url_high != self.url_low:
            out.append(f"{self.source_high} <{self.url_high}>")
        return out


def _pct(x: float) -> str:
    return f"{x * 100:.3g}%"


def contents(run: Runner) -> dict[str, Content]:
    """material id -> Content for every element in the ``magnet_content`` table."""
    df = run("embedded_magnet_content")
    out: dict[str, Content] = {}
    order = {m: i for i, m in enumerate(ORDER)}
    df = df.assign(_o=df["material_id"].map(lambda m: order.get(m, len(order)))).sort_values(["_o", "material_id"])
    for mid, g in df.groupby("material_id", sort=False):
        b = {r.bound: r for r in g.itertuples()}
        if "low" not in b or "high" not in b:
            continue
        lo, hi = b["low"], b["high"]
        out[str(mid)] = Content(str(mid), str(lo.element), float(lo.share), float(hi.share), str(lo.basis),
                                str(hi.basis), str(lo.source), str(hi.source), str(lo.url), str(hi.url))
    return out


def content_for(material: str, run: Runner) -> Content | None:
    """The content range of an element (any form: ``dysprosium``), or None when the route does not
    apply (not an element with a magnet-content figure)."""
    try:
        mid = catalog.resolve_material(material)
    except catalog.CatalogError:
        return None
    return contents(run).get(mid)


def applies(material: str, run: Runner) -> bool:
    return content_for(material, run) is not None


def basis(c: Content) -> str:
    """The sentence every embedded figure carries: route, content range, proxy caveat."""
    return (f"{LABEL}: {catalog.materials()[c.material_id].name.split(' (')[0]} {ROUTE} = HS 850511 tonnes × "
            f"{c.range_label} (low–high). HS 850511 is all metal magnets (NdFeB, SmCo, AlNiCo), used as a proxy "
            "for NdFeB, so the tonnes are an upper bound on NdFeB; the same content is assumed for every supplier.")


def _require(material: str, run: Runner) -> Content:
    c = content_for(material, run)
    if c is None:
        have = ", ".join(sorted(contents(run)))
        raise EmbeddedError(f"no magnet-content figure for {material!r}; elements estimated through magnet "
                            f"imports: {have}")
    return c


def _trade_year(year: int | None, run: Runner) -> int:
    hs6 = catalog.materials()[CARRIER].hs6
    cov = run("exposure_trade_coverage")
    years = sorted({int(y) for y in cov.loc[cov["hs6"].isin(hs6), "year"]})
    if not years:
        raise EmbeddedError(f"no {CARRIER} (HS {', '.join(hs6)}) trade data in this dataset")
    if year is None:
        return years[-1]
    if int(year) not in years:
        raise EmbeddedError(f"no magnet trade data for {year}; years with data: {', '.join(map(str, years))}")
    return int(year)


def imports(material: str, *, year: int | None = None, run: Runner) -> pd.DataFrame:
    """Every importer's embedded tonnes of the element, by supplier.

    Columns: importer, supplier (ISO3 or ROW), magnet_t (HS 850511 t), low_t, high_t (t of the
    element), share (supplier's share of the importer's magnet tonnes), year."""
    c = _require(material, run)
    yr = _trade_year(year, run)
    f = run("cover_supplier_quantities", hs6_list=list(catalog.materials()[CARRIER].hs6), year=yr)
    f = f[~f["importer"].isin(NOT_HOLDERS) & f["quantity_t"].notna()]
    return pd.DataFrame({
        "importer": f["importer"], "supplier": f["supplier"], "magnet_t": f["quantity_t"].astype(float),
        "low_t": f["quantity_t"].astype(float) * c.low, "high_t": f["quantity_t"].astype(float) * c.high,
        "share": f["share"].astype(float), "year": yr}).reset_index(drop=True)


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _content_doc(c: Content) -> dict[str, Any]:
    return {"element": c.element, "low": c.low, "high": c.high, "unit": "share of magnet weight",
            "basis_low": c.basis_low, "basis_high": c.basis_high,
            "source_low": c.source_low, "url_low": c.url_low, "source_high": c.source_high, "url_high": c.url_high}


def exposure_json(importer: str, material: str, *, year: int | None = None, basis_: str = "value",
                  run: Runner) -> dict[str, Any]:
    """``exposure --format json`` for an element through the magnets that carry it: the magnet
    exposure's shares (the content cancels in shares) plus embedded tonnes, low and high."""
    c = _require(material, run)
    yr = _trade_year(year, run)
    exp = exposure.exposure(importer, CARRIER, year=yr, basis=basis_, run=run)
    doc = exposure.to_json(exp)
    carrier = {k: doc[k] for k in ("material", "material_label", "hs6")}
    carrier["scope_note"] = proxy_note()
    magnet_t = sum(s["quantity_t"] or 0.0 for s in doc["suppliers"])
    name = catalog.materials()[c.material_id].name.split(" (")[0]
    doc.update({
        "material": c.material_id,
        "material_label": f"{name} {ROUTE} (HS 850511 proxy; {LABEL})",
        "estimate": True, "route": ROUTE, "carrier": carrier, "content": _content_doc(c),
        "scope_note": proxy_note(),
        "basis_note": basis(c),
        "magnet_import_t": _num(magnet_t),
        "embedded_import_t_low": _num(magnet_t * c.low), "embedded_import_t_high": _num(magnet_t * c.high),
        "import_reliance": None,
        "import_reliance_state": "not computed: element content of magnets only (no element consumption figure)",
        "sources": c.sources(),
    })
    for s in doc["suppliers"]:
        q = s["quantity_t"]
        s["embedded_t_low"] = None if q is None else q * c.low
        s["embedded_t_high"] = None if q is None else q * c.high
    doc["notes"] = [basis(c)] + list(doc["notes"])
    return doc


def cover_json(country: str, material: str, regime: Regime, *, year: int | None = None,
               industry_months: float = DEFAULT_STOCK_MONTHS, stock_t: float | None = None,
               run: Runner) -> dict[str, Any]:
    """``cover --format json`` for an element through the magnets that carry it.

    Stock in months of use: months of cover are those of the magnets (content cancels); use and
    stock are given in tonnes of the element, low and high. Stock in tonnes of the element
    (``stock_t``): the magnet-equivalent stock is stock_t / content, so the high content gives the
    low months and the low content the high months."""
    from . import scenarios

    c = _require(material, run)
    if stock_t is not None and not (math.isfinite(stock_t) and stock_t >= 0):
        raise EmbeddedError(f"stock in tonnes must be a number >= 0, not {stock_t!r}")
    # stock in tonnes of the element -> magnet tonnes: high content gives the low months, low content the
    # high months (no bound when the range starts at 0%)
    stock_lo_content = None if stock_t is None or c.low <= 0 else stock_t / c.low
    if stock_t is None:
        base = scenarios.cover_json(country, CARRIER, regime, year=year, industry_months=industry_months, run=run)
        hi = None
    else:
        base = scenarios.cover_json(country, CARRIER, regime, year=year, stock_t=stock_t / c.high, run=run)
        hi = (scenarios.cover_json(country, CARRIER, regime, year=year, stock_t=stock_lo_content, run=run)
              if stock_lo_content is not None else None)
    i = base["inputs"]
    name = catalog.materials()[c.material_id].name.split(" (")[0]
    use = i["use_t_per_month"]
    doc = dict(base)
    doc.update({
        "material": c.material_id, "estimate": True, "route": ROUTE,
        "carrier": {"material": CARRIER, "hs6": list(catalog.materials()[CARRIER].hs6),
                    "scope_note": proxy_note(),
                    "months_of_cover": base["months_of_cover"], "stock_t": i["stock_t"], "use_t_per_month": use},
        "content": _content_doc(c), "basis_note": basis(c),
        "embedded": {
            "use_t_per_month_low": None if use is None else use * c.low,
            "use_t_per_month_high": None if use is None else use * c.high,
            "stock_t_low": stock_t if stock_t is not None else (None if i["stock_t"] is None else i["stock_t"] * c.low),
            "stock_t_high": stock_t if stock_t is not None else (None if i["stock_t"] is None
                                                                  else i["stock_t"] * c.high),
            "unit": f"t of {name}"},
    })
    if stock_t is None:
        doc["months_of_cover_low"] = doc["months_of_cover_high"] = base["months_of_cover"]
        doc["months_basis"] = ("stock in months of use: months of cover are those of the magnets that carry the "
                               "element (the content range cancels)")
    else:
        doc["months_of_cover_low"] = base["months_of_cover"]
        doc["months_of_cover_high"] = hi["months_of_cover"] if hi is not None else None
        doc["state_low"] = base["state"]
        doc["state_high"] = hi["state"] if hi is not None else "not bounded: the content range starts at 0"
        doc["months_of_cover"] = None  # a range, not a point: see months_of_cover_low/high
        doc["months_basis"] = (f"stock of {stock_t:,.0f} t of {name} = {stock_t / c.high:,.0f} t of magnets at "
                               f"{_pct(c.high)} (low months) to "
                               + (f"{stock_lo_content:,.0f} t at {_pct(c.low)} (high months)"
                                  if stock_lo_content is not None else "no bound at 0% content"))
        doc["stock_basis"] = f"evidence: user-set stock of {stock_t:,.0f} t of {name}"
    doc["sources"] = c.sources() + list(i["sources"])
    return doc


def country_table(country: str, *, year: int | None = None, run: Runner) -> pd.DataFrame:
    """One row per element with a content figure: the country's embedded imports (t, low/high),
    China's direct share of the magnet tonnes, the content range and its sources (the pages' table)."""
    iso = catalog.country_iso3(country)
    rows = []
    for mid, c in contents(run).items():
        d = imports(mid, year=year, run=run)
        d = d[d["importer"] == iso]
        if d.empty:
            continue
        magnet_t = float(d["magnet_t"].sum())
        chn = float(d.loc[d["supplier"] == "CHN", "magnet_t"].sum())
        rows.append({"element": c.element, "material_id": mid,
                     "material_name": catalog.materials()[mid].name.split(" (")[0],
                     "magnet_t": magnet_t, "embedded_t_low": magnet_t * c.low, "embedded_t_high": magnet_t * c.high,
                     "china_share_direct": chn / magnet_t if magnet_t > 0 else math.nan,
                     "content": c.range_label, "label": LABEL, "route": ROUTE,
                     "source": "; ".join(c.sources()), "year": int(d["year"].iloc[0])})
    return pd.DataFrame(rows, columns=["element", "material_id", "material_name", "magnet_t", "embedded_t_low",
                                       "embedded_t_high", "china_share_direct", "content", "label", "route",
                                       "source", "year"])
