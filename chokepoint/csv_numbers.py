"""Numbers and units in spreadsheet cells, read exactly: a cell's possible readings (decimal point
or comma, thousands separators, exponents), the file's convention decided from the cells that show
it, and unit spellings in tonnes. Part of the stockpile CSV reader (chokepoint/stockpile_csv.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from chokepoint.csv_issue import Issue, _show

_SPACES = " \u00a0\u202f"

#: Unit spellings -> tonnes per unit (exact decimals).
UNITS: dict[str, Decimal] = {
    "t": Decimal(1), "tonne": Decimal(1), "tonnes": Decimal(1), "metric ton": Decimal(1),
    "metric tons": Decimal(1), "metric tonne": Decimal(1), "metric tonnes": Decimal(1),
    "kg": Decimal("0.001"), "kgs": Decimal("0.001"), "kilogram": Decimal("0.001"),
    "kilograms": Decimal("0.001"),
    "g": Decimal("0.000001"), "gram": Decimal("0.000001"), "grams": Decimal("0.000001"),
    "lb": Decimal("0.00045359237"), "lbs": Decimal("0.00045359237"),
    "pound": Decimal("0.00045359237"), "pounds": Decimal("0.00045359237"),
}
CANONICAL_UNITS = ("t", "kg", "g", "lb")
AMBIGUOUS_UNITS = {
    "ton": "'ton' is ambiguous (short ton 0.907 t, long ton 1.016 t or metric ton)",
    "tons": "'tons' is ambiguous (short ton 0.907 t, long ton 1.016 t or metric ton)",
    "mt": "'mt' is ambiguous (metric ton or megatonne)",
}

# ------------------------------------------------------------------ numbers
_EXP = re.compile(r"^(.*?)[eE]([+-]?\d{1,4})$")
_NONFINITE = re.compile(r"^[+\-−]?(nan|inf|infinity|∞)$", re.I)
_SHEET_ERRORS = re.compile(r"^#(n/a|div/0!|value!|ref!|num!|name\?|null!)$", re.I)
_BETWEEN_DIGITS = re.compile(r"(?<=\d)([.,\u0020\u00a0\u202f])(?=\d)")
_UNIT_INSIDE = re.compile(r"^-?[0-9.,\s\u00a0\u202f]*[0-9][0-9.,\s\u00a0\u202f]*\s*([a-zA-Zµ][a-zA-Zµ .]*?)\.?$")


def _read_as(body: str, dec: str) -> Decimal | None:
    """``body`` (digits and separators, no sign) read with decimal separator ``dec``."""
    thou = "." if dec == "," else ","
    mant, exp = body, 0
    m = _EXP.match(body)
    if m:
        mant, exp = m.group(1), int(m.group(2))
    if mant.count(dec) > 1:
        return None
    int_part, _, frac = mant.partition(dec)
    if dec in mant and (not frac.isdigit() or not frac.isascii()):
        return None
    if int_part == "":
        if dec not in mant:
            return None
        int_part = "0"
    if not (int_part.isdigit() and int_part.isascii()):
        seps = {c for c in int_part if not c.isdigit()}
        if len(seps) != 1 or not seps <= {thou, *_SPACES}:
            return None
        sep = seps.pop()
        if not re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+", int_part):
            return None
        int_part = int_part.replace(sep, "")
    try:
        return Decimal(f"{int_part}.{frac or '0'}").scaleb(exp)
    except InvalidOperation:
        return None


@dataclass
class _Num:
    """A numeric cell, classified under both conventions."""

    row: int
    column: str
    text: str
    negative: bool
    percent: bool
    point: Decimal | None   # read with decimal point
    comma: Decimal | None   # read with decimal comma

    @property
    def kind(self) -> str:
        if self.point is None and self.comma is None:
            return "invalid"
        if self.comma is None:
            return "point"
        if self.point is None:
            return "comma"
        return "neutral" if self.point == self.comma else "ambiguous"


def _classify(row: int, column: str, text: str, unit_col: bool) -> _Num | Issue:
    """A numeric cell classified under both conventions, or the Issue saying why it is no number."""
    c = _classify_text(text, unit_col)
    if c[0] == "err":
        return Issue(row, column, c[1])
    return _Num(row, column, text, *c[1:])


@lru_cache(maxsize=65536)
def _classify_text(text: str, unit_col: bool) -> tuple:
    """("num", negative, percent, point reading, comma reading) or ("err", message); pure, cached."""
    t = text.strip(_SPACES + "\t")
    if _NONFINITE.match(t):
        return ("err", f"{_show(text)} is not a finite number")
    if _SHEET_ERRORS.match(t):
        return ("err", f"{_show(text)} is a spreadsheet error value, not a number")
    percent = t.endswith("%")
    if percent:
        t = t[:-1].rstrip(_SPACES)
    negative = t[:1] in ("-", "−")
    if negative:
        t = t[1:]
    if t and set(t) <= set("0123456789.,eE+-" + _SPACES):
        pt, cm = _read_as(t, "."), _read_as(t, ",")
        if pt is not None or cm is not None:
            return ("num", negative, percent, pt, cm)
    m = _UNIT_INSIDE.match(text.strip(_SPACES))
    if m:
        unit = m.group(1).strip().lower()
        if unit in UNITS or unit in AMBIGUOUS_UNITS or unit in ("tonnes", "tons"):
            number = text.strip(_SPACES)[: m.start(1)].strip(_SPACES)
            where = "the 'unit' column" if unit_col else "a 'unit' column (add one)"
            return ("err", f"{_show(text)} has a unit inside the number: write {number} "
                           f"here and the unit in {where}")
    if text.lstrip().startswith(("=", "@")):
        return ("err", f"{_show(text)} is a formula or text, not a number")
    if re.fullmatch(r"\(\s*[0-9.,\s]+\)", t):
        return ("err", f"{_show(text)} is an accounting negative; quantities must be >= 0")
    return ("err", f"{_show(text)} is not a number")


def _resolve_numbers(nums: list[_Num]) -> tuple[dict[tuple[int, str], Decimal], list[Issue], str | None,
                                                _Num | None]:
    """Decide the file's decimal convention from the evidence: (value per (row, column), errors,
    decimal character, the first cell of the convention, which the preview names)."""
    first, fam_cells = _evidence(nums)
    fam, errors = _decide_family(fam_cells)
    source = fam_cells[fam][0] if fam else None
    values: dict[tuple[int, str], Decimal] = {}
    for n in nums:
        v = _value_of(n, fam)
        if isinstance(v, Issue):
            errors.append(v)
        elif v is not None:
            values[(n.row, n.column)] = -v if n.negative else v
    decimal = {"point": ".", "comma": ","}.get(fam) if fam else None
    if decimal is None and any(k[1] == "decimal" for k in first):
        decimal = next(k[0] for k in first if k[1] == "decimal")
    return values, errors, decimal, source


def _evidence(nums: list[_Num]) -> tuple[dict[tuple[str, str], _Num], dict[str, list[_Num]]]:
    """(first cell showing each (character, role), cells readable under one convention only)."""
    first: dict[tuple[str, str], _Num] = {}     # (char, role) -> first cell showing it
    fam_cells: dict[str, list[_Num]] = {"point": [], "comma": []}
    for n in nums:
        k = n.kind
        if k not in ("point", "comma"):
            continue
        fam_cells[k].append(n)
        dec, thou = (".", ",") if k == "point" else (",", ".")
        if dec in n.text:
            first.setdefault((dec, "decimal"), n)
        if thou in n.text:
            first.setdefault((thou, "thousands"), n)
    return first, fam_cells


def _decide_family(fam_cells: dict[str, list[_Num]]) -> tuple[str | None, list[Issue]]:
    """The file's convention ("point", "comma" or None) and an error on each cell of the minority."""
    p, c = fam_cells["point"], fam_cells["comma"]
    if not (p and c):
        return ("point" if p else "comma" if c else None), []
    major, minor = (p, c) if (len(p), -p[0].row) >= (len(c), -c[0].row) else (c, p)
    fam = "point" if major is p else "comma"
    ref = major[0]
    conv = {"point": "a decimal point", "comma": "a decimal comma"}
    return fam, [Issue(n.row, n.column,
                       f"{_show(n.text)} is written with {conv['comma' if fam == 'point' else 'point']} "
                       f"but row {ref.row} ({_show(ref.text)}) uses {conv[fam]}; "
                       "use one number format in the whole file") for n in minor]


def _value_of(n: _Num, fam: str | None) -> Decimal | Issue | None:
    """The cell's unsigned value under the file's convention; None for a minority cell (already
    an error); an Issue for an ambiguous cell the file does not settle."""
    k = n.kind
    if k == "neutral":
        return n.point
    if k in ("point", "comma"):
        if fam is not None and k != fam:
            return None
        return n.point if k == "point" else n.comma
    # ambiguous: a single "," or "." followed by three digits. Another cell of the file that
    # reads under one convention only settles it ("50.000" is 50000 beside "12,0"; "1,234" is
    # 1.234 beside "12,5"); with no such cell nothing decides it and it is an error.
    if fam is None:
        return _ambiguous(n, "," if "," in n.text else ".", fam)
    return n.point if fam == "point" else n.comma


def _ambiguous(n: _Num, ch: str, fam: str | None) -> Issue:
    whole, frac = (n.point, n.comma) if ch == "," else (n.comma, n.point)
    body = n.text.strip(_SPACES + "%")
    if fam is None:
        alt = f"{body}0 (a decimal)"
    else:
        sep = "." if fam == "point" else ","
        alt = f"{_plain(frac).replace('.', sep)} (a decimal, written as elsewhere in this file)"
    return Issue(n.row, n.column,
                 f"{_show(n.text)} is ambiguous: it could be {_plain(whole)} or "
                 f"{_plain(frac)}; write {_plain(whole)} (a whole number) or {alt}")


def _plain(d: Decimal | None) -> str:
    return "?" if d is None else format(d.normalize(), "f")


def _sig_digits(d: Decimal) -> int:
    return len(d.normalize().as_tuple().digits)

