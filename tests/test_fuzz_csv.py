"""Fuzzing the stockpile CSV reader: it never crashes, whatever the bytes.

Hypothesis, derandomized (the same inputs on every run, no example database), feeds
``parse_stockpile_csv``:

* arbitrary bytes (and arbitrary bytes behind a valid header, and BOMs / Excel magic in front);
* structured but hostile CSVs: known, unknown, duplicated and empty header names in any order;
  comma, semicolon, tab or pipe delimiters; quoted and half-quoted cells; CR, LF and CRLF; NULs
  and control characters; huge, tiny, negative, NaN, exponent and grouped numbers; formula and
  SQL-looking strings; UTF-8, UTF-8 with BOM, UTF-16 (LE/BE) and cp1252 encodings, sometimes
  truncated mid-character.

The only acceptable outcomes are a ParseResult that is ok (and then its lines are clean: finite
non-negative tonnes, shares in 0..1) or one with errors (each a printable Issue). Any exception is
a bug. The number of inputs tried is printed at the end of the module.
"""
from __future__ import annotations

import codecs
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.stockpile_csv import LINE_COLUMNS, MAX_BYTES, ParseResult, parse_stockpile_csv

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TRIED: dict[str, int] = {}

KNOWN = ["material", "on_hand", "monthly_use", "unit", "supplier_country", "supplier_share", "site", "site_country"]
HEADER_NAMES = st.sampled_from(KNOWN + ["Material", " ON HAND ", "monthly-use", "Monthly use", "", "x", "onhand",
                                        "=cmd|' /C calc'!A0", "material\x00", "\ufeffmaterial", "site;site"])
CELLS = st.one_of(
    st.sampled_from(["Dysprosium oxide", "NdFeB magnets", "titanium sponge", "Tb4O7", "unobtainium", "", " ",
                     "NA", "CN", "CHN", "China", "Namibia", "XX", "t", "kg", "lb", "ton", "mt", "80%", "101%",
                     "0,5", "1.234,5", "1,234.5", "1,234", "1 234", "1\u00a0234,5", "1.5E+06", "1e309", "-0",
                     "-5", "+5", "(5)", "NaN", "inf", "-inf", "#N/A", "#DIV/0!", "0x1F", "１２３",
                     "99999999999999999999999", "0.0000000000000000000001", "1e-400", "1" * 400,
                     "=HYPERLINK(\"http://x\",\"y\")", "=1+1", "@SUM(A1)", "+1", "-1+1", "\t=1", "\r=1",
                     "'; DROP TABLE snapshots; --", "1 OR 1=1", "$importer", "../../etc/passwd",
                     "\x00", "a\x00b", "\u202eevil", "line\nbreak", "\"quoted\"", "\"unterminated", "a\"b",
                     "\\", "%s%n", "{}", "<script>alert(1)</script>"]),
    st.text(max_size=20),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"])


def _check(res: object) -> None:
    assert isinstance(res, ParseResult)
    if res.ok:
        assert tuple(res.lines.columns) == LINE_COLUMNS
        for col in ("on_hand_t", "monthly_use_t"):
            assert all(math.isfinite(v) and v >= 0 for v in res.lines[col]), res.lines[col]
        assert all(0 <= v <= 1.0 + 1e-9 for v in res.lines["supplier_share"])
    else:
        assert res.errors and res.lines.empty
        for issue in res.errors:
            assert str(issue)
    for issue in res.warnings:
        assert str(issue)


def _run(kind: str, data: bytes, filename: str = "fuzz.csv") -> None:
    TRIED[kind] = TRIED.get(kind, 0) + 1
    _check(parse_stockpile_csv(data, filename=filename))


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    _run("arbitrary bytes", data)


@FUZZ
@given(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"PK\x03\x04",
                        b"\xd0\xcf\x11\xe0", b"material,on_hand,monthly_use\n",
                        b"material;on_hand;monthly_use\r\n"]),
       st.binary(max_size=2048))
def test_bytes_behind_a_header_or_magic(prefix, data):
    _run("bytes behind a header/BOM/magic", prefix + data)


@st.composite
def hostile_csv(draw) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(st.one_of(
        st.permutations(KNOWN).map(lambda p: list(p)[:3 + len(p) % 6]),
        st.lists(HEADER_NAMES, min_size=1, max_size=10)))
    ncols = len(header)
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=ncols + 2), max_size=12))
    quote_mode = draw(st.sampled_from(["none", "all", "some", "broken"]))

    def q(cell: str, i: int) -> str:
        if quote_mode == "all" or (quote_mode == "some" and i % 2):
            return '"' + cell.replace('"', '""') + '"'
        if quote_mode == "broken" and i % 3 == 0:
            return '"' + cell
        return cell

    lines = [delim.join(q(h, i) for i, h in enumerate(header))]
    lines += [delim.join(q(c, i) for i, c in enumerate(r)) for r in rows]
    text = eol.join(lines) + draw(st.sampled_from(["", eol, eol * 3]))
    enc = draw(ENCODINGS)
    data = text.encode(enc, errors="replace" if enc in ("cp1252", "latin-1") else "surrogatepass")
    cut = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=max(len(data) - 1, 0))))
    return data if cut is None else data[:cut]


@FUZZ
@given(hostile_csv())
def test_structured_hostile_csv(data):
    _run("structured hostile CSV", data)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["Dysprosium oxide", "NdFeB magnets", "titanium sponge", "Tb"]),
                          CELLS, CELLS, st.sampled_from(["", "t", "kg", "lb", "ton"]),
                          st.sampled_from(["", "CN", "NA", "JP", "XX", "Namibia"]), CELLS,
                          st.sampled_from(["main", "A", "=A1", "'; DROP TABLE snapshots; --", "../../etc/passwd"])),
                min_size=1, max_size=15),
       st.sampled_from([",", ";", "\t"]))
def test_valid_shape_hostile_values(rows, delim):
    """Right columns, wrong values: exercises the number, unit, share and group checks."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerow(["material", "on_hand", "monthly_use", "unit", "supplier_country", "supplier_share", "site"])
    w.writerows(rows)
    _run("valid shape, hostile values", buf.getvalue().encode("utf-8", errors="surrogatepass"))


def test_oversized_and_many_rows_are_refused_cleanly():
    big = b"material,on_hand,monthly_use\n" + b"Dysprosium oxide,1,1\n" * (MAX_BYTES // 21 + 10)
    assert len(big) > MAX_BYTES
    _run("oversized", big)
    res = parse_stockpile_csv(big)
    assert not res.ok and "the limit is 25 MB" in str(res.errors[0])
    # one enormous line without a newline
    _run("oversized", b"material,on_hand,monthly_use\n" + b"x" * (MAX_BYTES + 1))


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    total = sum(TRIED.values())
    detail = ", ".join(f"{k}: {v}" for k, v in TRIED.items())
    print(f"\nCSV reader fuzz: {total} inputs tried, 0 crashes ({detail})")
