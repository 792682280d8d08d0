"""Stage 4 of the stockpile CSV reader: each row's cells. Text cells are checked (control
characters, formula-like site names) and resolved through the catalogue (materials, countries,
units); numeric cells are classified under both decimal conventions for stage 5."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from chokepoint import catalog
from chokepoint.csv_issue import Issue, _show
from chokepoint.csv_numbers import _SPACES, AMBIGUOUS_UNITS, CANONICAL_UNITS, UNITS, _classify, _Num
from chokepoint.csv_rules import _FORMULA_START, DEFAULT_SITE, KNOWN_COLUMNS, NUMERIC_COLUMNS


@dataclass
class _Row:
    row: int
    site: str
    site_country: str | None
    material_id: str | None
    material_input: str
    unit: Decimal | None
    on_hand: float | None = None         # tonnes
    monthly_use: float | None = None     # tonnes
    share: float | None = None
    supplier_country: str | None = None
    bad: set[str] = field(default_factory=set)   # columns with an error in this row


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_char(text: str) -> bool:
    return _CONTROL.search(text) is not None

class _Lookup:
    """Catalogue look-ups, cached per file (an upload repeats the same names on many rows)."""

    def __init__(self) -> None:
        self._materials: dict[str, tuple[str | None, Issue | None]] = {}
        self._countries: dict[str, tuple[str | None, Issue | None]] = {}

    def material(self, row: int, text: str) -> tuple[str | None, Issue | None]:
        if text not in self._materials:
            try:
                self._materials[text] = (catalog.resolve_material(text), None)
            except catalog.CatalogError as e:
                self._materials[text] = (None, Issue(0, "material", f"unknown material {_show(text)}",
                                                     e.suggestions[0] if e.suggestions else None))
        mid, err = self._materials[text]
        return mid, (None if err is None else Issue(row, "material", err.message, err.suggestion))

    def country(self, row: int, column: str, text: str) -> tuple[str | None, Issue | None]:
        if text == "":
            return None, None
        if text not in self._countries:
            try:
                self._countries[text] = (catalog.country_iso3(text), None)
            except catalog.CatalogError as e:
                self._countries[text] = (None, Issue(0, column, f"unknown country {_show(text)}",
                                                     e.suggestions[0] if e.suggestions else None))
        iso, err = self._countries[text]
        return iso, (None if err is None else Issue(row, column, err.message, err.suggestion))


#: Cells a spreadsheet stored as numbers: (row, column index) -> exact value. They need no
#: decimal convention; ``_numeric_cells`` stores them as they are (chokepoint/stockpile_xlsx.py).
Typed = dict[tuple[int, int], Decimal]


def _read_cells(raw_rows: list[tuple[int, list[str]]], cols: dict[str, int], typed: Typed | None = None
                ) -> tuple[list[_Row], list[_Num], list[Issue], list[Issue]]:
    """Every readable row's text cells resolved and numeric cells classified:
    (rows, numeric cells, errors, warnings)."""
    known_idx = [(name, cols[name]) for name in KNOWN_COLUMNS if name in cols]
    lookup = _Lookup()
    rows: list[_Row] = []
    nums: list[_Num] = []
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for row_no, rec in raw_rows:
        if not rec:
            continue
        n_rec = len(rec)
        vals = {name: (rec[i].strip(_SPACES + "\t") if i < n_rec else "") for name, i in known_idx}
        r = _Row(row_no, vals.get("site") or DEFAULT_SITE, None, None, vals.get("material", ""), None)
        errors += _text_issues(r, vals, warnings)
        errors += _material_issues(r, lookup)
        errors += _unit_issues(r, vals.get("unit", ""))
        errors += _country_issues(r, vals, lookup)
        row_nums, row_errors = _numeric_cells(r, vals, "unit" in cols,
                                              {name: typed[(row_no, cols[name])] for name in NUMERIC_COLUMNS
                                               if (row_no, cols.get(name, -1)) in typed} if typed else None)
        nums += row_nums
        errors += row_errors
        rows.append(r)
    return rows, nums, errors, warnings


def _text_issues(r: _Row, vals: dict[str, str], warnings: list[Issue]) -> list[Issue]:
    """Control characters anywhere, formula-like or overlong site names (warnings appended)."""
    errors: list[Issue] = []
    if _control_char("".join(vals.values())):
        for name, v in vals.items():
            if _control_char(v):
                errors.append(Issue(r.row, name, "contains a control character or line break"))
                r.bad.add(name)
    if "site" not in r.bad and r.site.startswith(_FORMULA_START):
        warnings.append(Issue(r.row, "site", f"{_show(r.site)} looks like a spreadsheet formula; "
                                             "it is kept as text (exports neutralise it)"))
    if len(r.site) > 200:
        errors.append(Issue(r.row, "site", "site name is longer than 200 characters"))
        r.bad.add("site")
    return errors


def _material_issues(r: _Row, lookup: _Lookup) -> list[Issue]:
    if "material" in r.bad:
        return []
    if r.material_input == "":
        r.bad.add("material")
        return [Issue(r.row, "material", "material is empty")]
    r.material_id, err = lookup.material(r.row, r.material_input)
    if err is None:
        return []
    r.bad.add("material")
    return [err]


def _unit_issues(r: _Row, written: str) -> list[Issue]:
    """Sets ``r.unit`` (tonnes per unit) or returns why the unit cannot be read."""
    u = re.sub(r"\s+", " ", written.lower()).rstrip(".")
    if u == "":
        r.unit = Decimal(1)
    elif u in UNITS:
        r.unit = UNITS[u]
    elif "unit" not in r.bad:
        r.bad.add("unit")
        if u in AMBIGUOUS_UNITS:
            return [Issue(r.row, "unit", f"{AMBIGUOUS_UNITS[u]}; use t, kg, g or lb", "t")]
        close = difflib.get_close_matches(u, list(UNITS), n=1, cutoff=0.5)
        sugg = next(c for c in CANONICAL_UNITS if UNITS[c] == UNITS[close[0]]) if close else None
        return [Issue(r.row, "unit", f"unknown unit {_show(written)}; use t, kg, g or lb", sugg)]
    return []


def _country_issues(r: _Row, vals: dict[str, str], lookup: _Lookup) -> list[Issue]:
    errors: list[Issue] = []
    for name in ("site_country", "supplier_country"):
        if name in r.bad:
            continue
        text = vals.get(name, "")
        iso, err = lookup.country(r.row, name, text)
        setattr(r, name, iso)
        if err is not None:
            errors.append(err)
        if text and iso is None:
            r.bad.add(name)
    return errors


def _numeric_cells(r: _Row, vals: dict[str, str], unit_col: bool, typed: dict[str, Decimal] | None = None
                   ) -> tuple[list[_Num], list[Issue]]:
    """The row's numeric cells classified under both conventions, and the cells that are no number.
    ``typed``: cells the spreadsheet stored as numbers, stored exactly (no convention to decide)."""
    from chokepoint.csv_convention import _store_value  # (csv_convention imports this module)
    nums: list[_Num] = []
    errors: list[Issue] = []
    for name in NUMERIC_COLUMNS:
        t = vals.get(name, "")
        if t == "" or name in r.bad:
            continue
        if typed and name in typed:
            v = typed[name]
            issue = _store_value(r, name, v, _Num(r.row, name, t, v < 0, False, abs(v), abs(v)))
            if issue is not None:
                errors.append(issue)
                r.bad.add(name)
            continue
        c = _classify(r.row, name, t, unit_col)
        if isinstance(c, Issue):
            errors.append(c)
            r.bad.add(name)
        elif c.percent and name != "supplier_share":
            errors.append(Issue(r.row, name, f"{_show(t)}: a percentage is only allowed in "
                                             "'supplier_share'"))
            r.bad.add(name)
        else:
            nums.append(c)
    return nums, errors
