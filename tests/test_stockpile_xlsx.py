"""Stockpile workbooks (.xlsx): the same rows give the same results as the CSV, the same messages
with Excel's row numbers, formulas never run, bounds like the CSV's. Workbooks are generated here
with openpyxl; every row is INVENTED test data."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from chokepoint import stockpile_xlsx
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.stockpile_xlsx import parse_stockpile_file, parse_stockpile_xlsx

ROOT = Path(__file__).resolve().parent.parent

# INVENTED: a US site, a German site and one without a country; shares as numbers and percentages.
HEADER = ["site", "site_country", "material", "on_hand", "monthly_use", "unit", "supplier_country", "supplier_share"]
ROWS = [
    ["INVENTED US plant", "US", "NdFeB magnets", 300, 100, "t", "CN", "80%"],
    ["INVENTED US plant", None, "NdFeB magnets", None, None, None, "JP", "20%"],
    ["INVENTED DE plant", "DE", "Dysprosium oxide", 300000, 100000, "kg", "CN", 0.8],
    ["INVENTED DE plant", None, "Dysprosium oxide", None, None, None, "AU", 0.2],
    ["INVENTED nowhere", None, "NdFeB magnets", 12.5, 2.5, "t", "CN", 1],
]
REGIME = ("id: my-ban\nname: My ban\nrules:\n  - controller: CHN\n    materials: [rare_earths]\n"
          "    targets: [DEU, USA]\n    approval_rate: 0.25\n    delay_months: 1\n")


def workbook(rows, *, header=HEADER, title="stock", extra_sheets=(), start_row=1) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for i, r in enumerate([header, *rows]):
        for j, v in enumerate(r):
            if v is not None:
                ws.cell(row=start_row + i, column=j + 1, value=v)
    for name, srows in extra_sheets:
        s = wb.create_sheet(name)
        for r in srows:
            s.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_csv(rows, header=HEADER) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)


def test_same_rows_same_lines_as_csv():
    x = parse_stockpile_xlsx(workbook(ROWS), filename="s.xlsx")
    c = parse_stockpile_csv(as_csv(ROWS), filename="s.csv")
    assert x.ok and c.ok, ([str(e) for e in x.errors], [str(e) for e in c.errors])
    pd.testing.assert_frame_equal(x.lines, c.lines)
    pd.testing.assert_frame_equal(x.holdings, c.holdings)
    assert x.dialect.describe().startswith("Excel workbook (.xlsx), sheet 'stock'")
    de = x.holdings.set_index("site").loc["INVENTED DE plant"]
    assert de["on_hand_t"] == 300.0 and de["monthly_use_t"] == 100.0   # kg stored as numbers, exact


def test_cli_xlsx_json_equals_csv_json(tmp_path):
    (tmp_path / "stock.xlsx").write_bytes(workbook(ROWS))
    (tmp_path / "stock.csv").write_bytes(as_csv(ROWS))
    (tmp_path / "R.yml").write_text(REGIME)
    outs = []
    for name in ("stock.xlsx", "stock.csv"):
        p = cli("company", str(tmp_path / name), "--regime-file", str(tmp_path / "R.yml"), "--format", "json")
        assert p.returncode == 0, p.stderr
        outs.append(json.loads(p.stdout))
    assert outs[0] == outs[1]
    us = next(r for r in outs[0] if r["site"] == "INVENTED US plant")
    # month 1: only Japan's 20 t arrive (80 short); then 80 * 0.25 + 20 = 40 t/month -> 1 + 220/60
    assert us["months_of_cover"] == pytest.approx(1 + 220 / 60)


def test_chosen_sheet_and_unknown_sheet(tmp_path):
    data = workbook([["x", None, "unobtainium", 1, 1, None, None, None]], title="notes",
                    extra_sheets=[("stock", [HEADER, *ROWS])])
    assert not parse_stockpile_xlsx(data).ok                       # first sheet by default
    assert stockpile_xlsx.sheet_names(data) == ["notes", "stock"]
    res = parse_stockpile_xlsx(data, sheet="stock")
    assert res.ok and res.dialect.sheet == "stock" and len(res.lines) == 5
    bad = parse_stockpile_xlsx(data, sheet="Stock 2024")
    assert [str(e) for e in bad.errors] == ["the workbook has no sheet 'Stock 2024' (it has: 'notes', 'stock')"]
    (tmp_path / "two.xlsx").write_bytes(data)
    p = cli("company", str(tmp_path / "two.xlsx"), "--sheet", "stock", "--regime", "apr-2025-licensing",
            "--format", "json")
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) == 3


def test_messages_name_excel_rows_and_columns_like_csv():
    rows = [["a", None, "Dysprosium oxide", "12;5", 1, None, "CN", 1],
            ["a", None, "unobtainium", 1, 1, None, "CN", 1],
            ["b", None, "NdFeB magnets", -1, 1, None, "Atlantis", 1]]
    x = parse_stockpile_xlsx(workbook(rows))
    c = parse_stockpile_csv(as_csv(rows))
    assert [str(e) for e in x.errors] == [str(e) for e in c.errors]
    assert {e.row for e in x.errors} == {2, 3, 4}
    # blank rows above count as in Excel: the same table starting at row 1 with two blank rows
    # inserted after the header moves every row number by two
    gap = parse_stockpile_xlsx(workbook([[None] * 8, [None] * 8, *rows]))
    assert sorted(e.row for e in gap.errors) == sorted(e.row + 2 for e in x.errors)


def test_formulas_cached_values_are_read_never_run():
    import xlsxwriter
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("stock")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["INVENTED", "US", "NdFeB magnets"])
    ws.write_formula(1, 3, "=100*3", None, 300)          # Excel saved the value 300 with it
    ws.write_row(1, 4, [100, "t", "CN", 1])
    wb.close()
    res = parse_stockpile_xlsx(buf.getvalue())
    assert res.ok, [str(e) for e in res.errors]
    assert res.lines["on_hand_t"].tolist() == [300.0]


def test_formula_without_saved_value_is_rejected_with_its_cell():
    rows = [["INVENTED", "US", "NdFeB magnets", "=WEBSERVICE(\"http://x\")", 100, "t", "CN", 1]]
    res = parse_stockpile_xlsx(workbook(rows))       # openpyxl saves formulas without values
    assert not res.ok
    msg = [str(e) for e in res.errors if "formula" in str(e)]
    assert msg and msg[0].startswith("row 2, column 'on_hand': cell D2 holds the formula '=WEBSERVICE")
    assert "never run" in msg[0]


def test_dates_and_booleans_are_not_numbers():
    import datetime as dt
    rows = [["INVENTED", "US", "NdFeB magnets", dt.date(2025, 4, 4), True, "t", "CN", 1]]
    res = parse_stockpile_xlsx(workbook(rows))
    msgs = [str(e) for e in res.errors]
    assert any("row 2" in m and "on_hand" in m and "2025-04-04" in m for m in msgs), msgs
    assert any("row 2" in m and "monthly_use" in m and "TRUE" in m for m in msgs), msgs


def test_zip_bomb_refused_from_the_directory(monkeypatch):
    monkeypatch.setattr(stockpile_xlsx, "MAX_UNZIPPED", 1000)
    res = parse_stockpile_xlsx(workbook(ROWS))
    assert not res.ok and "unpacks to" in str(res.errors[0])


def test_not_a_workbook_and_old_xls():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "not an Excel workbook" in str(parse_stockpile_file(buf.getvalue()).errors[0])
    assert ".xls" in str(parse_stockpile_xlsx(b"\xd0\xcf\x11\xe0" + b"\0" * 100).errors[0])
    # a CSV still goes to the CSV reader
    assert parse_stockpile_file(as_csv(ROWS)).dialect.delimiter == ","


def test_too_many_rows_refused(monkeypatch):
    from chokepoint import csv_header  # the records stage applies the data-row limit
    monkeypatch.setattr(csv_header, "MAX_ROWS", 3)
    res = parse_stockpile_xlsx(workbook(ROWS))
    assert not res.ok and "more than 3 data rows" in str(res.errors[-1])
