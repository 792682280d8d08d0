"""Benchmark: the Exposure page's queries on the built-in data and on a BACI-scale table.

Run with `make bench` (or `python -m bench.bench_exposure [--reps N] [--baci-reps N]`). Prints one table:
query, dataset, p50 / p95 in ms (DuckDB via db.run_query, result as a DataFrame, fresh cursor per
call), the same computation in plain pandas on a DataFrame already in memory (p50 ms), and the
ratio pandas p50 / DuckDB p50 (> 1: DuckDB is faster). Targets: p95 < 50 ms on the
built-in data, < 500 ms at BACI scale, on 2 cores (db connections use threads=2).

The BACI-scale table is GENERATED (not real data): 25 years (5 by default, 25 with BENCH_FULL=1,
as are the repetitions: 10 and 5 by default, 30 and 15 in full) x 230 exporters x 229 importers
(every pair but self-trade, i.e. fully DENSE, the worst case; real BACI has ~4,000 flows per HS
line and year, so it is ~10x sparser) x 15 HS codes = 19,750,500 rows with the trade_flows
schema. It is written once, sorted by (year, hs6), to a temp folder and reused on later runs;
every other table comes from the built-in data (db.table_sources falls back to data/).
No timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from bench import size
from chokepoint import catalog, db, exposure

ROOT = Path(__file__).resolve().parent.parent

YEARS = list(range(size(2020, 2000), 2025))   # 5 years by default, 25 in full
N_COUNTRIES = 230
N_HS = 15
SPEC = f"v1-{len(YEARS)}y-{N_COUNTRIES}c-{N_HS}hs-dense"


# ---------------------------------------------------------------- the generated BACI-scale table
def countries() -> list[str]:
    must = ["CHN", "IND", "USA", "JPN", "DEU", "KOR", "VNM", "ISR", "KAZ", "SAU", "NLD"]
    rest = sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in must)
    return (must + rest)[:N_COUNTRIES]


def hs_lines() -> list[tuple[str, str]]:
    first = ["850511", "810411", "810820"]
    codes = first + [h for h in catalog.hs_codes() if h not in first]
    return [(h, catalog.hs_codes()[h]["material_id"]) for h in codes[:N_HS]]


def baci_scale_dir() -> Path:
    """Folder with the generated trade_flows.parquet (made on first use, then reused)."""
    d = Path(tempfile.gettempdir()) / f"chokepoint-bench-baci-{SPEC}"
    path = d / "trade_flows.parquet"
    if path.exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    iso = countries()
    n = len(iso)
    ex, im = np.meshgrid(np.arange(n, dtype=np.int16), np.arange(n, dtype=np.int16), indexing="ij")
    keep = ex != im
    ex, im = ex[keep], im[keep]                       # 230 x 229 pairs
    pairs = len(ex)
    rng = np.random.default_rng(2024)
    codes = hs_lines()
    hs_dict = pa.array([h for h, _ in codes])
    mat_dict = pa.array([m for _, m in codes])
    exp_dict = pa.array(iso)
    china = np.int16(iso.index("CHN"))
    tmp = path.with_suffix(".parquet.tmp")
    writer = None
    for y in YEARS:
        for k in range(len(codes)):
            value = rng.lognormal(11.0, 2.0, pairs)
            value[ex == china] *= 25.0                 # China is the big supplier, as in real data
            qty = value / rng.lognormal(9.5, 0.6, pairs)
            table = pa.table({
                "year": pa.array(np.full(pairs, y, dtype=np.int32)),
                "exporter": pa.DictionaryArray.from_arrays(pa.array(ex), exp_dict),
                "importer": pa.DictionaryArray.from_arrays(pa.array(im), exp_dict),
                "hs6": pa.DictionaryArray.from_arrays(pa.array(np.full(pairs, k, dtype=np.int8)), hs_dict),
                "material_id": pa.DictionaryArray.from_arrays(pa.array(np.full(pairs, k, dtype=np.int8)), mat_dict),
                "value_usd": pa.array(np.round(value, 0)),
                "quantity_t": pa.array(np.round(qty, 3)),
                "source": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(pairs, dtype=np.int8)),
                    pa.array(["GENERATED benchmark data (bench/bench_exposure.py), not real"])),
            })
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=pairs)
    writer.close()
    os.replace(tmp, path)
    print(f"# generated {len(YEARS) * len(codes) * pairs:,} rows in {time.perf_counter() - t0:.1f} s -> {path}",
          flush=True)
    return d


# ---------------------------------------------------------------- the same computations in pandas
def _amount(df: pd.DataFrame, basis: str) -> pd.Series:
    return df["quantity_t"] if basis == "quantity" else df["value_usd"]


def pd_supplier_shares(t, importer, hs6_list, year, basis):
    f = t[(t["importer"] == importer) & (t["year"] == year) & t["hs6"].isin(hs6_list)]
    g = f.groupby("exporter", observed=True).agg(value_usd=("value_usd", "sum"), quantity_t=("quantity_t", "sum"))
    a = _amount(g, basis)
    g["share"] = a / a.sum()
    return g.sort_values("share", ascending=False).reset_index()


def pd_bilateral(t, hs6_list, year, basis):
    f = t[(t["year"] == year) & t["hs6"].isin(hs6_list)]
    g = f.groupby(["importer", "exporter"], observed=True).agg(
        value_usd=("value_usd", "sum"), quantity_t=("quantity_t", "sum")).reset_index()
    a = _amount(g, basis)
    g["share"] = a / a.groupby(g["importer"], observed=True).transform("sum")
    return g


def pd_china_by_importer(t, hs6_list, year, basis):
    g = pd_bilateral(t, hs6_list, year, basis)
    g["sq"] = g["share"] ** 2
    g["chn"] = g["share"].where(g["exporter"] == "CHN", 0.0)
    out = g.groupby("importer", observed=True).agg(china_share=("chn", "sum"), hhi=("sq", "sum"),
                                                   value_usd=("value_usd", "sum"))
    top = g[g["exporter"] != "ROW"].sort_values("share").groupby("importer", observed=True).tail(1)
    return out.join(top.set_index("importer")[["exporter", "share"]]).sort_values("china_share", ascending=False)


def pd_profile(t, importer, year, basis):
    f = t[(t["importer"] == importer) & (t["year"] == year)]
    g = f.groupby(["hs6", "exporter"], observed=True).agg(value_usd=("value_usd", "sum"),
                                                         quantity_t=("quantity_t", "sum")).reset_index()
    a = _amount(g, basis)
    g["share"] = a / a.groupby(g["hs6"], observed=True).transform("sum")
    g["sq"] = g["share"] ** 2
    g["chn"] = g["share"].where(g["exporter"] == "CHN", 0.0)
    return g.groupby("hs6", observed=True).agg(china_share=("chn", "sum"), hhi=("sq", "sum"))


def pd_series(t, hs6_list):
    f = t[t["hs6"].isin(hs6_list)]
    f = f.assign(chn=f["value_usd"].where(f["exporter"] == "CHN", 0.0))
    g = f.groupby(["year", "hs6"], observed=True).agg(chn=("chn", "sum"), world=("value_usd", "sum"))
    return g["chn"] / g["world"]


def pd_coverage(t):
    return t.groupby(["year", "hs6"], observed=True).agg(n_flows=("importer", "size"))


# ---------------------------------------------------------------- timing
def timed(fn, reps: int) -> list[float]:
    fn()  # warm-up (parquet metadata, caches)
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def cases(year: int):
    """(label, query name, params, pandas function or None) for the page's queries."""
    hs = ["850511"]
    return [
        ("exposure_trade_coverage", "exposure_trade_coverage", {}, lambda t: pd_coverage(t)),
        ("exposure_china_share_by_importer", "exposure_china_share_by_importer",
         dict(hs6_list=hs, year=year, basis="value"), lambda t: pd_china_by_importer(t, hs, year, "value")),
        ("exposure_supplier_shares", "exposure_supplier_shares",
         dict(importer="IND", hs6_list=hs, year=year, basis="value"),
         lambda t: pd_supplier_shares(t, "IND", hs, year, "value")),
        ("exposure_supplier_shares (quantity)", "exposure_supplier_shares",
         dict(importer="IND", hs6_list=hs, year=year, basis="quantity"),
         lambda t: pd_supplier_shares(t, "IND", hs, year, "quantity")),
        ("exposure_bilateral_shares", "exposure_bilateral_shares", dict(hs6_list=hs, year=year, basis="value"),
         lambda t: pd_bilateral(t, hs, year, "value")),
        ("exposure_profile", "exposure_profile", dict(importer="IND", year=year, basis="value"),
         lambda t: pd_profile(t, "IND", year, "value")),
        ("exposure_china_export_share_series", "exposure_china_export_share_series", dict(hs6_list=["810411"]),
         lambda t: pd_series(t, ["810411"])),
        ("exposure_import_reliance", "exposure_import_reliance", dict(country="USA", year=year), None),
        ("exposure_upstream_published", "exposure_upstream_published",
         dict(materials=list(exposure.UPSTREAM["850511"].published_materials), controller="CHN"), None),
        ("exposure_producers", "exposure_producers", dict(material_id="magnesium_metal", stage="metal"), None),
    ]


def bench(dataset: str, data_dir: Path, reps: int, year: int) -> list[dict]:
    t = pd.read_parquet(data_dir / "trade_flows.parquet")
    for c in ("exporter", "importer", "hs6"):
        t[c] = t[c].astype("category")
    rows = []
    for label, name, params, pdf in cases(year):
        ms = timed(lambda name=name, params=params: db.run_query(name, data_dir=data_dir, **params), reps)
        pms = timed(lambda pdf=pdf: pdf(t), reps) if pdf else None
        rows.append({"query": label, "dataset": dataset, "p50_ms": statistics.median(ms), "p95_ms": p95(ms),
                     "pandas_p50_ms": statistics.median(pms) if pms else None})
    run = exposure.default_runner(data_dir)
    ms = timed(lambda: exposure.exposure("IND", "850511", year=year, run=run), max(3, reps // 3))
    rows.append({"query": "exposure() end to end, with look-through", "dataset": dataset,
                 "p50_ms": statistics.median(ms), "p95_ms": p95(ms), "pandas_p50_ms": None})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=size(10, 30), help="timed runs per query on the built-in data")
    ap.add_argument("--baci-reps", type=int, default=size(5, 15), help="timed runs per query at BACI scale")
    args = ap.parse_args()
    print(f"# {os.cpu_count()} CPUs visible; DuckDB threads=2; Python {sys.version.split()[0]}", flush=True)
    rows = bench("built-in (605 rows)", db.DATA, args.reps, 2024)
    d = baci_scale_dir()
    n = len(YEARS) * N_COUNTRIES * (N_COUNTRIES - 1) * N_HS
    rows += bench(f"BACI-scale generated ({n / 1e6:.2f}M rows, dense)", d, args.baci_reps, 2024)
    df = pd.DataFrame(rows)
    df["ratio"] = df["pandas_p50_ms"] / df["p50_ms"]
    fmt = "| {:<42} | {:<42} | {:>8} | {:>8} | {:>14} | {:>22} |"
    print(fmt.format("query", "dataset", "p50 ms", "p95 ms", "pandas p50 ms", "ratio (pandas/duckdb)"))
    print(fmt.format(*["-" * 42, "-" * 42, "-" * 8, "-" * 8, "-" * 14, "-" * 22]))
    for r in df.itertuples():
        print(fmt.format(r.query, r.dataset, f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}",
                         "—" if pd.isna(r.pandas_p50_ms) else f"{r.pandas_p50_ms:.1f}",
                         "—" if pd.isna(r.ratio) else f"{r.ratio:.2f}x"))
    q = df[df["query"].str.startswith("exposure_")]  # single queries (the end-to-end row runs ~8)
    small = q[q["dataset"].str.startswith("built-in")]
    big = q[~q["dataset"].str.startswith("built-in")]
    print(f"# worst single-query p95: built-in {small['p95_ms'].max():.1f} ms (target < 50 ms); "
          f"BACI-scale {big['p95_ms'].max():.1f} ms (target < 500 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
