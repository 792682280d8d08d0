"""Stage 5 of the stockpile CSV reader: the file's number convention decided from the cells that
show it (chokepoint/csv_numbers.py), then each value checked and stored on its row in tonnes or
as a 0-1 share."""
from __future__ import annotations

import math
from decimal import Decimal

from chokepoint.csv_cells import _Row
from chokepoint.csv_issue import Issue, _show
from chokepoint.csv_numbers import _BETWEEN_DIGITS, CANONICAL_UNITS, UNITS, _Num, _plain, _resolve_numbers, _sig_digits
from chokepoint.csv_rules import MAX_QUANTITY_T, MAX_SIG_DIGITS


def _apply_numbers(rows: list[_Row], nums: list[_Num]) -> tuple[str | None, tuple[str, ...], list[Issue],
                                                               tuple[int, str, str] | None]:
    """Decide the file's convention, store each value on its row: (decimal, thousands, errors,
    the (row, column, text) of the cell the convention was inferred from)."""
    values, errors, decimal, source = _resolve_numbers(nums)
    by_row = {r.row: r for r in rows}
    for e in errors:   # number issues always name their cell
        by_row[e.row or 0].bad.add(e.column or "")
    thousands: list[str] = []
    for n in nums:
        if (n.row, n.column) in values:
            for ch in _BETWEEN_DIGITS.findall(n.text):
                if ch != decimal and ch not in thousands and not (decimal is None and n.kind == "neutral" and ch in ".,"):
                    thousands.append(ch)
    num_of = {(n.row, n.column): n for n in nums}
    for (row_no, name), v in values.items():
        issue = _store_value(by_row[row_no], name, v, num_of[(row_no, name)])
        if issue is not None:
            errors.append(issue)
            by_row[row_no].bad.add(name)
    decided_by = (source.row, source.column, source.text) if source is not None and decimal else None
    return decimal, tuple(thousands), errors, decided_by


def _store_value(r: _Row, name: str, v: Decimal, num: _Num) -> Issue | None:
    """Check a number and set it on the row (tonnes or a 0-1 share); the Issue when it is unusable."""
    text = num.text
    if v < 0:
        return Issue(r.row, name, f"{_show(text)} is negative; {name} must be >= 0")
    if _sig_digits(v) > MAX_SIG_DIGITS:
        return Issue(r.row, name, f"{_show(text)} has more than {MAX_SIG_DIGITS} significant "
                                  "digits and cannot be stored exactly")
    if name == "supplier_share":
        return _store_share(r, v, num)
    if r.unit is None:
        return None
    f = float(v * r.unit) + 0.0
    if f == 0 and v != 0:
        return Issue(r.row, name, f"{_show(text)} is too small to store; write 0 or a larger unit")
    if not math.isfinite(f) or f > MAX_QUANTITY_T:
        return Issue(r.row, name, f"{_show(text)} {_unit_name(r.unit)} is implausibly large "
                                  f"(more than {MAX_QUANTITY_T:,.0f} t); check the number and unit")
    setattr(r, name, f)
    return None


def _store_share(r: _Row, v: Decimal, num: _Num) -> Issue | None:
    name, text = "supplier_share", num.text
    if num.percent:
        if v > 100:
            return Issue(r.row, name, f"share {_show(text)} is over 100%")
        v = v / 100
    elif v > 1:
        sugg = f"{_plain(v)}%" if v <= 100 else None
        return Issue(r.row, name, f"share {_show(text)} is above 1; write shares as 0–1 "
                                  "(0.8) or as a percentage (80%)", sugg)
    r.share = float(v) + 0.0
    return None


def _unit_name(u: Decimal) -> str:
    return next(c for c in CANONICAL_UNITS if UNITS[c] == u)
