"""Benchmark: months of cover for 250 holders x 30 materials x 8 regimes x 120 months.

Times the vectorised engine (``cover.simulate`` on prebuilt arrays, and the end-to-end
``cover.cover_table`` path from regimes) against straightforward pure-Python loops of the same model,
and checks that both give the same months. Prints figures only; never asserts on time.

    python -m bench.bench_cover
"""
from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pandas as pd

from chokepoint import catalog, cover, regimes

N_HOLDERS, N_MATERIALS, N_REGIMES, H, N_LINES = 250, 30, 8, 120, 5
LOOP_SUBSET = 1500  # (holder, material, regime) rows timed in pure Python, then extrapolated
ORIGINS = ["CHN", "JPN", "USA", "VNM", "MYS", "EST", "DEU", "KOR", "IND", "AUS", "GBR", "ROW"]
DESTS = ["USA", "DEU", "FRA", "ITA", "JPN", "KOR", "IND", "GBR", "CAN", "MEX", "BRA", "TUR", "POL",
         "ESP", "NLD", "SWE", "CZE", "AUT", "THA", "VNM", None]


def make_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    mats = list(catalog.materials())
    mats = [mats[i] for i in rng.choice(len(mats), N_MATERIALS, replace=False)]
    lib = regimes.load_library()
    regs = list(lib.values()) + [regimes.with_target(lib["ban-one-country"], "JPN")]
    assert len(regs) == N_REGIMES
    rows = []
    for h in range(N_HOLDERS):
        dest = DESTS[h % len(DESTS)]
        for m in mats:
            stock, use = rng.uniform(0, 2000), rng.choice([0.0, *rng.uniform(1, 300, 9)])
            origins = rng.choice([o for o in ORIGINS if o != dest], N_LINES, replace=False)
            shares = rng.dirichlet(np.ones(N_LINES)) * rng.uniform(0.8, 1.0)
            for o, s in zip(origins, shares):
                rows.append((f"h{h:03d}", m, dest, stock, use, o, s))
    df = pd.DataFrame(rows, columns=["holder", "material_id", "destination", "stock_t",
                                     "use_t_per_month", "origin", "share"])
    dependence = {m: {o: float(rng.uniform(0, 0.9)) for o in ORIGINS if o != "CHN"} for m in mats}
    return df, regs, dependence


# ----------------------------------------------------------------- pure-Python reference
def loop_pass(rule: regimes.Rule, t: int) -> float:
    if t <= rule.start_month or (rule.end_month is not None and t > rule.end_month):
        return 1.0
    return 0.0 if t <= rule.start_month + rule.delay_months else rule.approval_rate


def loop_months_from_pass(stock: float, use: float, shares: list[float], passes: list[list[float]]) -> float:
    """Month-by-month model of the months-of-cover model, docs/ARCHITECTURE.md on given pass fractions (NaN = not exhausted)."""
    if use == 0:
        return math.nan
    unknown = max(1.0 - sum(shares), 0.0)
    s, cum = stock, 0.0
    for t in range(len(passes[0])):
        delivered = unknown
        for sh, p in zip(shares, passes):
            delivered += sh * p[t]
        short = max(use - use * delivered, 0.0)
        cum += short
        if short > 0 and cum >= stock * (1 - 1e-12):
            return t + max(s, 0.0) / short
        s -= short
    return math.nan


def loop_one(regime, material, dest, stock, use, lines, dep, horizon) -> float:
    """The full model for one holder/material/regime, from the rules, in plain Python."""
    passes = []
    for origin, _ in lines:
        p = [1.0] * horizon
        for r in regime.rules:
            if material not in r.material_ids or dest == r.controller or not r.targets.includes(dest):
                continue
            if origin == r.controller:
                p = [p[t] * loop_pass(r, t + 1) for t in range(horizon)]
            elif r.extraterritorial and origin != dest:
                d = dep.get(material, {}).get(origin, 0.0)
                p = [p[t] * (1 - d * (1 - loop_pass(r, t + 1))) for t in range(horizon)]
        passes.append(p)
    return loop_months_from_pass(stock, use, [s for _, s in lines], passes)


def median_time(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    df, regs, dep = make_inputs()
    groups = df.groupby(["holder", "material_id"], sort=False)
    n_rows = groups.ngroups * len(regs)
    print(f"{N_HOLDERS} holders x {N_MATERIALS} materials x {len(regs)} regimes x {H} months "
          f"= {n_rows:,} simulations, {N_LINES} supply lines each\n")

    # end-to-end: regimes + long table -> months (what pages and the CLI call)
    t_table, table = median_time(lambda: cover.cover_table(df, regs, horizon=H, dependence=dep), 5)

    # the engine core on prebuilt arrays: shares [N, L] and pass fractions [N, L, H]
    tb = cover._prepare(df, dep)
    g_n = len(tb.groups)
    slot = pd.Series(tb.g).groupby(tb.g).cumcount().to_numpy()
    shares = np.zeros((g_n, int(slot.max()) + 1))
    shares[tb.g, slot] = tb.share
    pass_ = np.ones((n_rows, shares.shape[1], H))
    for r, reg in enumerate(regs):
        pass_[r * g_n + tb.g, slot] = regimes.lines_pass(reg, tb.lines, horizon=H)
    stock = np.tile(tb.groups["stock_t"].to_numpy(), len(regs))
    use = np.tile(tb.groups["use_t_per_month"].to_numpy(), len(regs))
    shares_n = np.tile(shares, (len(regs), 1))
    t_core, res = median_time(lambda: cover.simulate(stock, use, shares_n, pass_), 7)
    assert np.allclose(res.months, table["months"].to_numpy(), equal_nan=True)

    # pure-Python loops on a random subset, extrapolated
    rng = np.random.default_rng(1)
    subset = np.sort(rng.choice(n_rows, LOOP_SUBSET, replace=False))
    line_lists = {k: list(zip(v["origin"], v["share"])) for k, v in groups}
    keys = list(line_lists)
    pass_lists = [pass_[i].tolist() for i in subset]
    shares_lists = [shares_n[i].tolist() for i in subset]

    def loop_core():
        return [loop_months_from_pass(stock[i], use[i], shares_lists[j][:], pass_lists[j])
                for j, i in enumerate(subset)]

    def loop_full():
        out = []
        for i in subset:
            reg, (holder, mat) = regs[i // len(keys)], keys[i % len(keys)]
            first = tb.groups.iloc[i % len(keys)]
            out.append(loop_one(reg, mat, first["destination"], first["stock_t"], first["use_t_per_month"],
                                line_lists[(holder, mat)], dep, H))
        return out

    t_loop_core, m_core = median_time(loop_core, 3)
    t_loop_full, m_full = median_time(loop_full, 3)
    engine = table["months"].to_numpy()[subset]
    assert np.allclose(np.array(m_core), engine, equal_nan=True, rtol=1e-9, atol=1e-9), "core loop differs"
    assert np.allclose(np.array(m_full), engine, equal_nan=True, rtol=1e-9, atol=1e-9), "full loop differs"
    scale = n_rows / LOOP_SUBSET
    t_loop_core_all, t_loop_full_all = t_loop_core * scale, t_loop_full * scale

    w = 64
    print(f"{'path':<{w}} {'seconds':>9} {'loop/vec':>9}")
    print("-" * (w + 20))
    print(f"{'vectorised core: cover.simulate (median of 7)':<{w}} {t_core:9.3f} {t_loop_core_all / t_core:8.0f}x")
    print(f"{'vectorised end-to-end: cover.cover_table (median of 5)':<{w}} {t_table:9.3f} "
          f"{t_loop_full_all / t_table:8.0f}x")
    print(f"{f'pure-Python loop, core model (timed {LOOP_SUBSET:,} rows, x{scale:.0f})':<{w}} "
          f"{t_loop_core_all:9.3f}")
    print(f"{f'pure-Python loop, from regimes (timed {LOOP_SUBSET:,} rows, x{scale:.0f})':<{w}} "
          f"{t_loop_full_all:9.3f}")
    states = pd.Series(res.state).value_counts()
    print(f"\nsame months as the loops on the {LOOP_SUBSET:,}-row subset: yes; states: "
          + ", ".join(f"{k} {v:,}" for k, v in states.items()))
    print(f"loop times: {LOOP_SUBSET:,} random rows timed (median of 3) and scaled x{scale:.0f} to all rows; "
          "vectorised times are for all rows.")


if __name__ == "__main__":
    main()
