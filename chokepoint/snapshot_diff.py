"""Two company snapshots side by side: months of cover per holding under each regime in each,
the change, and what changed in the inputs (stock, use, site country, supply lines). Pure pandas;
the views (``views.company.snapshot_cover``) and the Company page build on it."""
from __future__ import annotations

import math

import pandas as pd

from . import catalog
from .constants import UNKNOWN_ORIGIN
from .fmt import pct

KEYS = ["site", "material_id"]
COVER_COLUMNS = ("site", "material_id", "material_name", "regime", "regime_name", "horizon_months", "status",
                 "months_a", "state_a", "months_b", "state_b", "change_months", "change_capped")
INPUT_COLUMNS = ("site", "material_id", "material_name", "status", "on_hand_t_a", "on_hand_t_b", "on_hand_change_t",
                 "monthly_use_t_a", "monthly_use_t_b", "monthly_use_change_t", "site_country_a", "site_country_b",
                 "suppliers_a", "suppliers_b", "changes")
_TOL = 1e-9


def _status(in_a: bool, in_b: bool) -> str:
    return "added" if not in_a else "removed" if not in_b else "in both"


def cover_change(res_a: pd.DataFrame, res_b: pd.DataFrame) -> pd.DataFrame:
    """Per (site, material, regime): months of cover in snapshot a and b (``company.results``
    rows), ``change_months`` = b - a when both run out, and ``change_capped`` on the capped scale
    (not exhausted = the horizon, so a lower bound when either side is capped). Holdings in one
    snapshot only have status ``added``/``removed`` and no change."""
    cols = KEYS + ["regime", "material_name", "regime_name", "horizon_months", "months", "months_capped", "state"]
    m = res_a[cols].merge(res_b[cols], on=KEYS + ["regime"], how="outer", suffixes=("_a", "_b"), indicator=True,
                          sort=False)
    both = m["_merge"] == "both"
    out = pd.DataFrame({
        "site": m["site"].astype(str), "material_id": m["material_id"].astype(str),
        "material_name": m["material_name_b"].fillna(m["material_name_a"]).astype(str),
        "regime": m["regime"].astype(str), "regime_name": m["regime_name_b"].fillna(m["regime_name_a"]).astype(str),
        "horizon_months": m["horizon_months_b"].fillna(m["horizon_months_a"]).astype(int),
        "status": [_status(x != "right_only", x != "left_only") for x in m["_merge"]],
        "months_a": m["months_a"].astype(float), "state_a": m["state_a"].astype(object),
        "months_b": m["months_b"].astype(float), "state_b": m["state_b"].astype(object),
        "change_months": (m["months_b"] - m["months_a"]).where(both).astype(float),
        "change_capped": (m["months_capped_b"] - m["months_capped_a"]).where(both).astype(float)})
    # holdings in the order of snapshot a, then the new ones of b; regimes in the order given
    holding = {k: i for i, k in enumerate(dict.fromkeys([*zip(res_a["site"], res_a["material_id"]),
                                                         *zip(res_b["site"], res_b["material_id"])]))}
    regime = {r: i for i, r in enumerate(dict.fromkeys([*res_a["regime"], *res_b["regime"]]))}
    rank = [(holding[(s, m)], regime[r]) for s, m, r in zip(out["site"], out["material_id"], out["regime"])]
    out = out.iloc[sorted(range(len(out)), key=rank.__getitem__)]
    return out.reset_index(drop=True)


def _suppliers(lines: pd.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """(site, material) -> {supplier ISO3 or UNK: share of monthly use} (unstated rest = UNK)."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for (site, mat), g in lines.groupby(KEYS, sort=False):
        d: dict[str, float] = {}
        for c, s in zip(g["supplier_country"], g["supplier_share"]):
            k = c if isinstance(c, str) and c not in ("", "None", "nan") else UNKNOWN_ORIGIN
            d[k] = d.get(k, 0.0) + (0.0 if s != s else float(s))
        rest = 1.0 - sum(d.values())
        if rest > 1e-6:
            d[UNKNOWN_ORIGIN] = d.get(UNKNOWN_ORIGIN, 0.0) + rest
        out[(str(site), str(mat))] = d
    return out


def _name(iso: str) -> str:
    return "unknown origin" if iso == UNKNOWN_ORIGIN else catalog.country_name(iso)


def _supply_text(d: dict[str, float]) -> str:
    return ", ".join(f"{_name(k)} {pct(v)}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))


def _t(v: float) -> str:
    return f"{v:,.6g} t"


def _what_changed(a: pd.Series | None, b: pd.Series | None, sup_a: dict[str, float], sup_b: dict[str, float]
                  ) -> str:
    if a is None:
        return "new holding"
    if b is None:
        return "holding no longer in the snapshot"
    parts = []
    if not math.isclose(a["on_hand_t"], b["on_hand_t"], rel_tol=1e-12, abs_tol=_TOL):
        parts.append(f"stock {_t(a['on_hand_t'])} → {_t(b['on_hand_t'])}")
    if not math.isclose(a["monthly_use_t"], b["monthly_use_t"], rel_tol=1e-12, abs_tol=_TOL):
        parts.append(f"use {_t(a['monthly_use_t'])}/month → {_t(b['monthly_use_t'])}/month")
    if str(a["site_country"]) != str(b["site_country"]):
        parts.append(f"site country {a['site_country']} → {b['site_country']}")
    for k in dict.fromkeys([*sup_a, *sup_b]):
        x, y = sup_a.get(k, 0.0), sup_b.get(k, 0.0)
        if abs(x - y) > 1e-6:
            who = _name(k)
            if x == 0:
                parts.append(f"{who} added ({pct(y)})")
            elif y == 0:
                parts.append(f"{who} dropped (was {pct(x)})")
            else:
                parts.append(f"{who} {pct(x)} → {pct(y)}")
    return "; ".join(parts) or "no change"


def input_changes(lines_a: pd.DataFrame, lines_b: pd.DataFrame) -> pd.DataFrame:
    """Per (site, material): stock, use, site country and supply lines in a and b, and a sentence
    saying what changed ("stock 300 t → 350.5 t; China 80% → 70%; Australia added (10%)")."""
    from .stockpile_csv import holdings_from_lines
    ha, hb = holdings_from_lines(lines_a), holdings_from_lines(lines_b)
    sa, sb = _suppliers(lines_a), _suppliers(lines_b)
    ia = {(r["site"], r["material_id"]): r for _, r in ha.iterrows()}
    ib = {(r["site"], r["material_id"]): r for _, r in hb.iterrows()}
    rows = []
    for key in dict.fromkeys([*ia, *ib]):
        a, b = ia.get(key), ib.get(key)
        sup_a, sup_b = sa.get(key, {}), sb.get(key, {})
        text = _what_changed(a, b, sup_a, sup_b)
        status = _status(a is not None, b is not None)
        if status == "in both":
            status = "unchanged" if text == "no change" else "changed"
        def g(r, c):
            return None if r is None else r[c]
        on_a, on_b = g(a, "on_hand_t"), g(b, "on_hand_t")
        use_a, use_b = g(a, "monthly_use_t"), g(b, "monthly_use_t")
        rows.append({"site": key[0], "material_id": key[1], "material_name": catalog.materials()[key[1]].name,
                     "status": status, "on_hand_t_a": on_a, "on_hand_t_b": on_b,
                     "on_hand_change_t": (on_b or 0.0) - (on_a or 0.0),
                     "monthly_use_t_a": use_a, "monthly_use_t_b": use_b,
                     "monthly_use_change_t": (use_b or 0.0) - (use_a or 0.0),
                     "site_country_a": g(a, "site_country"), "site_country_b": g(b, "site_country"),
                     "suppliers_a": _supply_text(sup_a) if a is not None else None,
                     "suppliers_b": _supply_text(sup_b) if b is not None else None, "changes": text})
    out = pd.DataFrame(rows, columns=list(INPUT_COLUMNS))
    for c in ("on_hand_t_a", "on_hand_t_b", "monthly_use_t_a", "monthly_use_t_b"):
        out[c] = out[c].astype(float)
    return out


def worst_change(table: pd.DataFrame) -> pd.Series | None:
    """The holding x regime whose cover fell most (on the capped scale), else None."""
    d = table.dropna(subset=["change_capped"])
    d = d[d["change_capped"] < -0.05]
    return d.loc[d["change_capped"].idxmin()] if len(d) else None


def best_change(table: pd.DataFrame) -> pd.Series | None:
    d = table.dropna(subset=["change_capped"])
    d = d[d["change_capped"] > 0.05]
    return d.loc[d["change_capped"].idxmax()] if len(d) else None


def counts(table: pd.DataFrame) -> tuple[int, int, int]:
    """(fell, rose, holding x regime pairs in both) on the capped scale."""
    d = table.dropna(subset=["change_capped"])
    return int((d["change_capped"] < -0.05).sum()), int((d["change_capped"] > 0.05).sum()), len(d)

