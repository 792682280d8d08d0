"""Change over time: China's share, the top supplier and concentration of each importer in two
years side by side ("what changed"). Shares are by VALUE in both years, because the earlier
year (2022) has value only; the charts and findings say so.

``table`` computes the per-importer comparison once (from ``exposure_china_share_by_importer``
for each year); ``chart`` draws it for every importer (the Exposure page and packs), ``country``
gives one importer's findings.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .. import catalog
from ..fmt import pct
from .spec import ChartSpec, Finding

Runner = Callable[..., pd.DataFrame]
#: Change is compared on value: the 2022 flows give no quantity.
BASIS = "value"
SOURCE = "CEPII BACI HS17 V202601 (2022) and HS92 V202601 (2024)"
COLUMNS = ("china_share", "top_supplier", "top_share", "hhi", "value_usd")


def years(run: Runner, hs6: tuple[str, ...]) -> list[int]:
    """Years with bilateral flows for every one of the HS lines, oldest first."""
    cov = run("exposure_trade_coverage")
    have = cov[cov["hs6"].isin(hs6)].groupby("year")["hs6"].nunique()
    return sorted(int(y) for y, n in have.items() if n == len(set(hs6)))


def table(run: Runner, hs6: tuple[str, ...], first: int, last: int) -> pd.DataFrame:
    """One row per importer present in either year: China's share, top supplier, its share, HHI
    and import value in ``first`` and ``last`` (suffixes _<year>), and the changes:
    china_share_change (share points, last - first; null when the importer is missing in a year),
    hhi_change, top_supplier_changed (bool), status ('both years' | 'only <year>')."""
    frames = []
    for y in (first, last):
        d = run("exposure_china_share_by_importer", hs6_list=list(hs6), year=int(y), basis=BASIS)
        frames.append(d[["importer", *COLUMNS]].rename(columns={c: f"{c}_{y}" for c in COLUMNS}))
    t = frames[0].merge(frames[1], on="importer", how="outer")
    a, b = f"_{first}", f"_{last}"
    t["china_share_change"] = t[f"china_share{b}"] - t[f"china_share{a}"]
    t["hhi_change"] = t[f"hhi{b}"] - t[f"hhi{a}"]
    both = t[f"china_share{a}"].notna() & t[f"china_share{b}"].notna()
    t["top_supplier_changed"] = both & (t[f"top_supplier{a}"] != t[f"top_supplier{b}"])
    t["status"] = "both years"
    t.loc[t[f"china_share{a}"].isna(), "status"] = f"only {last}"
    t.loc[t[f"china_share{b}"].isna(), "status"] = f"only {first}"
    t.insert(1, "importer_name", t["importer"].map(catalog.country_name))
    t.attrs.update(first=int(first), last=int(last))
    return t.sort_values([f"value_usd{b}", "importer"], ascending=[False, True],
                         na_position="last").reset_index(drop=True)


def chart(t: pd.DataFrame, *, key: str, material: str, selected: str | None = None,
          top_n: int = 25) -> ChartSpec:
    """China's share in both years for the largest importers (by value in the later year), the
    selected one always shown; the title counts importers whose China share rose."""
    first, last = t.attrs["first"], t.attrs["last"]
    both = t[t["status"] == "both years"]
    up = int((both["china_share_change"] > 0.005).sum())
    down = int((both["china_share_change"] < -0.005).sum())
    shown = t[t["status"] == "both years"].head(top_n)
    if selected and selected not in set(shown["importer"]) and selected in set(both["importer"]):
        shown = pd.concat([shown, both[both["importer"] == selected]], ignore_index=True)
    med = both["china_share_change"].median() if len(both) else float("nan")
    return ChartSpec(
        f"change-{key}",
        f"From {first} to {last} China's share of {material} imports rose in {up} of {len(both)} importers, "
        f"fell in {down}",
        f"China's share of each importer's imports by value, {first} (hollow) and {last} (filled); "
        f"the {len(shown)} largest importers in {last}. {first} has value only, so both years are by value",
        SOURCE, shown, "exposure_change", {"selected": selected or "", "first": first, "last": last},
        tables=("trade_flows",),
        notes=(f"Both years by value: the {first} flows give no quantity.",
               f"Of {len(both)} importers with imports in both years, China's share rose by more than half a "
               f"point in {up} and fell by more than half a point in {down}; median change {pct_points(med)}.",
               f"{first} is BACI's HS17 edition and {last} its HS92 edition: the same HS lines, "
               "reconciled slightly differently."))


def pct_points(x: float) -> str:
    """A change of shares in percentage points, signed ("+10.3 pp"); "n/a" when missing."""
    return "n/a" if x is None or x != x else f"{x * 100:+.1f} pp"


def country(t: pd.DataFrame, importer: str, *, material: str) -> tuple[Finding, ...]:
    """What changed for one importer: China's share, the top supplier and HHI in both years."""
    first, last = t.attrs["first"], t.attrs["last"]
    rows = t[t["importer"] == importer]
    cname = catalog.country_name(importer)
    if rows.empty:
        return ()
    r = rows.iloc[0]
    if r["status"] != "both years":
        return (Finding(f"{cname}'s {material} imports, {first} and {last}",
                        f"{r['status']}", "", BASIS, SOURCE),)

    def name(c: object) -> str:
        return catalog.country_name(c) if isinstance(c, str) else "—"
    a, b = f"_{first}", f"_{last}"
    return (
        Finding(f"China's share of {cname}'s {material} imports by value, {first} → {last}",
                f"{pct(r['china_share' + a], 1)} → {pct(r['china_share' + b], 1)} "
                f"({pct_points(r['china_share_change'])})", "%", BASIS, SOURCE),
        Finding(f"Top supplier of {cname}, {first} → {last}",
                f"{name(r['top_supplier' + a])} {pct(r['top_share' + a], 1)} → "
                f"{name(r['top_supplier' + b])} {pct(r['top_share' + b], 1)}", "", BASIS, SOURCE),
        Finding(f"Supplier concentration (HHI) of {cname}, {first} → {last}",
                f"{r['hhi' + a]:.2f} → {r['hhi' + b]:.2f}", "index 0-1", BASIS, SOURCE),
    )
