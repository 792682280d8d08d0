"""Look-through with ranked evidence and a range: how much of a supplier's product traces to China.

For an importer c buying a product from suppliers e (shares ``share(c, e)``), China's total share is

    total(c) = direct(c) + min(Σ_{e ≠ CHN} share(c, e) · dep(e),  1 − direct(c))

where ``dep(e)`` is supplier e's dependence on China for the UPSTREAM input of the product
(magnets: refined rare earths; unwrought magnesium: smelted magnesium; unwrought titanium: sponge).
Each supplier gets three values, ``dep_low <= dep <= dep_high``, from the best evidence the dataset
holds, in this order (the ``evidence`` key says which was used):

1. ``own_imports`` — the supplier's own imports of the upstream input in the trade tables (the HS
   lines of ``Upstream.hs6_lines``; for magnesium and titanium the same line, for magnets HS 280530
   and 284690 when the dataset has them). With imports M (from China M_CHN, in the ROW bucket M_ROW)
   and domestic production P of the input (production table, tonnes; 0 for a non-producer):
   ``dep = dep_low = M_CHN / (P + M)`` and ``dep_high = (M_CHN + M_ROW) / (P + M)`` (China may hide in
   the ROW bucket). Shares on the selection's basis stand in for tonnes when P = 0.
2. ``published`` — a published country figure (import_shares; an EU member takes the EU figure)
   with its year. A figure whose period ends more than ``OLD_AFTER_YEARS`` before the trade year is
   ``old``: its range widens to China's world share, ``[min(fig, world), max(fig, world)]``.
3. ``producer`` — the supplier produces the upstream input itself (production table at the
   upstream stage, e.g. Malaysia's rare-earth separation of Australian concentrate): ``dep = 0``
   (it uses its own output), ``dep_low = 0``; ``dep_high`` = its own China share (+ ROW) of imports of
   the same HS line where it re-exports (magnesium, titanium: 0 if it imports none), and for
   magnets at least China's world refining share (its magnet makers may still buy Chinese metal).
4. ``own_product_imports`` (magnets only) — a supplier that imports the product itself mostly from
   China (its China share of the same HS line above China's world share) is taken as a
   re-exporter: ``dep`` = that share, ``dep_high`` adds its ROW bucket, ``dep_low = 0``.
5. ``world_fallback`` — nothing country-specific: ``dep`` = China's share of world production at
   the upstream stage, ``dep_high`` the same (for magnets, or the supplier's own China share +
   ROW of magnet imports when higher); ``dep_low = 0`` (it produces nothing upstream and the data
   does not say where it buys its input).

China itself counts 1 (``china``); the rest-of-world bucket (``row_bucket``, not a country) counts
``[0, world, world]``. A supplier without any of these (no upstream mapping) is unknown (NaN,
counted 0 in all three and reported as ``indirect_unknown_share``).

``china_share_total_low`` / ``china_share_total`` / ``china_share_total_high`` apply the formula
with ``dep_low`` / ``dep`` / ``dep_high``. Since ``dep_low <= dep <= dep_high`` for every supplier and
the cap ``1 − direct`` is monotone, ``low <= point <= high`` for every importer. One level only:
a supplier's suppliers are not chained. Pure: DataFrames in, DataFrames out.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import catalog
from .constants import CONTROLLER, ROW

#: Evidence keys, best first (``china`` and ``row_bucket`` are not evidence about a country).
EVIDENCE = ("own_imports", "published", "producer", "own_product_imports", "world_fallback")
CHINA, ROW_BUCKET, NO_MAPPING = "china", "row_bucket", "no_mapping"
#: A published figure whose period ends more than this many years before the trade year is old.
OLD_AFTER_YEARS = 4

#: The method in one paragraph (Exposure page, briefing methods slide, docs/METHODS.md).
METHOD = (
    "Look-through: total = direct + Σ over non-Chinese suppliers of (supplier's share) × (its own "
    "dependence on China for the upstream input), capped at 100%, one level deep. Each supplier's "
    "dependence comes from the best evidence in the data, in this order, and the table says which: "
    "(a) its own imports of the upstream input in the trade tables, weighted by its own production of "
    "the input if it has any; (b) a published country figure (EU members: the EU figure), flagged old "
    f"when its period ends more than {OLD_AFTER_YEARS} years before the trade year; (c) it produces the "
    "upstream input itself (counted 0: it uses its own output); (d) for magnets, a supplier importing the "
    "product mostly from China is taken as a re-exporter at that share; (e) China's share of world "
    "production at the upstream stage, as the last resort. The range: the low end counts producers, "
    "re-exporters and fallback suppliers at 0 (nothing in the data says their input is Chinese) and old "
    "figures at the lower of figure and world share; the high end counts fallback suppliers (and magnet "
    "makers in refining countries) at the world share, re-exporters at their own China share, old "
    "figures at the higher of the two, and China hiding in any rest-of-world bucket.")

COLUMNS = ["supplier", "dependence", "dependence_low", "dependence_high", "evidence", "evidence_year",
           "dependence_basis", "dependence_source", "thin"]


@dataclass(frozen=True)
class Upstream:
    """What a supplier of an HS line needs from upstream, and where its China share comes from."""

    hs6: str
    input_label: str
    hs6_lines: tuple[str, ...]             # the upstream input's HS lines in the trade tables (evidence a)
    published_materials: tuple[str, ...]   # import_shares selectors, most specific first (evidence b)
    world_material: str                    # production: China's world share at this stage (evidence d)
    world_stage: str
    producer_material: str | None = None   # production rows at this stage = domestic producers (evidence c)
    producer_stage: str | None = None
    #: True when the product IS the upstream input (smelted magnesium, titanium sponge): a supplier
    #: that does not produce it can only re-export. False for magnets: magnet makers everywhere
    #: use refined rare earths, so a refiner's magnets may still contain Chinese metal.
    reexport_only: bool = False


def _period_end(period: Any) -> int | None:
    years = re.findall(r"\d{4}", str(period))
    return int(years[-1]) if years else None


def _max(*xs: float) -> float:
    """The largest of the numbers that are not NaN (NaN when none is)."""
    known = [x for x in xs if x == x]
    return max(known) if known else math.nan


def _num(x: Any) -> float:
    return math.nan if x is None or pd.isna(x) else float(x)


def _published(published: pd.DataFrame | None, order: tuple[str, ...]) -> dict[str, Any]:
    """{importer: its first published row, most specific material first}."""
    pub: dict[str, Any] = {}
    if published is None or published.empty:
        return pub
    rank = {m: i for i, m in enumerate(order)}
    p = published[published["material"].isin(rank)].copy()
    p["o"] = p["material"].map(rank)
    for r in p.sort_values(["importer", "o"], kind="stable").itertuples():
        pub.setdefault(r.importer, r)
    return pub


def _producers(producers: pd.DataFrame | None) -> dict[str, tuple[float, int]]:
    """{country: (tonnes, year)} of domestic producers (quantity > 0, world row excluded)."""
    if producers is None or producers.empty:
        return {}
    p = producers[(producers["country"] != "WLD") & (producers["quantity_t"].fillna(0) > 0)]
    return {r.country: (float(r.quantity_t), int(r.year)) for r in p.itertuples()}


def own_shares(frame: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """{importer: {china_share, row_share, quantity_t, china_t, row_t}} from
    ``lookthrough_upstream_imports`` rows (or any frame with those columns)."""
    if frame is None or frame.empty:
        return {}
    cols = ["china_share", "row_share", "quantity_t", "china_t", "row_t"]
    return {r["importer"]: {c: _num(r.get(c)) for c in cols} for r in frame.to_dict("records")}


@dataclass(frozen=True)
class _Inputs:
    """What the ladder knows, prepared once for all suppliers."""

    up: Upstream
    year: int
    upstream_imports: dict[str, dict[str, float]]
    same_line: dict[str, dict[str, float]]
    pub: dict[str, Any]
    prod: dict[str, tuple[float, int]]
    w: float              # China's world share at the upstream stage (NaN when unknown)
    w_year: int | None
    w_src: str
    w_text: str

    def same(self, e: str) -> tuple[float, float]:
        """(China share, China + ROW share) of e's own imports of the same HS line (NaN: none)."""
        s = self.same_line.get(e)
        return (math.nan, math.nan) if s is None else (s["china_share"], s["china_share"] + s["row_share"])


Row = tuple  # one COLUMNS row


def _own_imports(e: str, k: _Inputs) -> Row | None:
    """(a) e's own imports of the upstream input, weighted by its own production of it."""
    up = k.upstream_imports.get(e)
    p_t, p_year = k.prod.get(e, (0.0, None))
    m_t = math.nan if up is None else up["quantity_t"]
    if up is None or math.isnan(up["china_share"]) or (p_t > 0 and not (m_t == m_t and m_t > 0)):
        return None   # no imports, or a producer whose imports have no tonnes to weigh
    if p_t > 0:
        den = p_t + m_t
        point, high = up["china_t"] / den, (up["china_t"] + up["row_t"]) / den
        how = (f"its own imports of {k.up.input_label}, {k.year}: {up['china_share']:.0%} from China, weighted "
               f"by imports / (domestic production {p_year} + imports) = {m_t / den:.0%}")
    else:
        point, high = up["china_share"], up["china_share"] + up["row_share"]
        who = "not a producer of the input: re-exports; " if k.up.reexport_only else ""
        how = f"{who}its own imports of {k.up.input_label} (HS {', '.join(k.up.hs6_lines)}) from China, {k.year}"
    if high - point >= 0.005:
        how += f"; up to {min(high, 1.0):.0%} if China hides in its rest-of-world bucket"
    return (e, point, point, min(high, 1.0), "own_imports", k.year, how, "trade_flows", False)


def _published_figure(e: str, k: _Inputs) -> Row | None:
    """(b) a published country figure (an EU member: the EU figure); old figures widen to the world share."""
    if not (e in k.pub or (e in catalog.EU27 and "EUN" in k.pub)):
        return None
    r = k.pub.get(e) or k.pub["EUN"]
    who = "published country figure" if e in k.pub else "published EU figure"
    end = _period_end(r.period)
    old = end is not None and end < k.year - OLD_AFTER_YEARS
    fig = float(r.share)
    lo, hi = (min(fig, k.w), max(fig, k.w)) if old and k.w == k.w else (fig, fig)
    how = f"{who}: {r.material}, {r.period} ({r.share_basis})"
    if old:
        how += f" — old (before {k.year - OLD_AFTER_YEARS}): range to the {k.w_text}"
    return (e, fig, lo, hi, "published", end, how, r.source, old)


def _producer(e: str, k: _Inputs) -> Row | None:
    """(c) a domestic producer of the upstream input: 0, up to what it might re-export or buy."""
    p_t, p_year = k.prod.get(e, (0.0, None))
    if p_t <= 0:
        return None
    _, s_hi = k.same(e)
    if k.up.reexport_only:
        hi = 0.0 if s_hi != s_hi else s_hi
        tail = (f"; up to {hi:.0%} if it re-exports its own imports of the same HS line" if hi > 0
                else "; it imports none of the same HS line")
    else:
        hi = _max(k.w, s_hi)
        tail = f"; up to {hi:.0%} if its makers buy as the world does ({k.w_text})"
    how = (f"domestic producer of {k.up.input_label} ({p_t:,.0f} t, {p_year}; production table): "
           f"assumed to use its own output{tail}")
    return (e, 0.0, 0.0, min(hi, 1.0), "producer", p_year, how, "production", False)


def _fallback(e: str, k: _Inputs) -> Row:
    """(d) magnets: a re-exporter's own China share of the product; else China's world share."""
    s_chn, s_hi = k.same(e)
    if not k.up.reexport_only and s_chn == s_chn and (k.w != k.w or s_chn > k.w):
        return (e, s_chn, 0.0, min(_max(s_chn, s_hi), 1.0), "own_product_imports", k.year,
                f"its own imports of the same HS line from China, {k.year} (above the {k.w_text}: "
                "a re-exporter); low end 0: it produces nothing upstream", "trade_flows", False)
    hi = _max(k.w, s_hi) if not k.up.reexport_only else k.w
    return (e, k.w, 0.0 if k.w == k.w else math.nan, min(hi, 1.0) if hi == hi else hi, "world_fallback",
            k.w_year, f"{k.w_text} (fallback); low end 0: it produces nothing upstream", k.w_src, True)


def ladder(suppliers: list[str], upstream: Upstream | None, *, year: int,
           upstream_imports: dict[str, dict[str, float]], same_line: dict[str, dict[str, float]],
           published: pd.DataFrame | None, producers: pd.DataFrame | None,
           world: pd.Series | None) -> pd.DataFrame:
    """Each supplier's dependence on China (point, low, high) with the evidence used (module doc).

    upstream_imports / same_line: ``own_shares`` of the suppliers' own imports of the upstream input
    and of the same HS line; published: ``exposure_upstream_published`` rows; producers:
    ``exposure_producers`` rows at the upstream stage; world: a ``production_concentration`` row
    (china_share, year, source) for the upstream stage. Output columns: ``COLUMNS``.
    """
    china: Row = (CONTROLLER, 1.0, 1.0, 1.0, CHINA, None, "China itself (direct)", "", False)
    if upstream is None:
        rows = [china if e == CONTROLLER else
                (e, math.nan, math.nan, math.nan, NO_MAPPING, None, "no upstream mapping for this HS line", "", True)
                for e in suppliers]
        return pd.DataFrame(rows, columns=COLUMNS)
    w, w_year, w_src, w_text = math.nan, None, "", "no world production share for the upstream stage"
    if world is not None:
        w, w_year, w_src = float(world["china_share"]), int(world["year"]), str(world["source"])
        w_text = f"world {upstream.world_stage} share of China, {w_year}"
    k = _Inputs(upstream, year, upstream_imports, same_line, _published(published, upstream.published_materials),
                _producers(producers), w, w_year, w_src, w_text)
    rows = []
    for e in suppliers:
        if e == CONTROLLER:
            rows.append(china)
        elif e == ROW:
            rows.append((e, w, 0.0 if w == w else math.nan, w, ROW_BUCKET, w_year,
                         f"ROW bucket (not a country): {w_text} (fallback)", w_src, True))
        else:
            rows.append(_own_imports(e, k) or _published_figure(e, k) or _producer(e, k) or _fallback(e, k))
    out = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("dependence", "dependence_low", "dependence_high"):
        out[c] = out[c].astype("float64").clip(0, 1)
    return out


def with_range(dep: pd.DataFrame) -> pd.DataFrame:
    """A dependence frame with ``dependence_low``/``dependence_high`` (equal to ``dependence``
    where a caller built the frame without a range) and ``evidence``."""
    d = dep.copy()
    for c in ("dependence_low", "dependence_high"):
        if c not in d:
            d[c] = d["dependence"]
    if "evidence" not in d:
        d["evidence"] = None
    return d


def totals(detail: pd.DataFrame, by: str | None = None) -> pd.DataFrame | dict:
    """Direct, indirect (point, low, high) and total China share from supplier rows that carry
    ``share`` and the ladder's three dependences (NaN dependence counts 0). ``by``: group column
    (e.g. ``importer``) -> a frame; None -> one dict."""
    d = detail.copy()
    china = d["supplier"] == CONTROLLER
    d["_direct"] = d["share"].where(china, 0.0).fillna(0.0)
    for k, c in (("", "dependence"), ("_low", "dependence_low"), ("_high", "dependence_high")):
        d[f"_ind{k}"] = (d["share"] * d[c]).where(~china, 0.0).fillna(0.0)
    keys = ["_direct", "_ind", "_ind_low", "_ind_high"]
    g = d.groupby(by, as_index=False)[keys].sum() if by else pd.DataFrame([d[keys].sum()])
    cap = (1.0 - g["_direct"]).clip(lower=0.0)
    out = pd.DataFrame({"china_share_direct": g["_direct"]})
    for k in ("", "_low", "_high"):
        out[f"china_share_indirect{k}"] = g[f"_ind{k}"].clip(lower=0.0).combine(cap, min)
        out[f"china_share_total{k}"] = out["china_share_direct"] + out[f"china_share_indirect{k}"]
    if by:
        out.insert(0, by, g[by])
        return out
    return {k: float(v) for k, v in out.iloc[0].items()}


def evidence_shares(detail: pd.DataFrame) -> dict[str, float]:
    """Share of the importer's imports resting on each kind of evidence (non-Chinese suppliers)."""
    d = detail[detail["supplier"] != CONTROLLER]
    if "evidence" not in d or d["evidence"].isna().all():
        return {}
    return {str(k): float(v) for k, v in d.groupby("evidence")["share"].sum().items()}
