"""Company stockpile CSV reader (rules in the chokepoint.stockpile_csv docstring).

FIXTURES: every file below is generated at test time from the Python tables in this module.
The sites ("EXAMPLE plant A" ...) and all quantities and shares are INVENTED for testing; they
describe no real company. Run ``python tests/test_stockpile_csv.py OUTDIR`` to write the
malformed corpus to disk for inspection.
"""
from __future__ import annotations

import csv
import io
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chokepoint import catalog
from chokepoint.stockpile_csv import MAX_BYTES, MAX_ROWS, Issue, parse_stockpile_csv

ROOT = Path(__file__).resolve().parent.parent
H = "material,on_hand,monthly_use"


def _b(text: str, enc: str = "utf-8") -> bytes:
    return text.encode(enc)


# ---------------------------------------------------------------------------- malformed corpus
# (case id, file bytes, expected errors as (row, column, substring of str(issue)))
# Quantities are invented fixture values.
CORPUS: list[tuple[str, bytes, list[tuple[int | None, str | None, str]]]] = [
    ("empty_file", b"", [(None, None, "the file is empty")]),
    ("blank_lines_only", b"\r\n  \n\n", [(None, None, "the file is empty")]),
    ("header_only", _b(H + "\n"), [(None, None, "header but no data rows")]),
    ("header_only_utf16", _b(H + "\r\n", "utf-16"), [(None, None, "header but no data rows")]),
    ("no_header_data_in_row1", _b("Dysprosium oxide,10,2\n"), [(1, None, "no known column names in row 1")]),
    ("excel_workbook", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, [(None, None, "Excel workbook")]),
    ("binary_nul_bytes", _b(H + "\n") + b"Dy\x00oxide,1,2\n\x00", [(2, None, "NUL bytes")]),
    ("byte_not_utf8_nor_cp1252", _b(H + "\n") + b"Dysprosium oxide\x81,1,2\n",
     [(2, None, "neither UTF-8 nor Windows-1252")]),
    ("mixed_utf8_and_cp1252", _b(H + ",site\nDysprosium oxide,1,2,Zürich\n") +
     "Terbium oxide,1,2,Zürich\n".encode("cp1252"), [(3, None, "mixes encodings: row 2 is UTF-8 but row 3")]),
    ("bom_utf8_then_invalid", b"\xef\xbb\xbf" + _b(H + "\nDy2O3,1,2\n") + b"Tb\xff,1,2\n",
     [(3, None, "UTF-8 byte-order mark but is not valid UTF-8")]),
    ("ragged_row", _b(H + "\nDysprosium oxide,10,2,CHN\n"), [(2, "D (no header)", "4 fields but the header has 3")]),
    ("ragged_decimal_comma_unquoted", _b(H + "\nDysprosium oxide,12,5,2\n"),
     [(2, "D (no header)", "must be quoted in a comma-separated file")]),
    ("duplicate_header", _b("material,on_hand,monthly_use, On_Hand \nDy2O3,1,2,3\n"),
     [(1, "on_hand", "appears twice (columns B and D)")]),
    ("empty_header_with_data", _b("material,,on_hand,monthly_use\nDy2O3,x,1,2\n"),
     [(1, "B (no header)", "column B has no header but holds data (first in row 2)")]),
    ("missing_required_column", _b("material,on_hand\nDy2O3,1\n"),
     [(1, None, "required column 'monthly_use' is missing")]),
    ("misspelt_required_column", _b("material,on_hand,monthy_use\nDy2O3,1,2\n"),
     [(1, "monthy_use", "required column 'monthly_use' is missing"), (1, "monthy_use", "did you mean 'monthly_use'")]),
    ("unit_inside_number", _b(H + ",unit\nDysprosium oxide,500 kg,2,kg\n"),
     [(2, "on_hand", "'500 kg' has a unit inside the number: write 500 here and the unit in the 'unit' column")]),
    ("unit_inside_number_no_unit_col", _b(H + "\nDysprosium oxide,1.5t,2\n"),
     [(2, "on_hand", "add one")]),
    ("negative_quantity", _b(H + "\nDysprosium oxide,-5,2\n"), [(2, "on_hand", "'-5' is negative")]),
    ("non_numeric_quantity", _b(H + "\nDysprosium oxide,lots,2\n"), [(2, "on_hand", "'lots' is not a number")]),
    ("nan_quantity", _b(H + "\nDysprosium oxide,NaN,2\n"), [(2, "on_hand", "'NaN' is not a finite number")]),
    ("inf_quantity", _b(H + "\nDysprosium oxide,5,-inf\n"), [(2, "monthly_use", "'-inf' is not a finite number")]),
    ("spreadsheet_error_value", _b(H + "\nDysprosium oxide,#N/A,2\n"), [(2, "on_hand", "spreadsheet error value")]),
    ("accounting_negative", _b(H + "\nDysprosium oxide,(5),2\n"), [(2, "on_hand", "accounting negative")]),
    ("share_over_100_percent", _b(H + ",supplier_share\nDysprosium oxide,5,2,150%\n"),
     [(2, "supplier_share", "share '150%' is over 100%")]),
    ("share_above_one_not_percent", _b(H + ",supplier_share\nDysprosium oxide,5,2,80\n"),
     [(2, "supplier_share", "is above 1"), (2, "supplier_share", "did you mean '80%'")]),
    ("shares_sum_above_one", _b(H + ",supplier_country,supplier_share\nDysprosium oxide,5,2,CN,0.8\n"
                                "Dysprosium oxide,,,MM,50%\n"),
     [(2, "supplier_share", "sum to 1.3 (rows 2, 3)")]),
    ("conflicting_on_hand", _b(H + ",supplier_country,supplier_share\nDysprosium oxide,5,2,CN,0.5\n"
                               "Dysprosium oxide,6,,MM,0.5\n"),
     [(3, "on_hand", "6 t conflicts with 5 t in row 2")]),
    ("conflicting_use_after_unit", _b(H + ",unit,supplier_country,supplier_share\n"
                                      "Terbium oxide,5,2,t,CN,0.5\nTerbium oxide,5000,2500,kg,MM,0.5\n"),
     [(3, "monthly_use", "2.5 t conflicts with 2 t in row 2")]),
    ("several_lines_blank_share", _b(H + ",supplier_country,supplier_share\nDysprosium oxide,5,2,CN,0.5\n"
                                     "Dysprosium oxide,,,MM,\n"),
     [(3, "supplier_share", "share is empty but site 'main', material 'dysprosium_oxide' has 2 supply lines")]),
    ("first_row_of_group_no_on_hand", _b(H + ",supplier_country,supplier_share\nDysprosium oxide,,2,CN,0.5\n"
                                         "Dysprosium oxide,5,2,MM,0.5\n"),
     [(2, "on_hand", "on_hand is empty; the first row of site 'main'")]),
    ("unknown_material", _b(H + "\nDysprosium oxide,1,1\ndysprosim oxide,1,1\n"),
     [(3, "material", "row 3, column 'material': unknown material 'dysprosim oxide' — did you mean "
                      "'dysprosium oxide'?")]),
    ("empty_material", _b(H + "\n,1,1\n"), [(2, "material", "material is empty")]),
    ("unknown_supplier_country", _b(H + ",supplier_country\nDysprosium oxide,1,1,Germny\n"),
     [(2, "supplier_country", "unknown country 'Germny' — did you mean 'Germany'?")]),
    ("unknown_site_country", _b(H + ",site_country\nDysprosium oxide,1,1,Atlantis\n"),
     [(2, "site_country", "unknown country 'Atlantis'")]),
    ("conflicting_site_country", _b(H + ",site,site_country\nDysprosium oxide,1,1,EXAMPLE plant A,DE\n"
                                    "Terbium oxide,1,1,EXAMPLE plant A,FR\n"),
     [(3, "site_country", "is in FRA here but in DEU in row 2")]),
    ("unknown_unit", _b(H + ",unit\nDysprosium oxide,1,1,tonnen\n"),
     [(2, "unit", "unknown unit 'tonnen'"), (2, "unit", "did you mean 't'")]),
    ("ambiguous_unit_ton", _b(H + ",unit\nDysprosium oxide,1,1,ton\n"), [(2, "unit", "'ton' is ambiguous")]),
    ("formula_in_quantity", _b(H + "\nDysprosium oxide,=1+1,2\n"), [(2, "on_hand", "formula or text")]),
    ("formula_in_use_at_sum", _b(H + "\nDysprosium oxide,1,@SUM(A1:A9)\n"), [(2, "monthly_use", "formula or text")]),
    ("formula_plus_cmd_in_share", _b(H + ",supplier_share\nDysprosium oxide,1,2,+cmd|' /C calc'!A0\n"),
     [(2, "supplier_share", "is not a number")]),
    ("formula_as_material", _b(H + '\n"=HYPERLINK(""http://x.example"",""x"")",1,2\n'),
     [(2, "material", "unknown material '=HYPERLINK")]),
    ("huge_number", _b(H + "\nDysprosium oxide,1e12,2\n"), [(2, "on_hand", "implausibly large")]),
    ("huge_exponent_overflow", _b(H + "\nDysprosium oxide,1e999,2\n"), [(2, "on_hand", "implausibly large")]),
    ("too_many_digits", _b(H + "\nDysprosium oxide,0.12345678901234567,2\n"),
     [(2, "on_hand", "more than 15 significant digits")]),
    # nothing in the file decides the convention (every other number reads the same both ways)
    ("ambiguous_thousands_semicolon", _b("material;on_hand;monthly_use\nDysprosium oxide;1,234;2\n"),
     [(2, "on_hand", "'1,234' is ambiguous: it could be 1234 or 1.234")]),
    ("ambiguous_no_evidence", _b("material;on_hand;monthly_use\nDysprosium oxide;1.500;2\n"),
     [(2, "on_hand", "'1.500' is ambiguous")]),
    ("mixed_decimal_conventions", _b("material;on_hand;monthly_use\nDysprosium oxide;12,5;2\n"
                                     "Terbium oxide;1.5;2\nSamarium;2,25;1,5\n"),
     [(3, "on_hand", "use one number format in the whole file")]),
    ("bad_thousands_grouping", _b('material,on_hand,monthly_use\nDysprosium oxide,"1,23,456",2\n'),
     [(2, "on_hand", "is not a number")]),
    ("percent_in_quantity", _b(H + "\nDysprosium oxide,50%,2\n"), [(2, "on_hand", "only allowed in 'supplier_share'")]),
    ("unterminated_quote", _b(H + '\nDysprosium oxide,1,2\n"Terbium oxide,1,2\n'), [(3, None, "cannot be read as CSV")]),
    ("control_char_in_site", _b(H + ",site\nDysprosium oxide,1,2,EXAMPLE\x07plant\n"),
     [(2, "site", "control character")]),
    ("multiline_cell_counts_as_one_row", _b(H + ',site\nDysprosium oxide,1,2,"EXAMPLE\nplant"\nTerbium oxid,1,2,x\n'),
     [(2, "site", "control character or line break"), (3, "material", "unknown material 'Terbium oxid'")]),
    ("blank_line_still_counts", _b(H + "\nDysprosium oxide,1,2\n\nTerbium oxide,-1,2\n"),
     [(4, "on_hand", "negative")]),
    ("utf16_error_row_numbers", _b(H + "\r\nDysprosium oxide,1,2\r\nTerbium oxide,1,x\r\n", "utf-16"),
     [(3, "monthly_use", "'x' is not a number")]),
    ("cp1252_semicolon_error", _b("material;on_hand;monthly_use;site\nDysprosium oxide;1,5;2;Usine Orléans\n"
                                  "Terbium oxide;1,5;;Usine Orléans\n", "cp1252"),
     [(3, "monthly_use", "monthly_use is empty")]),
    ("all_errors_listed", _b(H + "\nDysprosium oxide,-1,2\nTerbium oxide,1,abc\nunobtainium,1,2\n"),
     [(2, "on_hand", "negative"), (3, "monthly_use", "not a number"), (4, "material", "unknown material")]),
]


def _too_many_rows() -> bytes:
    return (H + "\n" + "Dysprosium oxide,1,1\n" * (MAX_ROWS + 1)).encode()


def _too_big() -> bytes:
    return (H + "\n").encode() + b"Dysprosium oxide,1,1" + b" " * (MAX_BYTES) + b"\n"


CORPUS += [
    ("too_many_rows", _too_many_rows(), [(MAX_ROWS + 2, None, "more than 100,000 data rows")]),
    ("over_25_mb", _too_big(), [(None, None, "the limit is 25 MB")]),
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 25
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case,data,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_file_is_rejected_naming_row_and_column(case, data, expected):
    res = parse_stockpile_csv(data, filename=f"{case}.csv")
    assert not res.ok
    assert res.lines.empty and res.holdings.empty, "a file with errors is rejected whole"
    for row, column, text in expected:
        hits = [e for e in res.errors if e.row == row and e.column == column and text in str(e)]
        assert hits, f"expected row {row}, column {column!r}: {text!r}; got:\n" + "\n".join(map(str, res.errors))


def test_issue_str_matches_the_user_facing_format():
    i = Issue(4, "material", "unknown material 'dysprosim oxide'", "dysprosium oxide")
    assert str(i) == "row 4, column 'material': unknown material 'dysprosim oxide' — did you mean 'dysprosium oxide'?"
    assert str(Issue(None, None, "the file is empty")) == "the file is empty"


def test_all_errors_are_listed_in_row_order_not_just_the_first():
    res = parse_stockpile_csv(CORPUS[[c[0] for c in CORPUS].index("all_errors_listed")][1])
    assert [e.row for e in res.errors] == [2, 3, 4]


def test_errors_in_a_group_do_not_cascade():
    # the bad share is one error; no extra "shares sum" or "share is empty" noise for that group
    res = parse_stockpile_csv(_b(H + ",supplier_country,supplier_share\nDy2O3,5,2,CN,abc\nDy2O3,,,MM,0.5\n"))
    assert [(e.row, e.column) for e in res.errors] == [(2, "supplier_share")]


# ---------------------------------------------------------------------------- valid files
VALID = """material,on_hand,monthly_use,unit,supplier_country,supplier_share,site,site_country
Dysprosium oxide,300,100,t,CN,80%,EXAMPLE plant A,DE
Dysprosium oxide,,,,NA,0.2,EXAMPLE plant A,
NdFeB magnets,1234.5,12.25,kg,JP,,EXAMPLE plant A,
titanium sponge,2000,150,lb,,,EXAMPLE plant B,United States
"""


def test_valid_file_lines_and_holdings():
    res = parse_stockpile_csv(VALID.encode())
    assert res.ok, res.errors
    ln = res.lines
    assert list(ln["material_id"]) == ["dysprosium_oxide", "dysprosium_oxide", "ndfeb_magnet", "titanium_sponge"]
    assert list(ln["supplier_country"].fillna("?")) == ["CHN", "NAM", "JPN", "?"]   # "NA" is Namibia
    assert list(ln["site_country"]) == ["DEU", "DEU", "DEU", "USA"]                 # inherited by the site
    assert list(ln["supplier_share"]) == [0.8, 0.2, 1.0, 1.0]
    assert list(ln["source_row"]) == [2, 3, 4, 5]
    assert ln["on_hand_t"].tolist() == [300.0, 300.0, 1.2345, 0.90718474]  # decimal arithmetic: exact
    assert ln["monthly_use_t"].tolist()[2] == 0.01225
    h = res.holdings.set_index(["site", "material_id"])
    assert h.loc[("EXAMPLE plant A", "dysprosium_oxide"), "n_lines"] == 2
    assert h.loc[("EXAMPLE plant A", "dysprosium_oxide"), "share_known"] == pytest.approx(1.0)
    assert h.loc[("EXAMPLE plant B", "titanium_sponge"), "share_known"] == 0.0
    assert h.loc[("EXAMPLE plant B", "titanium_sponge"), "unknown_share"] == 1.0
    assert res.dialect.encoding == "UTF-8" and res.dialect.delimiter == "," and res.dialect.decimal == "."
    assert not res.warnings


def test_site_defaults_to_main_and_headers_are_case_and_order_free():
    res = parse_stockpile_csv(b"  Monthly Use ,MATERIAL,On-Hand\n2,Dy2O3,10\n")
    assert res.ok, res.errors
    assert res.lines.loc[0, "site"] == "main" and res.lines.loc[0, "on_hand_t"] == 10.0


def test_warnings_do_not_block():
    data = _b(H + ",supplier_country,supplier_share,site_contry,site\n"
              "Dysprosium oxide,5,2,CN,0.6,x,=HYPERLINK(\"http://evil.example\")\n")
    res = parse_stockpile_csv(data)
    assert res.ok, res.errors
    msgs = [str(w) for w in res.warnings]
    assert any("remaining 0.4 is treated as unknown origin" in m for m in msgs)
    assert any("'site_contry': unknown column, ignored — did you mean 'site_country'?" in m for m in msgs)
    assert any("looks like a spreadsheet formula" in m for m in msgs)
    # formula text in a site name is kept verbatim as text (exports neutralise it)
    assert res.lines.loc[0, "site"] == '=HYPERLINK("http://evil.example")'
    assert res.holdings.loc[0, "unknown_share"] == pytest.approx(0.4)


def test_shares_summing_within_rounding_tolerance_are_scaled():
    res = parse_stockpile_csv(_b(H + ",supplier_country,supplier_share\nDy2O3,5,2,CN,0.334\n"
                                 "Dy2O3,,,MM,0.334\nDy2O3,,,AU,0.334\n"))
    assert res.ok, res.errors
    assert res.lines["supplier_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert any("scaled to sum to 1" in str(w) for w in res.warnings)


def test_repeated_equal_quantities_in_other_units_are_accepted():
    res = parse_stockpile_csv(_b(H + ",unit,supplier_country,supplier_share\n"
                                 "Terbium oxide,0.5,0.25,t,CN,0.5\nTerbium oxide,500,250,kg,MM,0.5\n"))
    assert res.ok, res.errors
    assert res.holdings.loc[0, "on_hand_t"] == 0.5


def test_namibia_and_no_null_strings():
    res = parse_stockpile_csv(_b("material,on_hand,monthly_use,supplier_country,site\nDy2O3,1,1,NA,NA\n"))
    assert res.ok
    assert res.lines.loc[0, "supplier_country"] == "NAM"
    assert res.lines.loc[0, "site"] == "NA"


def test_trailing_empty_columns_and_short_rows_are_fine():
    res = parse_stockpile_csv(_b("material,on_hand,monthly_use,supplier_country,,\nDy2O3,1,1,,,\nTb4O7,2,1\n"))
    assert res.ok, res.errors
    assert len(res.lines) == 2


# numbers in every supported dialect: (encoding, delimiter, on_hand text, use text, share text)
_SAME = [
    ("utf-8", ",", "1234.5", "12.25", "0.8"),
    ("utf-8-sig", ",", '"1,234.5"', "12.25", "80%"),
    ("utf-8", ",", '"1234,5"', '"12,25"', '"0,8"'),
    ("utf-8", ";", "1.234,5", "12,25", "80%"),
    ("utf-8", ";", "1234,5", "12,25", "0,8"),
    ("utf-8", ";", "1 234,5", "12,25", "80 %"),
    ("utf-8", ";", "1\u202f234,5", "12,25", "0,80"),
    ("utf-8", ";", "1\u00a0234,5", "12,25", "80,0%"),
    ("utf-8", "\t", "1,234.5", "12.25", "0.8"),
    ("utf-8", "\t", "1.234,5", "12,25", "0,8"),
    ("utf-16", "\t", "1.234,5", "12,25", "0,8"),
    ("utf-16", ",", "1234.5", "12.25", "0.8"),
    ("utf-16-be", ";", "1.234,5", "12,25", "80%"),
    ("utf-16-le", ";", "1.234,5", "12,25", "80%"),   # no BOM
    ("cp1252", ";", "1.234,5", "12,25", "80%"),
    ("cp1252", ",", "1234.5", "12.25", "0.8"),
    ("utf-8", ";", "1,2345E+03", "1,225E1", "8E-1"),
]


@pytest.mark.parametrize("enc,delim,on_hand,use,share", _SAME)
def test_every_dialect_parses_to_the_same_numbers(enc, delim, on_hand, use, share):
    rows = [["material", "on_hand", "monthly_use", "supplier_country", "supplier_share", "site"],
            ["Dysprosium oxide", on_hand, use, "CN", share, "Usine Orléans"],
            ["Dysprosium oxide", "", "", "", "0", "Usine Orléans"]]
    text = "\r\n".join(delim.join(r) for r in rows) + "\r\n"
    data = text.encode(enc if enc != "utf-16-be" else "utf-16")
    if enc == "utf-16-be":
        data = "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
    res = parse_stockpile_csv(data)
    assert res.ok, res.errors
    assert res.dialect.delimiter == delim
    ln = res.lines
    assert ln["on_hand_t"].tolist() == [1234.5, 1234.5]
    assert ln["monthly_use_t"].tolist() == [12.25, 12.25]
    assert ln["supplier_share"].tolist() == [0.8, 0.0]
    assert ln["site"].tolist() == ["Usine Orléans"] * 2


def test_decimal_comma_makes_a_three_digit_comma_a_decimal():
    res = parse_stockpile_csv(_b("material;on_hand;monthly_use\nDy2O3;12,5;1,234\n"))
    assert res.ok, res.errors
    assert res.lines.loc[0, "monthly_use_t"] == 1.234
    assert res.dialect.decimal == ","


def test_comma_thousands_elsewhere_makes_a_three_digit_comma_thousands():
    res = parse_stockpile_csv(_b('material,on_hand,monthly_use\nDy2O3,"1,234",2.5\nTb4O7,"1,000,000.5",1\n'))
    assert res.ok, res.errors
    assert res.lines["on_hand_t"].tolist() == [1234.0, 1000000.5]
    assert res.dialect.thousands == (",",)


def test_decimal_commas_elsewhere_settle_a_three_digit_point_as_thousands():
    """Issue 15: "50.000" beside "12,0" and "0,8" is fifty thousand (the file writes decimal
    commas, so "." groups thousands); the preview names the convention and the cell it came from."""
    res = parse_stockpile_csv(_b("material;on_hand;monthly_use;supplier_country;supplier_share\n"
                                 "Dysprosium oxide;50.000;12,0;CN;0,8\n"
                                 "Terbium oxide;1.250;3;JP;1\n"))
    assert res.ok, res.errors
    assert res.lines["on_hand_t"].tolist() == [50000.0, 1250.0]
    assert res.lines["monthly_use_t"].tolist() == [12.0, 3.0]
    assert res.lines["supplier_share"].tolist() == [0.8, 1.0]
    assert res.dialect.decimal == "," and res.dialect.decided_by == (2, "monthly_use", "12,0")
    assert res.dialect.inferred() == "decimal comma inferred from row 2, column monthly_use ('12,0')"


def test_decimal_point_elsewhere_settles_a_three_digit_comma_as_thousands():
    res = parse_stockpile_csv(_b("material;on_hand;monthly_use\nDysprosium oxide;1,234;2\nTb4O7;5;2.5\n"))
    assert res.ok, res.errors
    assert res.lines["on_hand_t"].tolist() == [1234.0, 5.0]
    assert res.dialect.decided_by == (3, "monthly_use", "2.5")


def test_convention_is_decided_per_file():
    """The same ambiguous cell reads with each file's own convention, and is an error in a file
    where nothing decides it (no state carried between parses)."""
    comma = parse_stockpile_csv(_b("material;on_hand;monthly_use\nDy2O3;50.000;0,8\n"))
    point = parse_stockpile_csv(_b("material;on_hand;monthly_use\nDy2O3;50.000;0.8\n"))
    neither = parse_stockpile_csv(_b("material;on_hand;monthly_use\nDy2O3;50.000;8\n"))
    assert comma.ok and comma.lines.loc[0, "on_hand_t"] == 50000.0
    assert point.ok and point.lines.loc[0, "on_hand_t"] == 50.0
    assert not neither.ok and neither.dialect.decided_by is None
    assert [(e.row, e.column) for e in neither.errors] == [(2, "on_hand")]
    assert "'50.000' is ambiguous: it could be 50000 or 50" in neither.errors[0].message


# ---------------------------------------------------------------------------- round-trip property
_MATERIAL_TEXTS = ["Dysprosium oxide", "dysprosium_oxide", "Dy2O3", "NdFeB magnets", "titanium sponge",
                   "TERBIUM OXIDE", "samarium cobalt magnets", "AZ91", "Rutile", "gallium"]
_COUNTRIES = {"CN": "CHN", "CHN": "CHN", "China": "CHN", "NA": "NAM", "Namibia": "NAM", "DE": "DEU",
              "Germany": "DEU", "USA": "USA", "JP": "JPN", "Myanmar": "MMR", "MM": "MMR", "AU": "AUS"}
_UNITS = {"t": Decimal(1), "kg": Decimal("0.001"), "g": Decimal("0.000001"), "lb": Decimal("0.00045359237"),
          "KG": Decimal("0.001"), "tonnes": Decimal(1)}
_SITE_ALPHABET = "abcXYZ019 ,;'\"=+-@éüß€Ø"
# number styles: (decimal, thousands or "", encodings that can carry the thousands char)
_STYLES = [(".", ""), (".", ","), (",", ""), (",", "."), (",", " "), (",", "\u202f"), (".", "\u00a0")]


def _resolvable(text: str) -> bool:
    try:
        catalog.resolve_material(text)
        return True
    except catalog.CatalogError:
        return False


def _fmt(d: Decimal, dec: str, thou: str) -> str:
    s = f"{d:.2f}"
    ip, fp = s.split(".")
    if thou:
        ip = f"{int(ip):,}".replace(",", thou)
    return f"{ip}{dec}{fp}"


amounts = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)


@st.composite
def tables(draw):
    mats = [m for m in _MATERIAL_TEXTS if _resolvable(m)]
    sites = draw(st.lists(st.text(_SITE_ALPHABET, min_size=1, max_size=12).map(str.strip).filter(bool),
                          min_size=1, max_size=3, unique=True))
    site_country = {s: draw(st.sampled_from(["", "DE", "France", "USA", "NA"])) for s in sites}
    keys = draw(st.lists(st.tuples(st.sampled_from(sites), st.sampled_from(mats)), min_size=1, max_size=6,
                         unique_by=lambda k: (k[0], catalog.resolve_material(k[1]))))
    groups = []
    for site, mat in keys:
        n = draw(st.integers(1, 3))
        pcts = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n).filter(lambda p: sum(p) <= 100))
        groups.append(dict(site=site, mat=mat, on_hand=draw(amounts), use=draw(amounts),
                           unit=draw(st.sampled_from(sorted(_UNITS))),
                           lines=[(draw(st.sampled_from(["", *_COUNTRIES])), p) for p in pcts],
                           repeat=draw(st.booleans()), pct_style=draw(st.booleans())))
    return groups, site_country


def _expected(groups, site_country) -> pd.DataFrame:
    out = []
    for g in groups:
        sc = site_country[g["site"]]
        for country, p in g["lines"]:
            share = float(Decimal(p) / 100)
            out.append(dict(site=g["site"], site_country=catalog.country_iso3(sc) if sc else None,
                            material_id=catalog.resolve_material(g["mat"]), material_input=g["mat"],
                            on_hand_t=float(g["on_hand"] * _UNITS[g["unit"]]),
                            monthly_use_t=float(g["use"] * _UNITS[g["unit"]]),
                            supplier_country=_COUNTRIES.get(country), supplier_share=share))
    return pd.DataFrame(out)


def _write(groups, site_country, *, enc, delim, dec, thou, order, upper) -> bytes:
    names = ["material", "on_hand", "monthly_use", "unit", "supplier_country", "supplier_share", "site",
             "site_country"]
    names = [names[i] for i in order]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    w.writerow([n.upper() if upper else n for n in names])
    seen_site: set[str] = set()
    for g in groups:
        for i, (country, p) in enumerate(g["lines"]):
            first = i == 0
            share = f"{p}%" if g["pct_style"] else _fmt(Decimal(p) / 100, dec, "")
            row = dict(material=g["mat"], unit=g["unit"] if first or g["repeat"] else "",
                       on_hand=_fmt(g["on_hand"], dec, thou) if first or g["repeat"] else "",
                       monthly_use=_fmt(g["use"], dec, thou) if first or g["repeat"] else "",
                       supplier_country=country, supplier_share=share, site=g["site"],
                       site_country=site_country[g["site"]] if g["site"] not in seen_site else "")
            seen_site.add(g["site"])
            w.writerow([row[n] for n in names])
    return buf.getvalue().encode(enc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), st.sampled_from([",", ";", "\t"]),
       st.sampled_from(_STYLES), st.permutations(range(8)), st.booleans())
def test_any_valid_table_round_trips_in_any_dialect(table, enc, delim, style, order, upper):
    groups, site_country = table
    dec, thou = style
    assume(not (enc == "cp1252" and thou in ("\u202f",)))
    data = _write(groups, site_country, enc=enc, delim=delim, dec=dec, thou=thou, order=order, upper=upper)
    if enc == "cp1252" and not data.isascii():
        # documented limit: cp1252 bytes that happen to be valid UTF-8 ("Ø€" = D8 80) read as UTF-8
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    res = parse_stockpile_csv(data)
    assert res.ok, [str(e) for e in res.errors]
    got = res.lines.drop(columns="source_row")
    exp = _expected(groups, site_country)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp.astype(got.dtypes.to_dict()),
                                  check_exact=True)
    # and the same table in plain comma/point/UTF-8 gives the very same frame
    base = parse_stockpile_csv(_write(groups, site_country, enc="utf-8", delim=",", dec=".", thou="",
                                      order=list(range(8)), upper=False))
    pd.testing.assert_frame_equal(res.lines, base.lines, check_exact=True)
    pd.testing.assert_frame_equal(res.holdings, base.holdings, check_exact=True)


def test_hundred_thousand_rows_are_accepted():
    data = (H + ",site\n" + "".join(f"Dysprosium oxide,{i}.5,1,EXAMPLE site {i}\n" for i in range(MAX_ROWS))).encode()
    res = parse_stockpile_csv(data)
    assert res.ok, res.errors[:3]
    assert len(res.lines) == MAX_ROWS and res.lines["source_row"].iloc[-1] == MAX_ROWS + 1


# ---------------------------------------------------------------------------- template
def test_downloadable_template_parses_and_is_labelled_as_example():
    data = (ROOT / "data" / "templates" / "stockpile_template.csv").read_bytes()
    res = parse_stockpile_csv(data, filename="stockpile_template.csv")
    assert res.ok, res.errors
    assert res.lines["site"].str.startswith("EXAMPLE").all()
    assert set(res.lines["site"].str.startswith("EXAMPLE")) == {True}


if __name__ == "__main__":  # write the malformed corpus for inspection: python tests/test_stockpile_csv.py DIR
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for case, data, _ in CORPUS:
        if len(data) < 1_000_000:
            (out / f"{case}.csv").write_bytes(data)
