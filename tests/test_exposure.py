"""Exposure metrics: hand-computed shares, HHI and look-through on a FIXTURE dataset, and the
real 2024 BACI extract (India's HS 850511 China share 84.2% by value, 88.0% by quantity).

The fixture is a dataset folder in tmp_path holding trade_flows, import_shares and production
parquet files made up for these tests (FIXTURE numbers, not real data); every other table falls
back to the built-in data/ (db.table_sources).
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from chokepoint import db, exposure

SRC = "FIXTURE for tests/test_exposure.py (not real data)"


def _flows(rows):
    hs_mat = {"850511": "permanent_magnets", "810411": "magnesium_metal", "810820": "titanium_unwrought"}
    return pd.DataFrame([
        {"year": y, "exporter": e, "importer": i, "hs6": h, "material_id": hs_mat[h],
         "value_usd": float(v), "quantity_t": (None if q is None else float(q)), "source": SRC}
        for y, e, i, h, v, q in rows])


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("exposure_fixture")
    _flows([
        # France's magnets: value shares CHN .6, JPN .2, VNM .1, ROW .1; quantity shares .6 .1 .2 .1
        (2024, "CHN", "FRA", "850511", 60, 30), (2024, "JPN", "FRA", "850511", 20, 5),
        (2024, "VNM", "FRA", "850511", 10, 10), (2024, "ROW", "FRA", "850511", 10, 5),
        # Vietnam's own magnet imports: 95% from China (a re-exporter above the world fallback)
        (2024, "CHN", "VNM", "850511", 95, 20), (2024, "KOR", "VNM", "850511", 5, 1),
        # another year, to show the queries are generic over years
        (2023, "CHN", "FRA", "850511", 100, 50),
        # US magnesium: ISR (a producer) .5, CHN .25, NLD (not a producer) .25
        (2024, "ISR", "USA", "810411", 50, 10), (2024, "CHN", "USA", "810411", 25, 10),
        (2024, "NLD", "USA", "810411", 25, None),
        # the Netherlands' own magnesium imports: 40% from China
        (2024, "CHN", "NLD", "810411", 40, 8), (2024, "ISR", "NLD", "810411", 60, 12),
    ]).to_parquet(d / "trade_flows.parquet", index=False)
    pd.DataFrame([
        {"importer": "JPN", "material": "rare_earth_compounds", "supplier": "CHN", "share": 0.5,
         "period": "2023", "basis": "import value share", "source": SRC},
    ]).to_parquet(d / "import_shares.parquet", index=False)
    pd.DataFrame([
        {"year": 2025, "country": "CHN", "material_id": "rare_earth_compounds", "stage": "refining",
         "quantity_t": None, "share_of_world": 0.9, "estimate": True, "unit_note": "share", "source": SRC},
        {"year": 2024, "country": "CHN", "material_id": "magnesium_metal", "stage": "metal",
         "quantity_t": 950.0, "share_of_world": 0.95, "estimate": True, "unit_note": "t", "source": SRC},
        {"year": 2024, "country": "ISR", "material_id": "magnesium_metal", "stage": "metal",
         "quantity_t": 17.0, "share_of_world": None, "estimate": False, "unit_note": "t", "source": SRC},
        {"year": 2024, "country": "WLD", "material_id": "magnesium_metal", "stage": "metal",
         "quantity_t": 1000.0, "share_of_world": None, "estimate": True, "unit_note": "t", "source": SRC},
    ]).astype({"quantity_t": "float64", "share_of_world": "float64"}).to_parquet(d / "production.parquet", index=False)
    return d


def q(fixture_dir, name, **params):
    return db.run_query(name, data_dir=fixture_dir, **params)


# ---------------------------------------------------------------- shares and HHI by hand
def test_supplier_shares_by_value_and_quantity(fixture_dir):
    v = q(fixture_dir, "exposure_supplier_shares", importer="FRA", hs6_list=["850511"], year=2024, basis="value")
    assert dict(zip(v["supplier"], v["share"].round(6))) == {"CHN": 0.6, "JPN": 0.2, "VNM": 0.1, "ROW": 0.1}
    assert list(v["supplier"]) == ["CHN", "JPN", "VNM", "ROW"]  # ROW ranked last
    t = q(fixture_dir, "exposure_supplier_shares", importer="FRA", hs6_list=["850511"], year=2024, basis="quantity")
    assert dict(zip(t["supplier"], t["share"].round(6))) == {"CHN": 0.6, "JPN": 0.1, "VNM": 0.2, "ROW": 0.1}
    old = q(fixture_dir, "exposure_supplier_shares", importer="FRA", hs6_list=["850511"], year=2023, basis="value")
    assert dict(zip(old["supplier"], old["share"])) == {"CHN": 1.0}


def test_china_share_hhi_and_top_supplier_by_importer(fixture_dir):
    df = q(fixture_dir, "exposure_china_share_by_importer", hs6_list=["850511"], year=2024, basis="value")
    fra = df.set_index("importer").loc["FRA"]
    assert fra["china_share"] == pytest.approx(0.6)
    # HHI = .6^2 + .2^2 + .1^2 + .1^2 = .42: every row is one supplier (the built-in flows list every
    # supplier, so there is no lower bound to give any more)
    assert fra["hhi"] == pytest.approx(0.42)
    assert "hhi_min" not in fra and "row_share" not in fra
    assert fra["top_supplier"] == "CHN" and fra["top_share"] == pytest.approx(0.6)
    assert fra["n_suppliers"] == 4 and fra["value_usd"] == 100
    assert exposure.hhi([0.6, 0.2, 0.1, 0.1]) == pytest.approx(0.42)
    assert exposure.hhi([0.5, 0.5]) == pytest.approx(0.5) and exposure.hhi([1.0]) == 1.0


def test_top_supplier_is_never_row(fixture_dir):
    s = exposure.summarise(pd.DataFrame({"supplier": ["ROW", "JPN", "CHN"], "share": [0.5, 0.3, 0.2],
                                         "value_usd": [5.0, 3.0, 2.0], "quantity_t": [1.0, 1.0, None]}))
    assert s["top_supplier"] == "JPN" and s["top_share"] == pytest.approx(0.3)
    assert s["china_share_direct"] == pytest.approx(0.2)
    assert s["hhi"] == pytest.approx(0.25 + 0.09 + 0.04) and "hhi_min" not in s


def test_quantity_shares_skip_missing_quantities(fixture_dir):
    t = q(fixture_dir, "exposure_supplier_shares", importer="USA", hs6_list=["810411"], year=2024, basis="quantity")
    shares = dict(zip(t["supplier"], t["share"]))
    assert shares["ISR"] == pytest.approx(0.5) and shares["CHN"] == pytest.approx(0.5)
    assert math.isnan(shares["NLD"])
    exp = exposure.exposure("USA", "810411", basis="quantity", run=exposure.default_runner(fixture_dir))
    assert any("reported no quantity" in n for n in exp.notes)


# ---------------------------------------------------------------- look-through by hand
def test_look_through_magnets_by_hand(fixture_dir):
    exp = exposure.exposure("FRA", "850511", run=exposure.default_runner(fixture_dir))
    dep = exp.suppliers.set_index("supplier")
    # JPN: published country figure 0.5; VNM: its own China share of magnets (0.95) is above the world
    # refining share (0.9); ROW: world refining share 0.9 (fallback)
    assert dep.loc["JPN", "dependence"] == pytest.approx(0.5)
    assert "published country figure" in dep.loc["JPN", "dependence_basis"]
    assert dep.loc["VNM", "dependence"] == pytest.approx(0.95)
    assert "own imports of the same HS line" in dep.loc["VNM", "dependence_basis"]
    assert dep.loc["ROW", "dependence"] == pytest.approx(0.9) and bool(dep.loc["ROW", "thin"])
    # indirect = .2*.5 + .1*.95 + .1*.9 = .285
    s = exp.summary
    assert s["china_share_direct"] == pytest.approx(0.6)
    assert s["china_share_indirect"] == pytest.approx(0.285)
    assert s["china_share_total"] == pytest.approx(0.885)
    assert s["thin_share"] == pytest.approx(0.1)
    assert s["hhi"] == pytest.approx(0.42)


def test_look_through_magnesium_producers_and_re_exporters(fixture_dir):
    exp = exposure.exposure("USA", "magnesium", run=exposure.default_runner(fixture_dir))
    dep = exp.suppliers.set_index("supplier")
    assert dep.loc["ISR", "dependence"] == 0.0 and "domestic producer" in dep.loc["ISR", "dependence_basis"]
    assert dep.loc["NLD", "dependence"] == pytest.approx(0.4) and "re-exports" in dep.loc["NLD", "dependence_basis"]
    # direct .25; indirect = .25 * .4 = .10
    assert exp.summary["china_share_direct"] == pytest.approx(0.25)
    assert exp.summary["china_share_indirect"] == pytest.approx(0.10)


def test_indirect_never_exceeds_one_minus_direct():
    sup = pd.DataFrame({"supplier": ["CHN", "JPN", "ROW"], "share": [0.7, 0.2, 0.1]})
    dep = pd.DataFrame({"supplier": ["CHN", "JPN", "ROW"], "dependence": [1.0, 1.0, 1.0],
                        "dependence_basis": ["", "", ""], "dependence_source": ["", "", ""],
                        "thin": [False, False, True]})
    _, lt = exposure.look_through(sup, dep)
    assert lt["china_share_indirect"] == pytest.approx(0.3)
    assert lt["china_share_total"] == pytest.approx(1.0)
    bil = sup.assign(importer="FRA", value_usd=1.0, quantity_t=1.0)
    allx = exposure.look_through_all(bil, dep)
    assert allx.loc[0, "china_share_total"] == pytest.approx(1.0)


def test_all_importers_matches_single_country(fixture_dir):
    run = exposure.default_runner(fixture_dir)
    sel = exposure.select("FRA", "850511", run=run)
    allx = exposure.all_importers(sel, run=run).set_index("importer")
    assert allx.loc["FRA", "china_share_indirect"] == pytest.approx(0.285)
    assert allx.loc["FRA", "hhi"] == pytest.approx(0.42)


def test_unknown_or_missing_data_is_an_error_not_a_zero(fixture_dir):
    run = exposure.default_runner(fixture_dir)
    with pytest.raises(exposure.ExposureDataError, match="no bilateral trade data"):
        exposure.select("FRA", "dysprosium", run=run)
    with pytest.raises(exposure.ExposureDataError, match="years with data: 2023, 2024"):
        exposure.select("FRA", "850511", year=2019, run=run)
    with pytest.raises(exposure.ExposureDataError, match="no 2024 imports"):
        exposure.select("DEU", "850511", run=run)
    with pytest.raises(Exception, match="did you mean"):
        exposure.select("Frnace", "850511", run=run)


def test_export_share_series_is_computed_where_no_published_series(fixture_dir):
    s = q(fixture_dir, "exposure_china_export_share_series", hs6_list=["810411"])
    r = s.set_index("year").loc[2024]
    # China ships 25 (to USA) + 40 (to NLD) of 200
    assert r["china_export_share"] == pytest.approx(65 / 200)
    assert r["series_basis"] == "computed from bilateral flows"


def test_json_contract_has_the_issue_keys(fixture_dir):
    doc = exposure.to_json(exposure.exposure("FRA", "850511", run=exposure.default_runner(fixture_dir)))
    for k in ("importer", "material", "year", "basis", "china_share_direct", "china_share_indirect", "hhi",
              "top_supplier", "suppliers"):
        assert k in doc
    assert {"supplier", "share", "value_usd", "quantity_t"} <= set(doc["suppliers"][0])
    assert doc["suppliers"][-1]["supplier"] == "ROW"


# ---------------------------------------------------------------- built-in data
def test_builtin_import_reliance_labels_estimates():
    rel = db.run_query("exposure_import_reliance", country="USA", year=2024).set_index("material_id")
    mg = rel.loc["magnesium_metal"]
    assert mg["consumption_basis"] == "published"
    # (imports - exports) / 50,000 t reported consumption; USGS says > 75%
    assert 0.75 < mg["import_reliance"] < 0.85
    assert "ESTIMATE" in exposure.reliance_label(rel.loc["permanent_magnets"])
    assert "not computable" in exposure.reliance_label(rel.loc["rare_earth_compounds"])


# ---------------------------------------------------------------- the real 2024 BACI extract
@pytest.fixture(scope="module")
def real_baci(real_dir, tmp_path_factory):
    raw = pd.read_csv(real_dir / "baci2024_bilateral_850511_810411_810820.csv", dtype={"hs6": str})
    d = tmp_path_factory.mktemp("real_baci")
    mat = {"850511": "permanent_magnets", "810411": "magnesium_metal", "810820": "titanium_unwrought"}
    pd.DataFrame({
        "year": raw["year"].astype("int32"), "exporter": raw["exporter"], "importer": raw["importer"],
        "hs6": raw["hs6"], "material_id": raw["hs6"].map(mat), "value_usd": raw["value_kusd"] * 1000,
        "quantity_t": raw["qty_t"], "source": "CEPII BACI HS92 V202601 (2024), real extract for tests",
    }).to_parquet(d / "trade_flows.parquet", index=False)
    return d


@pytest.mark.real
def test_real_india_magnets_china_share(real_baci):
    v = db.run_query("exposure_supplier_shares", data_dir=real_baci, importer="IND", hs6_list=["850511"],
                     year=2024, basis="value")
    t = db.run_query("exposure_supplier_shares", data_dir=real_baci, importer="IND", hs6_list=["850511"],
                     year=2024, basis="quantity")
    assert v.set_index("supplier").loc["CHN", "share"] == pytest.approx(0.842, abs=0.0005)
    assert t.set_index("supplier").loc["CHN", "share"] == pytest.approx(0.880, abs=0.0005)
    assert t["quantity_t"].sum() == pytest.approx(21887, abs=1)
    exp = exposure.exposure("IND", "850511", run=exposure.default_runner(real_baci))
    assert exp.summary["china_share_direct"] == pytest.approx(0.842, abs=0.0005)
    assert 0 < exp.summary["china_share_indirect"] <= 1 - exp.summary["china_share_direct"] + 1e-12


@pytest.mark.real
def test_real_world_totals(real_baci):
    totals = {}
    for hs in ("850511", "810411", "810820"):
        df = db.run_query("exposure_china_share_by_importer", data_dir=real_baci, hs6_list=[hs], year=2024,
                          basis="value")
        totals[hs] = (df["quantity_t"].sum(), df["value_usd"].sum())
    assert totals["850511"][0] == pytest.approx(187_827, rel=0.001)
    assert totals["850511"][1] == pytest.approx(4.96e9, rel=0.005)
    assert totals["810411"][0] == pytest.approx(290_304, rel=0.001)
    assert totals["810820"][0] == pytest.approx(105_886, rel=0.001)


# ---------------------------------------------------------------- import reliance: a share or a state
def test_india_magnets_and_japan_titanium_show_a_state_not_a_number():
    run = exposure.default_runner()
    # India's 4,010 t/yr is NdFeB demand; HS 850511 (21,887 t imported) holds all metal magnets: was 541%
    v, state = exposure.reliance_for(exposure.select("IND", "ndfeb_magnet", 2024, "value", run), run)
    assert v is None and state == "scope mismatch: NdFeB permanent magnets consumption vs HS 850511, all metal magnets"
    v, state = exposure.reliance_for(exposure.select("IND", "permanent_magnets", 2024, "value", run), run)
    assert v is None and state.startswith(exposure.NO_CONSUMPTION)
    # Japan exports more HS 810820 than it imports (38,341 t vs 6,338 t): was -505%
    v, state = exposure.reliance_for(exposure.select("JPN", "titanium_unwrought", 2024, "value", run), run)
    assert (v, state) == (None, exposure.NET_EXPORTER)
    v, state = exposure.reliance_for(exposure.select("JPN", "titanium_sponge", 2024, "value", run), run)
    assert v is None and state == exposure.NO_CONSUMPTION
    v, state = exposure.reliance_for(exposure.select("JPN", "permanent_magnets", 2024, "value", run), run)
    assert (v, state) == (None, exposure.NET_EXPORTER)  # was -3.5%
    # a same-scope published consumption figure still gives its share
    v, state = exposure.reliance_for(exposure.select("USA", "magnesium_metal", 2024, "value", run), run)
    assert state == exposure.COMPUTED and 0.75 < v < 0.85


def test_no_builtin_importer_or_material_gets_reliance_outside_0_1():
    countries = (set(pd.read_parquet(db.DATA / "consumption.parquet")["country"])
                 | set(pd.read_parquet(db.DATA / "trade_flows.parquet")["importer"]))
    seen = 0
    for c in sorted(countries):
        rel = exposure.reliance_states(db.run_query("exposure_import_reliance", country=c, year=2024))
        for r in rel.itertuples():
            seen += 1
            assert isinstance(r.import_reliance_state, str) and r.import_reliance_state, (c, r.material_id)
            if pd.isna(r.import_reliance):
                assert r.import_reliance_state != exposure.COMPUTED, (c, r.material_id)
            else:
                assert 0 <= r.import_reliance <= 1, (c, r.material_id, r.import_reliance)
                assert r.import_reliance_state == exposure.COMPUTED
    assert seen > 60  # every importer x material with a consumption row (published or derived)


def test_reliance_state_order_on_hand_made_rows():
    base = {"material_id": "magnesium_metal", "imports_t": 100.0, "net_imports_t": 80.0,
            "consumption_basis": "published", "import_reliance": 0.8}
    assert exposure.reliance_state(base) == (0.8, exposure.COMPUTED)
    assert exposure.reliance_state({**base, "import_reliance": 1.6})[1].startswith("not a share")
    assert exposure.reliance_state({**base, "net_imports_t": -5.0, "import_reliance": -0.05}) == (None, exposure.NET_EXPORTER)
    assert exposure.reliance_state({**base, "consumption_basis": "derived"})[1].startswith(exposure.NO_CONSUMPTION)
    assert exposure.reliance_state({**base, "imports_t": float("nan")})[1].startswith("no trade flows")
    # flows with a value but no tonnes (the 2022 edition): said as such, not "no trade flows"
    assert exposure.reliance_state({**base, "imports_t": float("nan"), "import_flows": 12})[1].startswith(
        "no quantities in this year's flows (value only)")
    assert exposure.reliance_state({**base, "material_id": "titanium_sponge"})[1].startswith("scope mismatch: Titanium sponge")
    assert exposure.reliance_state(None) == (None, exposure.NO_CONSUMPTION)


def test_india_2022_reliance_says_value_only_not_no_flows():
    from chokepoint import db
    rows = exposure.reliance_states(db.run_query("exposure_import_reliance", country="IND", year=2022))
    state = rows.set_index("material_id").loc["permanent_magnets", "import_reliance_state"]
    assert state.startswith("no quantities in this year's flows (value only)")


# ---------------------------------------------------------------- scope-honest labels
def test_scope_note_comes_from_the_catalogue_for_proxies_only():
    from chokepoint import catalog
    assert catalog.scope_note("ndfeb_magnet") == "HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"
    assert catalog.scope_note("titanium_sponge").startswith("HS 810820, all unwrought titanium and powders — used as a proxy")
    for exact in ("permanent_magnets", "titanium_unwrought", "magnesium_metal", "rare_earth_compounds"):
        assert catalog.scope_note(exact) == "", exact
    assert exposure.scope_note("hs:850511") == ""
    assert "proxy: HS 850511, all metal magnets" in exposure.material_label("ndfeb_magnet", ("850511",))
    assert "proxy" not in exposure.material_label("permanent_magnets", ("850511",))


def test_scope_note_reaches_json_and_chart_subtitles():
    from chokepoint.views import exposure as view_exposure
    run = exposure.default_runner()
    sel = exposure.select("IND", "ndfeb_magnet", 2024, "value", run)
    view = view_exposure.country(sel, run, short="ndfeb permanent magnets")
    doc = exposure.to_json(view.exposure)
    assert doc["scope_note"] == "HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"
    assert doc["import_reliance"] is None and doc["import_reliance_state"].startswith("scope mismatch")
    for spec in (view.sankey, view.ranking, view.map, *view.pack[1:]):
        assert doc["scope_note"] in spec.subtitle, spec.id
        assert "(proxy: HS 850511)" in spec.title, spec.id
    plain = view_exposure.country(exposure.select("IND", "permanent_magnets", 2024, "value", run), run,
                                  short="metal permanent magnets")
    assert "proxy" not in plain.sankey.subtitle and exposure.to_json(plain.exposure)["scope_note"] is None
