"""Which reader for stockpile workbooks (.xlsx): pandas + openpyxl or python-calamine.

A 100,000-row workbook of invented example rows (the columns of the stockpile CSV, numbers stored
as numbers, shares as percentages) is written with xlsxwriter, then read to a list of rows by
each candidate, best of 3. The faster one is the reader of ``chokepoint.stockpile_xlsx``; the
last line times the whole upload path (read + the same validation as a CSV). Prints figures;
asserts nothing.
"""
from __future__ import annotations

import io
import random
import time

import pandas as pd
import xlsxwriter

HEADER = ["site", "site_country", "material", "on_hand", "monthly_use", "unit", "supplier_country",
          "supplier_share"]


def make_workbook(n: int = 100_000, seed: int = 1) -> bytes:
    """n data rows under the header (pairs of supply lines per site and material)."""
    rnd = random.Random(seed)
    mats = ["Dysprosium oxide", "NdFeB magnets", "titanium sponge", "Terbium oxide", "Dy2O3", "AZ91"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "in_memory": True})
    ws = wb.add_worksheet("stock")
    ws.write_row(0, 0, HEADER)
    r, i = 1, 0
    while r <= n:
        site, mat = f"EXAMPLE site {i}", mats[i % len(mats)]
        ws.write_row(r, 0, [site, "DE", mat, rnd.randint(1, 10**6) + 0.5, rnd.randint(1, 999) + 0.25, "kg",
                            "CN", 0.6])
        r += 1
        if r <= n:
            ws.write_row(r, 0, [site, None, mat, None, None, None, "NA", 0.4])
            r += 1
        i += 1
    wb.close()
    return buf.getvalue()


def read_openpyxl(data: bytes) -> list[list]:
    df = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="openpyxl", dtype=object)
    return df.values.tolist()


def read_calamine(data: bytes) -> list[list]:
    import python_calamine
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    data = make_workbook()
    print(f"workbook: 100,000 data rows, {len(data) / 1e6:.1f} MB (xlsx)")
    rows_o, rows_c = read_openpyxl(data), read_calamine(data)
    print(f"rows read: openpyxl {len(rows_o):,}, calamine {len(rows_c):,}")
    t_o = best_of(lambda: read_openpyxl(data))
    t_c = best_of(lambda: read_calamine(data))
    print(f"pandas.read_excel(engine='openpyxl'): {t_o:.2f} s")
    print(f"python-calamine to_python:           {t_c:.2f} s")
    print(f"calamine is {t_o / t_c:.1f}x faster" if t_c < t_o else f"openpyxl is {t_c / t_o:.1f}x faster")
    try:
        from chokepoint.stockpile_xlsx import parse_stockpile_xlsx
    except ImportError:
        return
    res = parse_stockpile_xlsx(data)
    assert res.ok, [str(e) for e in res.errors[:3]]
    t_all = best_of(lambda: parse_stockpile_xlsx(data))
    print(f"stockpile_xlsx.parse_stockpile_xlsx (read + validate, {len(res.lines):,} lines): {t_all:.2f} s")


if __name__ == "__main__":
    main()
