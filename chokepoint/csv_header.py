"""Stages 2 and 3 of the stockpile CSV reader: row 1 read as column names (missing, duplicate,
unknown and unnamed columns), then every data row as a list of fields (blank rows skipped but
counted, extra fields, the row limit)."""
from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass

from chokepoint.csv_issue import Issue, _Stop
from chokepoint.csv_numbers import _SPACES
from chokepoint.csv_rules import KNOWN_COLUMNS, MAX_ROWS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, _norm_header


@dataclass(frozen=True)
class _Header:
    raw: list[str]              # row 1 as written
    names: list[str]            # normalised names
    cols: dict[str, int]        # name -> column index (known and unknown names)
    unnamed: list[int]          # columns with an empty header
    missing: list[str]          # required columns not found


def _read_header(reader) -> tuple[_Header, list[Issue], list[Issue]]:
    """Row 1: (header, errors, warnings). Stops when row 1 names no known column."""
    try:
        raw = next(reader)
    except csv.Error as e:
        raise _Stop(Issue(1, None, f"the header row cannot be read ({e})")) from e
    if not any(h.strip() for h in raw):
        raise _Stop(Issue(1, None, "row 1 is empty: the header (column names) must be in row 1"))
    names = [_norm_header(h) for h in raw]
    cols, unnamed, unknown, errors = _index_columns(names)
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    unknown_names = [names[i] for i in unknown]
    if not any(h in KNOWN_COLUMNS for h in names) and not any(
            difflib.get_close_matches(c, unknown_names, n=1, cutoff=0.75) for c in REQUIRED_COLUMNS):
        raise _Stop(Issue(1, None, "no known column names in row 1: the header must name "
                                   f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})"),
                    errors)
    claimed, missing_errors = _missing_columns(missing, unknown_names, raw, cols)
    warnings = [_unknown_column(i, names, raw, cols) for i in unknown if names[i] not in claimed]
    return _Header(raw, names, cols, unnamed, missing), errors + missing_errors, warnings


def _index_columns(names: list[str]) -> tuple[dict[str, int], list[int], list[int], list[Issue]]:
    """(name -> index, unnamed indexes, unknown indexes, duplicate-name errors)."""
    cols: dict[str, int] = {}
    unnamed: list[int] = []
    unknown: list[int] = []
    errors: list[Issue] = []
    for i, h in enumerate(names):
        if h == "":
            unnamed.append(i)
        elif h in cols:
            errors.append(Issue(1, h, f"column {h!r} appears twice (columns {_col_letter(cols[h])} and "
                                      f"{_col_letter(i)}); keep one"))
        else:
            if h not in KNOWN_COLUMNS:
                unknown.append(i)
            cols[h] = i
    return cols, unnamed, unknown, errors


def _missing_columns(missing: list[str], unknown_names: list[str], raw: list[str],
                     cols: dict[str, int]) -> tuple[set[str], list[Issue]]:
    """(unknown names taken as misspellings of a missing column, one error per missing column)."""
    claimed: set[str] = set()
    errors: list[Issue] = []
    for c in missing:
        close = difflib.get_close_matches(c, unknown_names, n=1, cutoff=0.75)
        if close:
            claimed.add(close[0])
            errors.append(Issue(1, close[0], f"required column {c!r} is missing; column "
                                             f"{raw[cols[close[0]]].strip()!r} is not a known name",
                                suggestion=c))
        else:
            errors.append(Issue(1, None, f"required column {c!r} is missing (the header has: "
                                         f"{', '.join(repr(h.strip()) for h in raw if h.strip())})"))
    return claimed, errors


def _unknown_column(i: int, names: list[str], raw: list[str], cols: dict[str, int]) -> Issue:
    close = difflib.get_close_matches(names[i], [c for c in KNOWN_COLUMNS if c not in cols], n=1, cutoff=0.75)
    return Issue(1, raw[i].strip(), "unknown column, ignored", suggestion=close[0] if close else None)


# ------------------------------------------------------------------ stage 3: records
def _read_records(reader, header: _Header, delim: str) -> tuple[list[tuple[int, list[str]]], list[Issue]]:
    """(row number, fields) of every non-blank data row (fields empty for a row with an error)."""
    raw_rows: list[tuple[int, list[str]]] = []
    errors: list[Issue] = []
    unnamed_used: dict[int, int] = {}
    n_head = len(header.names)
    row_no = 1
    try:
        for rec in reader:
            row_no += 1
            if not any(c.strip(_SPACES + "\t\r\n") for c in rec):
                continue
            if len(raw_rows) >= MAX_ROWS:
                raise _Stop(Issue(row_no, None, f"the file has more than {MAX_ROWS:,} data rows; "
                                                "split it into several files"), errors)
            extra = _extra_fields(row_no, rec, n_head, delim)
            if extra is not None:
                errors.append(extra)
                raw_rows.append((row_no, []))
                continue
            for i in header.unnamed:
                if i < len(rec) and rec[i].strip():
                    unnamed_used.setdefault(i, row_no)
            raw_rows.append((row_no, rec))
    except csv.Error as e:
        raise _Stop(Issue(row_no + 1, None, f"the row cannot be read as CSV ({e}); check its quotes"), errors) from e
    for i, r in unnamed_used.items():
        errors.append(Issue(1, f"{_col_letter(i)} (no header)",
                            f"column {_col_letter(i)} has no header but holds data (first in row {r}); "
                            "name it or delete it"))
    if not raw_rows:
        raise _Stop(Issue(None, None, "the file has a header but no data rows"), errors)
    return raw_rows, errors


def _extra_fields(row_no: int, rec: list[str], n_head: int, delim: str) -> Issue | None:
    """The error for a row with non-empty fields beyond the header, else None."""
    extra = [j for j in range(n_head, len(rec)) if rec[j].strip()]
    if not extra:
        return None
    hint = (" (a number with a decimal comma must be quoted in a comma-separated "
            "file, or save the file with semicolons)" if delim == "," else "")
    return Issue(row_no, f"{_col_letter(extra[0])} (no header)",
                 f"row has {len(rec)} fields but the header has {n_head}{hint}")



def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
