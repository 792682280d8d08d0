"""The catalogue: materials, groups, HS codes and countries.

One place for every name a user, a rule or a data file may use:

* material ids, names and synonyms (``data/sources/materials.csv``) -> ``resolve_material``
* rule selectors (element ids, group names, form ids) -> ``expand_selector``
* HS codes (``data/sources/hs_codes.csv``) -> ``hs_codes``
* countries (ISO2, ISO3, English names; pycountry) -> ``country_iso3`` / ``country_name``

Pure: no Streamlit, no DuckDB. The CSVs are the curated source of truth; ``data build``
copies them into parquet for the query layer.
"""
from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry


def _root() -> Path:
    """The folder holding data/ and queries/: the repository, or (``pip install .``) the copy
    bundled inside the package as chokepoint/_bundle/ (see pyproject.toml)."""
    here = Path(__file__).resolve().parent
    if (here.parent / "data").is_dir() and (here.parent / "queries").is_dir():
        return here.parent
    return here / "_bundle"


ROOT = _root()
SOURCES = ROOT / "data" / "sources"

GROUPS = ("rare_earths", "titanium", "magnesium")
#: Selector names that cover a whole group or subgroup.
GROUP_SELECTORS = (
    "rare_earths", "light_rare_earths", "heavy_rare_earths", "magnets",
    "titanium", "magnesium",
)
FORMS = ("element", "ore", "slag", "compound", "metal", "alloy", "powder", "magnet")

#: Codes that are not countries but appear in trade data.
SPECIAL_AREAS = {
    "ROW": "Rest of world",
    "WLD": "World",
    "EUN": "European Union",
}
#: BACI / UN codes that are not ISO 3166 alpha-3, mapped to ISO3 with the reason.
NON_ISO_CODES = {"S19": ("TWN", "BACI 'Other Asia, nes' is Taiwan")}
_EXTRA_NAMES = {
    "taiwan": "TWN", "chinese taipei": "TWN", "other asia, nes": "TWN",
    "south korea": "KOR", "korea": "KOR", "republic of korea": "KOR", "north korea": "PRK",
    "russia": "RUS", "burma": "MMR", "myanmar": "MMR", "vietnam": "VNM", "viet nam": "VNM",
    "iran": "IRN", "turkey": "TUR", "turkiye": "TUR", "türkiye": "TUR", "laos": "LAO",
    "czech republic": "CZE", "czechia": "CZE", "uk": "GBR", "great britain": "GBR",
    "united kingdom": "GBR", "england": "GBR", "usa": "USA", "us": "USA", "u.s.": "USA",
    "united states": "USA", "united states of america": "USA", "america": "USA",
    "hong kong": "HKG", "macau": "MAC", "macao": "MAC", "bolivia": "BOL", "venezuela": "VEN",
    "tanzania": "TZA", "syria": "SYR", "moldova": "MDA", "ivory coast": "CIV",
    "cote d'ivoire": "CIV", "dr congo": "COD", "drc": "COD", "democratic republic of the congo": "COD",
    "republic of the congo": "COG", "uae": "ARE", "emirates": "ARE", "holland": "NLD",
    "the netherlands": "NLD", "kosovo": "XKX", "eu": "EUN", "european union": "EUN",
    "rest of world": "ROW", "world": "WLD",
}


class CatalogError(ValueError):
    """A name that the catalogue does not know; ``suggestions`` are the closest valid names."""

    def __init__(self, kind: str, text: str, suggestions: list[str]):
        self.kind, self.text, self.suggestions = kind, text, suggestions
        hint = f" — did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        from .safe_input import show  # bounded echo: the text may be a hostile upload's value
        super().__init__(f"unknown {kind} {show(text)}{hint}")


@dataclass(frozen=True)
class Material:
    material_id: str
    name: str
    group: str
    subgroup: str
    form: str
    elements: tuple[str, ...]
    hs6: tuple[str, ...]
    synonyms: tuple[str, ...]
    note: str

    @property
    def short_name(self) -> str:
        """The name without its bracketed qualifier: "Metal permanent magnets" for
        "Metal permanent magnets (HS 850511, all types)"; titles and tables use it."""
        return short_name(self.name)


@dataclass(frozen=True)
class Element:
    element_id: str
    symbol: str
    rare_earth_class: str  # light | heavy


def short_name(name: str) -> str:
    """A catalogue or regime name without its bracketed qualifier (the one rule for short names)."""
    return str(name).split(" (")[0]


def _norm(text: str) -> str:
    """Case-, space- and hyphen-insensitive key for names and synonyms."""
    text = str(text).strip().lower().replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", text)


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(SOURCES / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def materials() -> dict[str, Material]:
    """All catalogue materials by id, in file order."""
    out: dict[str, Material] = {}
    for r in _read_csv("materials.csv"):
        out[r["material_id"]] = Material(
            material_id=r["material_id"], name=r["name"], group=r["group"],
            subgroup=r["subgroup"], form=r["form"],
            elements=tuple(x for x in r["elements"].split("|") if x),
            hs6=tuple(x for x in r["hs6"].split("|") if x),
            synonyms=tuple(x for x in r["synonyms"].split("|") if x),
            note=r["note"],
        )
    return out


@lru_cache(maxsize=1)
def elements() -> dict[str, Element]:
    """The 17 rare-earth elements, from their element-level catalogue rows."""
    return {
        m.material_id: Element(m.material_id, m.elements[0], m.subgroup.split("_")[0])
        for m in materials().values() if m.form == "element"
    }


@lru_cache(maxsize=1)
def hs_codes() -> dict[str, dict[str, str]]:
    """HS6 code -> {description, material_id (the material whose scope is exactly that line), caveat}."""
    return {r["hs6"]: r for r in _read_csv("hs_codes.csv")}


def proxy_lines(material_id: str) -> tuple[tuple[str, str], ...]:
    """(HS code, what the line covers) for each HS line that measures the material only as a proxy.

    A material is measured exactly when one of its lines is declared as its own in hs_codes.csv
    (``material_id`` of the line = the material; a material spanning several lines, like mixed
    rare-earth compounds, owns at least one). Otherwise every line it maps to is wider than it:
    NdFeB magnets are measured by HS 850511 (all metal magnets), titanium sponge by all of HS 810820.
    """
    codes = hs_codes()
    mat = materials().get(material_id)
    if mat is None or any(codes.get(h, {}).get("material_id") == material_id for h in mat.hs6):
        return ()
    return tuple((h, codes[h].get("scope", "") or codes[h]["description"]) for h in mat.hs6 if h in codes)


def scope_note(material_id: str) -> str:
    """One sentence for headings, subtitles, exports and JSON when the HS line is wider than the
    material ("HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"); ""
    when the material is measured exactly (or is not in the catalogue)."""
    lines = proxy_lines(material_id)
    if not lines:
        return ""
    where = "; ".join(f"HS {h}, {what}" for h, what in lines)
    return f"{where} — used as a proxy for {materials()[material_id].short_name}"


@lru_cache(maxsize=1)
def _material_index() -> dict[str, str]:
    idx: dict[str, str] = {}
    for m in materials().values():
        for key in (m.material_id, m.name, *m.synonyms):
            idx.setdefault(_norm(key), m.material_id)
    return idx


def resolve_material(text: str) -> str:
    """Material id for an id, name or synonym (case-insensitive); CatalogError with suggestions."""
    key = _norm(text)
    idx = _material_index()
    if key in idx:
        return idx[key]
    close = difflib.get_close_matches(key, list(idx), n=6, cutoff=0.6)
    seen: dict[str, str] = {}  # one suggestion per material, spelled as the user would type it
    for c in close:
        seen.setdefault(idx[c], c)
    spelled = list(seen.values())[:3]
    raise CatalogError("material", text, spelled)


def selector_names() -> list[str]:
    """Every name a regime rule may use: element ids, group selectors, material ids."""
    return sorted(set(GROUP_SELECTORS) | set(elements()) | set(materials()))


def expand_selector(name: str) -> frozenset[str]:
    """Material ids covered by a rule selector.

    * a group selector covers every material in that group or subgroup
      (``light_rare_earths`` / ``heavy_rare_earths`` cover single-element materials of that class;
      ``magnets`` covers every magnet form);
    * an element id (``dysprosium``) covers every single-element form of it: the element row,
      its oxide/compounds and its metal. Mixed products (HS lines, NdFeB magnets) are not covered:
      name them or their group;
    * any other material id covers that material alone.
    """
    key = _norm(name).replace(" ", "_")
    mats = materials()
    if key in GROUP_SELECTORS:
        if key == "magnets":
            return frozenset(m.material_id for m in mats.values() if m.form == "magnet")
        if key in GROUPS:
            return frozenset(m.material_id for m in mats.values() if m.group == key)
        return frozenset(m.material_id for m in mats.values() if m.subgroup == key)
    if key in elements():
        sym = elements()[key].symbol
        return frozenset(m.material_id for m in mats.values() if m.elements == (sym,))
    if key in mats:
        return frozenset({key})
    close = difflib.get_close_matches(key, selector_names(), n=3, cutoff=0.6)
    raise CatalogError("material", name, close)


# ---------------------------------------------------------------- countries
@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    idx: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_3", "alpha_2", "name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                idx.setdefault(_norm(v), c.alpha_3)
    for k, v in _EXTRA_NAMES.items():
        idx[_norm(k)] = v
    for code, (iso3, _why) in NON_ISO_CODES.items():
        idx[_norm(code)] = iso3
    for code in SPECIAL_AREAS:
        idx[_norm(code)] = code
    idx[_norm("xkx")] = "XKX"
    return idx


def is_iso3(code: str) -> bool:
    """True for an ISO 3166-1 alpha-3 code or one of the special areas (ROW, WLD, EUN)."""
    return code in SPECIAL_AREAS or code == "XKX" or pycountry.countries.get(alpha_3=code) is not None


def country_iso3(text: str) -> str:
    """ISO3 for an ISO2, ISO3 or English name (``"NA"`` is Namibia); CatalogError otherwise."""
    if text is None or str(text).strip() == "":
        raise CatalogError("country", str(text or ""), [])
    key = _norm(text)
    idx = _country_index()
    if key in idx:
        return idx[key]
    close = difflib.get_close_matches(key, list(idx), n=3, cutoff=0.75)
    names = []
    for c in close:
        label = country_name(idx[c])
        if label not in names:
            names.append(label)
    raise CatalogError("country", str(text), names)


@lru_cache(maxsize=512)
def country_name(iso3: str) -> str:
    """Short English name for an ISO3 code (or the special area's label)."""
    if iso3 in SPECIAL_AREAS:
        return SPECIAL_AREAS[iso3]
    if iso3 == "XKX":
        return "Kosovo"
    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        return iso3
    return getattr(c, "common_name", None) or c.name


EU27 = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",
)
