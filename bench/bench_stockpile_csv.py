"""Parse time of a 100,000-row stockpile CSV: chokepoint.stockpile_csv vs plain pandas.read_csv.

The file is generated here (invented example sites and quantities). pandas.read_csv only splits
and converts; the reader also detects the dialect, resolves every material and country, checks
groups and shares. Prints timings and the ratio; asserts nothing.
"""
from __future__ import annotations

import io
import random
import time

import pandas as pd

from chokepoint.stockpile_csv import MAX_ROWS, parse_stockpile_csv


def make_file(n: int = MAX_ROWS, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    mats = ["Dysprosium oxide", "NdFeB magnets", "titanium sponge", "Terbium oxide", "Dy2O3", "AZ91"]
    out = ["site;site_country;material;on_hand;monthly_use;unit;supplier_country;supplier_share"]
    i = 0
    while len(out) <= n:
        site, mat = f"EXAMPLE site {i}", mats[i % len(mats)]
        on_hand = f"{rnd.randint(1, 10**6):,}".replace(",", ".") + ",5"     # 1.234.567,5
        out.append(f"{site};DE;{mat};{on_hand};{rnd.randint(1, 999)},25;kg;CN;60%")
        if len(out) <= n:
            out.append(f"{site};;{mat};;;;NA;0,4")
        i += 1
    return ("\n".join(out) + "\n").encode("utf-8")


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    data = make_file()
    res = parse_stockpile_csv(data)
    assert res.ok, [str(e) for e in res.errors[:3]]
    t_ours = best_of(lambda: parse_stockpile_csv(data))
    t_pandas = best_of(lambda: pd.read_csv(io.BytesIO(data), sep=";", decimal=",", thousands="."))
    print(f"rows: {len(res.lines):,}  bytes: {len(data) / 1e6:.1f} MB  dialect: {res.dialect.describe()}")
    print(f"stockpile_csv.parse_stockpile_csv: {t_ours:.2f} s")
    print(f"pandas.read_csv (split + convert only): {t_pandas:.2f} s")
    print(f"ratio: {t_ours / t_pandas:.1f}x")


if __name__ == "__main__":
    main()
