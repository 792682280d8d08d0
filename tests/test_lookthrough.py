"""Look-through with ranked evidence and a range (chokepoint/lookthrough.py): hand-worked cases
on a FIXTURE dataset, the low <= point <= high invariant over every importer of every material in
the built-in data, the CLI JSON keys and the ranking chart's whiskers.

The fixture is a dataset folder in tmp_path with trade_flows, import_shares and production parquet
files made up for these tests (FIXTURE numbers, not real data); every other table falls back to
the built-in data/.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from chokepoint import exposure, lookthrough

ROOT = Path(__file__).resolve().parent.parent
SRC = "FIXTURE for tests/test_lookthrough.py (not real data)"
HS_MAT = {"850511": "permanent_magnets", "810411": "magnesium_metal", "810820": "titanium_unwrought",
          "284690": "rare_earth_compounds"}


def _flows(rows):
    return pd.DataFrame([
        {"year": 2024, "exporter": e, "importer": i, "hs6": h, "material_id": HS_MAT[h],
         "value_usd": float(v), "quantity_t": float(q), "source": SRC} for e, i, h, v, q in rows])


def _prod(year, country, material, stage, t, share):
    return {"year": year, "country": country, "material_id": material, "stage": stage, "quantity_t": t,
            "share_of_world": share, "estimate": True, "unit_note": "t", "source": SRC}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("lookthrough_fixture")
    _flows([
        # Case 1, all re-exporters: Australia's magnets from VNM .6, PHL .3, ROW .1 (by value)
        ("VNM", "AUS", "850511", 60, 6), ("PHL", "AUS", "850511", 30, 3), ("ROW", "AUS", "850511", 10, 1),
        # ... Vietnam's own magnet imports: CHN .93, JPN .03, ROW .04; the Philippines': CHN .95, ROW .05
        ("CHN", "VNM", "850511", 93, 9), ("JPN", "VNM", "850511", 3, 1), ("ROW", "VNM", "850511", 4, 1),
        ("CHN", "PHL", "850511", 95, 9), ("ROW", "PHL", "850511", 5, 1),
        # Case 2, a refiner and a supplier with its own upstream imports: the USA's magnets
        # CHN .4, MYS .3 (refines rare earths), KOR .2, ROW .1
        ("CHN", "USA", "850511", 40, 4), ("MYS", "USA", "850511", 30, 3), ("KOR", "USA", "850511", 20, 2),
        ("ROW", "USA", "850511", 10, 1),
        # ... Malaysia's own magnet imports: CHN .5, JPN .5; Korea's rare-earth compounds: CHN .6, AUS .3, ROW .1
        ("CHN", "MYS", "850511", 50, 5), ("JPN", "MYS", "850511", 50, 5),
        ("CHN", "KOR", "284690", 60, 60), ("AUS", "KOR", "284690", 30, 30), ("ROW", "KOR", "284690", 10, 10),
        # Case 3, a producer that also imports: Canada's magnesium TUR .5, NLD .3, ROW .2
        ("TUR", "CAN", "810411", 50, 5), ("NLD", "CAN", "810411", 30, 3), ("ROW", "CAN", "810411", 20, 2),
        # ... Turkey smelts 100 t and imports 50 t: 40 t from China, 5 t in ROW, 5 t from Japan
        ("CHN", "TUR", "810411", 40, 40), ("ROW", "TUR", "810411", 5, 5), ("JPN", "TUR", "810411", 5, 5),
        # ... the Netherlands re-exports: its own imports CHN .4, ISR .6
        ("CHN", "NLD", "810411", 40, 8), ("ISR", "NLD", "810411", 60, 12),
    ]).to_parquet(d / "trade_flows.parquet", index=False)
    pd.DataFrame([{"importer": "JPN", "material": "rare_earth_compounds", "supplier": "CHN", "share": 0.5,
                   "period": "2018", "basis": "import share", "source": SRC}]
                 ).to_parquet(d / "import_shares.parquet", index=False)
    pd.DataFrame([
        _prod(2025, "CHN", "rare_earth_compounds", "refining", None, 0.9),
        _prod(2024, "MYS", "rare_earth_compounds", "refining", 10000.0, None),
        _prod(2024, "CHN", "magnesium_metal", "metal", 950.0, 0.95),
        _prod(2024, "TUR", "magnesium_metal", "metal", 100.0, None),
        _prod(2024, "WLD", "magnesium_metal", "metal", 1200.0, None),
    ]).astype({"quantity_t": "float64", "share_of_world": "float64"}).to_parquet(d / "production.parquet", index=False)
    return d


def _exp(data, importer, material):
    return exposure.exposure(importer, material, run=exposure.default_runner(data))


def test_all_re_exporters_by_hand(data):
    exp = _exp(data, "AUS", "850511")
    dep = exp.suppliers.set_index("supplier")
    # VNM: own China share of magnets .93 > world refining .9 -> re-exporter at .93, up to .93 + .04 (ROW)
    assert dep.loc["VNM", "evidence"] == "own_product_imports"
    assert tuple(dep.loc["VNM", ["dependence_low", "dependence", "dependence_high"]]) == pytest.approx((0, .93, .97))
    assert tuple(dep.loc["PHL", ["dependence_low", "dependence", "dependence_high"]]) == pytest.approx((0, .95, 1.0))
    assert dep.loc["ROW", "evidence"] == "row_bucket"
    s = exp.summary
    # point = .6*.93 + .3*.95 + .1*.9 = .933; low = 0 (nothing upstream); high = .6*.97 + .3*1 + .1*.9 = .972
    assert s["china_share_direct"] == 0
    assert s["china_share_total"] == pytest.approx(0.933)
    assert s["china_share_total_low"] == pytest.approx(0.0)
    assert s["china_share_total_high"] == pytest.approx(0.972)


def test_refiner_and_own_upstream_imports_by_hand(data):
    exp = _exp(data, "USA", "850511")
    dep = exp.suppliers.set_index("supplier")
    # MYS refines rare earths (production table): 0, up to max(world .9, its own magnet imports .5)
    assert dep.loc["MYS", "evidence"] == "producer" and "domestic producer" in dep.loc["MYS", "dependence_basis"]
    assert tuple(dep.loc["MYS", ["dependence_low", "dependence", "dependence_high"]]) == pytest.approx((0, 0, .9))
    # KOR: its own imports of HS 284690, CHN .6, up to .7 with its ROW bucket
    assert dep.loc["KOR", "evidence"] == "own_imports" and int(dep.loc["KOR", "evidence_year"]) == 2024
    assert tuple(dep.loc["KOR", ["dependence_low", "dependence", "dependence_high"]]) == pytest.approx((.6, .6, .7))
    s = exp.summary
    # point = .4 + .3*0 + .2*.6 + .1*.9 = .61; low = .4 + .2*.6 = .52; high = .4 + .3*.9 + .2*.7 + .1*.9 = .90
    assert s["china_share_total"] == pytest.approx(0.61)
    assert s["china_share_total_low"] == pytest.approx(0.52)
    assert s["china_share_total_high"] == pytest.approx(0.90)
    assert s["evidence_shares"] == pytest.approx({"producer": .3, "own_imports": .2, "row_bucket": .1})


def test_producer_that_imports_is_weighted_by_its_production(data):
    exp = _exp(data, "CAN", "810411")
    dep = exp.suppliers.set_index("supplier")
    # TUR: 40 t of its 100 + 50 t from China = .2667, up to 45 / 150 = .30 with its ROW bucket
    assert dep.loc["TUR", "evidence"] == "own_imports" and "domestic production" in dep.loc["TUR", "dependence_basis"]
    assert dep.loc["TUR", "dependence"] == pytest.approx(40 / 150)
    assert dep.loc["TUR", "dependence_high"] == pytest.approx(45 / 150)
    assert dep.loc["NLD", "dependence"] == pytest.approx(0.4) and "re-exports" in dep.loc["NLD", "dependence_basis"]
    s = exp.summary
    # point = .5*40/150 + .3*.4 + .2*.95; low drops ROW; high = .5*.3 + .3*.4 + .2*.95
    assert s["china_share_total"] == pytest.approx(0.5 * 40 / 150 + 0.12 + 0.19)
    assert s["china_share_total_low"] == pytest.approx(0.5 * 40 / 150 + 0.12)
    assert s["china_share_total_high"] == pytest.approx(0.15 + 0.12 + 0.19)


def test_old_published_figure_widens_to_the_world_share():
    pub = pd.DataFrame([{"importer": "JPN", "material": "rare_earth_compounds", "share": 0.58, "period": "2018",
                         "share_basis": "import share", "source": SRC}])
    world = pd.Series({"china_share": 0.91, "year": 2025, "source": SRC})
    up = exposure.UPSTREAM["850511"]
    kw = dict(upstream_imports={}, same_line={}, published=pub, producers=None, world=world)
    old = lookthrough.ladder(["JPN"], up, year=2024, **kw).iloc[0]
    assert (old["dependence_low"], old["dependence"], old["dependence_high"]) == pytest.approx((.58, .58, .91))
    assert old["evidence"] == "published" and old["evidence_year"] == 2018 and bool(old["thin"]) and "old" in old["dependence_basis"]
    recent = lookthrough.ladder(["JPN"], up, year=2021, **kw).iloc[0]
    assert (recent["dependence_low"], recent["dependence_high"]) == pytest.approx((.58, .58)) and not recent["thin"]


def test_ladder_reads_any_number_of_suppliers_without_a_row_bucket():
    # full bilateral data: many named suppliers, no ROW; every one has a row and no range from ROW
    sup = [f"S{i:02d}" for i in range(40)] + ["CHN"]
    same = {e: {"china_share": 0.5, "row_share": 0.0} for e in sup}
    world = pd.Series({"china_share": 0.91, "year": 2025, "source": SRC})
    dep = lookthrough.ladder(sup, exposure.UPSTREAM["850511"], year=2024, upstream_imports={}, same_line=same,
                             published=None, producers=None, world=world)
    assert len(dep) == 41 and (dep["dependence_low"] <= dep["dependence"]).all()
    assert (dep["dependence"] <= dep["dependence_high"]).all()


@pytest.mark.parametrize("basis", ["value", "quantity"])
def test_low_point_high_for_every_importer_of_every_material(basis):
    run = exposure.default_runner()
    lines = sorted(set(run("exposure_trade_coverage")["hs6"]))
    assert {"850511", "810411", "810820"} <= set(lines)
    for hs6 in lines:
        allx = exposure.all_importers(exposure.Selection("", f"hs:{hs6}", (hs6,), 2024, basis), run=run)
        assert len(allx) > 10
        lo, pt, hi = allx["china_share_total_low"], allx["china_share_total"], allx["china_share_total_high"]
        bad = allx[(lo > pt + 1e-12) | (pt > hi + 1e-12) | (lo < -1e-12) | (hi > 1 + 1e-12)]
        assert bad.empty, (hs6, basis, bad[["importer", "china_share_total_low", "china_share_total",
                                            "china_share_total_high"]])
        assert (allx["china_share_direct"] <= lo + 1e-12).all()
        # ranked by the point estimate
        assert list(pt) == sorted(pt, reverse=True)


def test_malaysia_refines_so_japan_counts_it_at_zero_with_a_range():
    exp = exposure.exposure("JPN", "850511")
    mys = exp.suppliers.set_index("supplier").loc["MYS"]
    assert mys["evidence"] == "producer" and mys["dependence"] == 0.0
    assert mys["dependence_high"] == pytest.approx(0.91)
    assert "10,908 t" in mys["dependence_basis"]


def test_cli_json_carries_the_range_and_evidence():
    r = subprocess.run([sys.executable, "-m", "chokepoint", "exposure", "--importer", "JPN", "--material",
                        "permanent_magnets", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["china_share_total_low"] <= doc["china_share_total"] <= doc["china_share_total_high"]
    assert doc["china_share_total_high"] - doc["china_share_total_low"] > 0.1   # Japan's range is wide
    assert set(doc["evidence_shares"]) <= set(lookthrough.EVIDENCE) | {lookthrough.ROW_BUCKET}
    allowed = set(lookthrough.EVIDENCE) | {lookthrough.CHINA, lookthrough.ROW_BUCKET, lookthrough.NO_MAPPING}
    for s in doc["suppliers"]:
        assert {"evidence", "evidence_year", "dependence_low", "dependence_high", "dependence_on_china"} <= set(s)
        assert s["evidence"] in allowed, s
        assert s["dependence_low"] <= s["dependence_on_china"] <= s["dependence_high"], s
    by = {s["supplier"]: s for s in doc["suppliers"]}
    assert by["MYS"]["evidence"] == "producer" and by["CHN"]["evidence"] == "china"
    t = subprocess.run([sys.executable, "-m", "chokepoint", "exposure", "--importer", "JPN", "--material",
                        "permanent_magnets"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert t.returncode == 0 and "as the evidence allows" in t.stdout and "world_fallback" in t.stdout


def test_ranking_sorts_by_point_and_draws_the_range():
    from chokepoint.views import exposure as view_exposure
    run = exposure.default_runner()
    sel = exposure.select("JPN", "850511", run=run)
    everyone = exposure.all_importers(sel, run=run)
    spec = view_exposure.ranking(everyone, key="m", selected="JPN", material="magnets", year=2024, basis="value",
                                 top_n=10)
    fig = spec.figure()
    whisker = next(t for t in fig.data if t.type == "scatter" and t.error_x is not None and t.error_x.array is not None)
    # the chart shows the 10 largest importers by value, ranked by the point estimate (JPN added if outside)
    top = everyone.nlargest(10, "value_usd").sort_values(["china_share_total", "importer"], ascending=[False, True])
    if "JPN" not in set(top["importer"]):
        top = pd.concat([top, everyone[everyone["importer"] == "JPN"]])
    shown = top.iloc[::-1]
    assert list(whisker.x) == pytest.approx(list(shown["china_share_total"]))
    assert list(whisker.error_x.array) == pytest.approx(list(shown["china_share_total_high"] - shown["china_share_total"]))
    assert list(whisker.error_x.arrayminus) == pytest.approx(list(shown["china_share_total"] - shown["china_share_total_low"]))
    assert "whiskers" in spec.subtitle
