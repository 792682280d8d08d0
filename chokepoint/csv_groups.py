"""Stage 6 of the stockpile CSV reader: rows with the same (site, material) are that material's
supply lines. Quantities come from the first row, a site has one country, shares default, must
all be given, and sum to at most 1 (rounding up to 1.01 scaled away)."""
from __future__ import annotations

import math

from chokepoint.csv_cells import _Row
from chokepoint.csv_issue import Issue, _show
from chokepoint.csv_rules import SHARE_SUM_TOLERANCE


def _group_lines(rows: list[_Row]) -> tuple[list[tuple], list[Issue], list[Issue]]:
    """Rows grouped by (site, material): (supply lines in row order, errors, warnings)."""
    site_country, errors = _site_countries(rows)
    warnings: list[Issue] = []
    groups: dict[tuple[str, str], list[_Row]] = {}
    for r in rows:
        if r.material_id is not None:
            groups.setdefault((r.site, r.material_id), []).append(r)
    for (site, mat), grp in groups.items():
        what = f"site {_show(site)}, material {mat!r}"
        errors += _group_quantities(grp, what)
        if any("supplier_share" in r.bad for r in grp):
            continue
        errs, warns = _group_shares(grp, what)
        errors += errs
        warnings += warns
    lines: list[tuple] = []
    for (site, mat), grp in groups.items():
        head = grp[0]
        sc = site_country.get(site, (None, 0))[0]
        for r in grp:
            lines.append((site, sc, mat, r.material_input, head.on_hand, head.monthly_use,
                          r.supplier_country, r.share, r.row))
    lines.sort(key=lambda x: x[-1])
    return lines, errors, warnings


def _site_countries(rows: list[_Row]) -> tuple[dict[str, tuple[str, int]], list[Issue]]:
    """(site -> (country, first row giving it), conflicts)."""
    site_country: dict[str, tuple[str, int]] = {}
    errors: list[Issue] = []
    for r in rows:
        if r.site_country is not None:
            prev = site_country.setdefault(r.site, (r.site_country, r.row))
            if prev[0] != r.site_country:
                errors.append(Issue(r.row, "site_country",
                                    f"site {_show(r.site)} is in {r.site_country} here but in {prev[0]} "
                                    f"in row {prev[1]}; a site has one country"))
    return site_country, errors


def _group_quantities(grp: list[_Row], what: str) -> list[Issue]:
    """on_hand and monthly_use come from the group's first row; later rows may only repeat them."""
    head = grp[0]
    errors: list[Issue] = []
    for name in ("on_hand", "monthly_use"):
        if name in head.bad:
            continue
        v0 = getattr(head, name)
        if v0 is None:
            if head.unit is not None:
                errors.append(Issue(head.row, name, f"{name} is empty; the first row of {what} must "
                                                    f"give it"))
            continue
        for r in grp[1:]:
            v = getattr(r, name)
            if v is not None and name not in r.bad and not math.isclose(v, v0, rel_tol=1e-12, abs_tol=0):
                errors.append(Issue(r.row, name, f"{_fmt_t(v)} conflicts with {_fmt_t(v0)} in row "
                                                 f"{head.row} for {what}; leave it blank or repeat "
                                                 "the same value"))
                r.bad.add(name)
    return errors


def _group_shares(grp: list[_Row], what: str) -> tuple[list[Issue], list[Issue]]:
    """Defaults a single line's share to 1, requires every share of several lines, checks the sum
    (rounding up to 1.01 is scaled away): (errors, warnings)."""
    head = grp[0]
    if len(grp) == 1:
        if head.share is None:
            head.share = 1.0
    else:
        blanks = [r for r in grp if r.share is None]
        errors = [Issue(r.row, "supplier_share",
                        f"share is empty but {what} has {len(grp)} supply lines (rows "
                        f"{', '.join(str(x.row) for x in grp)}); give each line's share") for r in blanks]
        if errors:
            return errors, []
    total = math.fsum(r.share for r in grp if r.share is not None)
    rows_txt = ("rows " if len(grp) > 1 else "row ") + ", ".join(str(x.row) for x in grp)
    if total > 1 + SHARE_SUM_TOLERANCE + 1e-12:
        return [Issue(head.row, "supplier_share",
                      f"shares of {what} sum to {total:.4g} ({rows_txt}); they must sum to at "
                      "most 1 (100%)")], []
    if total > 1 + 1e-12:
        for r in grp:
            r.share = (r.share or 0.0) / total
        return [], [Issue(head.row, "supplier_share",
                          f"shares of {what} sum to {total:.4g} ({rows_txt}); read as rounding "
                          "and scaled to sum to 1")]
    if total < 1 - 1e-12:
        return [], [Issue(head.row, "supplier_share",
                          f"shares of {what} sum to {total:.4g} ({rows_txt}); the remaining "
                          f"{1 - total:.4g} is treated as unknown origin")]
    return [], []

def _fmt_t(v: float) -> str:
    return f"{v:,.6g} t"
