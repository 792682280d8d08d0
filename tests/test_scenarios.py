"""Country inputs for months of cover, against hand-computed figures from the built-in data."""
from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import pytest

from chokepoint import cover, db, regimes, scenarios
from chokepoint.constants import DAYS_PER_MONTH

SOURCE_2024 = Path(__file__).resolve().parent.parent / "data" / "sources" / "baci2024_bilateral_850511_810411_810820.csv"


def magnet_tonnes(importer: str) -> dict[str, float]:
    """{exporter: t} of an importer's HS 850511 imports in 2024, read from the source file by hand
    (rows without a quantity are left out, as the supply lines leave them out)."""
    with open(SOURCE_2024, encoding="utf-8") as f:
        return {r["exporter"].replace("S19", "TWN"): float(r["qty_t"]) for r in csv.DictReader(f)  # S19 = Taiwan
                if r["importer"] == importer and r["hs6"] == "850511" and r["qty_t"]}


USA_MAGNET_T = magnet_tonnes("USA")
USA_MAGNET_IMPORTS_T = sum(USA_MAGNET_T.values())                   # 11,218.4 t: BACI 2024, HS 850511
JPN_MAGNET_USE_T_YEAR = sum(magnet_tonnes("JPN").values())          # derived consumption (imports)


@pytest.fixture(scope="module")
def lib():
    return regimes.load_library()


@pytest.fixture(scope="module")
def magnets():
    return scenarios.country_inputs("permanent_magnets")


def one(df, holder):
    return df[df["holder"] == holder].iloc[0]


def test_country_materials_are_the_trade_lines():
    assert set(scenarios.country_materials()) == {"permanent_magnets", "magnesium_metal", "titanium_unwrought"}


def test_usa_magnet_use_is_derived_imports_over_12_and_labelled(magnets):
    r = one(magnets, "USA")
    assert r["use_t_per_month"] == pytest.approx(USA_MAGNET_IMPORTS_T / 12, rel=1e-9)
    assert r["use_basis"] == "derived (ESTIMATE)"
    assert "ESTIMATE" in r["use_method"]
    assert r["policy_days"] == 0
    assert r["stock_t"] == pytest.approx(3 * USA_MAGNET_IMPORTS_T / 12)   # 3 months of industry inventory
    lines = scenarios.supply_lines(magnets, "USA")
    assert lines["CHN"] == pytest.approx(USA_MAGNET_T["CHN"] / USA_MAGNET_IMPORTS_T)   # 8,678.5 t
    # the page's bullets say ESTIMATE once and start each sentence with a capital
    use, stock, *_ = scenarios.assumption_lines(r)
    assert use.count("ESTIMATE") == 1 and "**derived (ESTIMATE)**: 2024 imports" in use, use
    assert "**assumption**. No national stockpile target" in stock, stock
    # every supplier of the source file is a line of its own (no rest-of-world bucket any more)
    assert set(lines) == set(USA_MAGNET_T) and "ROW" not in lines
    assert lines["JPN"] == pytest.approx(USA_MAGNET_T["JPN"] / USA_MAGNET_IMPORTS_T)
    assert sum(lines.values()) == pytest.approx(1.0)


def test_published_use_comes_first(magnets):
    r = one(scenarios.country_inputs("magnesium_metal"), "USA")
    assert r["use_basis"] == "published"
    assert r["annual_use_t"] == 50000.0
    # India's published 4,010 t/yr is NdFeB magnet demand (filed as ndfeb_magnet since the data fix):
    # it is not the scope of HS 850511 (all metal magnets), so the magnet line uses derived imports
    r = one(magnets, "IND")
    assert r["use_basis"] == "derived (ESTIMATE)" and r["annual_use_t"] == pytest.approx(sum(magnet_tonnes("IND").values()))
    assert r["annual_use_t"] == pytest.approx(21887.0, abs=0.5)   # "India imported 21,887 t" (data README)


def test_japan_policy_60_days_and_korea_100_days_are_picked_up():
    d = scenarios.country_inputs("permanent_magnets", industry_months=2.0)
    jpn, kor = one(d, "JPN"), one(d, "KOR")
    assert jpn["policy_days"] == 60 and "JOGMEC" in jpn["policy_basis"] and "not a verified holding" in jpn["policy_basis"]
    assert kor["policy_days"] == 100 and "KOMIR" in kor["policy_basis"]
    assert jpn["stock_t"] == pytest.approx(JPN_MAGNET_USE_T_YEAR / 12 * (2.0 + 60 / DAYS_PER_MONTH))
    # magnesium is not rare earths: no policy days there
    mg = scenarios.country_inputs("magnesium_metal")
    assert one(mg, "JPN")["policy_days"] == 0


def test_hand_worked_months_of_cover_usa_april_regime(lib):
    d = scenarios.country_cover("permanent_magnets", [lib["apr-2025-licensing"], lib["baseline"]])
    usa = d[d["holder"] == "USA"].set_index("regime")
    s = USA_MAGNET_T["CHN"] / USA_MAGNET_IMPORTS_T
    # stock 3U; months 1-2: nothing from China (delay 2); then China delivers 26%
    expected = 2 + (3 - 2 * s) / (s * (1 - 0.26))
    assert usa.at["apr-2025-licensing", "months"] == pytest.approx(expected, rel=1e-9)
    assert usa.at["apr-2025-licensing", "state"] == cover.EXHAUSTED
    assert usa.at["baseline", "state"] == cover.NOT_EXHAUSTED
    assert usa.at["baseline", "months_capped"] == 36
    assert usa.at["apr-2025-licensing", "use_basis"] == "derived (ESTIMATE)"   # assumptions joined


def test_country_without_consumption_is_insufficient_data_not_zero(lib):
    def run(name, **params):
        df = db.run_query(name, **params)
        return df[df["country"] != "USA"] if name == "cover_consumption" else df
    d = scenarios.country_cover("permanent_magnets", [lib["apr-2025-licensing"]], run=run)
    usa = one(d, "USA")
    assert usa["state"] == cover.INSUFFICIENT
    assert math.isnan(usa["months"]) and math.isnan(usa["months_capped"])
    assert "no consumption figure" in usa["state_hint"]
    assert any("insufficient data" in line for line in scenarios.assumption_lines(usa))


def test_extraterritorial_rule_uses_exposure_dependence(lib):
    d = scenarios.country_cover("permanent_magnets", [lib["oct-2025-expansion"], lib["apr-2025-licensing"]])
    jpn = d[d["holder"] == "JPN"].set_index("regime")
    assert jpn.at["oct-2025-expansion", "extraterritorial_share"] > 0.3       # PHL, VNM... depend on China
    assert jpn.at["oct-2025-expansion", "months"] < jpn.at["apr-2025-licensing", "months"]
    h = scenarios.holder("JPN", "permanent_magnets")
    assert h.dependence["CHN"] == 1.0 and all(0 <= v <= 1 for v in h.dependence.values())
    assert 0 < h.dependence["PHL"] <= 1   # the Philippines' magnet makers run on refined rare earths


def test_ban_target_and_runout_dates(lib):
    regs = scenarios.choose(lib, ["ban-one-country"], target="DEU")
    assert regs[0].id == "ban-one-country-deu"
    d = scenarios.country_cover("permanent_magnets", regs)
    assert one(d, "DEU")["state"] == cover.EXHAUSTED
    assert one(d, "USA")["state"] == cover.NOT_EXHAUSTED
    t = scenarios.runout_table(d[d["holder"] == "DEU"], dt.date(2025, 4, 4))
    m = one(d, "DEU")["months"]
    assert t["runout_date"].iloc[0] == dt.date(2025, 4, 4) + dt.timedelta(days=round(m * DAYS_PER_MONTH))
    assert scenarios.runout_date(dt.date(2025, 4, 4), float("nan")) is None


def test_sensitivity_ranges_are_named_and_ordering_is_sane(lib):
    h = scenarios.holder("USA", "permanent_magnets")
    s = scenarios.sensitivity(h, lib["apr-2025-licensing"])
    assert len(s) == 5
    assert list(s["swing_months"]) == sorted(s["swing_months"], reverse=True)
    by = {r.input.split(" ±")[0]: r for r in s.itertuples()}
    assert set(by) == {"Approval rate", "Licence delay", "Industry inventory", "Monthly use", "China's share of supply"}
    assert "±0.1" in by["Approval rate"].input and "±50%" in by["Industry inventory"].input
    assert "±10 pp" in by["China's share of supply"].input and "±20%" in by["Monthly use"].input
    for r in s.itertuples():       # every "high" setting is the favourable one
        assert r.months_capped_at_high >= r.base_months_capped >= r.months_capped_at_low
    # stock is 3 months; halving / +50% industry inventory moves the answer most
    assert s.iloc[0]["input"].startswith("Industry inventory")


def test_rundown_band_brackets_the_central_curve(lib):
    h = scenarios.holder("KOR", "permanent_magnets")
    r = scenarios.rundown(h, [lib["apr-2025-licensing"]])
    assert (r["stock_low_t"] <= r["stock_t"] + 1e-9).all() and (r["stock_t"] <= r["stock_high_t"] + 1e-9).all()
    assert r["month"].max() == 36 and r["date"].iloc[0] == scenarios.DEFAULT_START


def test_custom_regime_from_editor_fields_and_errors(lib):
    rule = scenarios.rule_fields("CHN", ["magnesium"], "except FRA, ITA", 0.5, 1, 0, 0, False)
    assert rule["targets"] == {"except": ["FRA", "ITA"]} and rule["end_month"] is None
    reg = scenarios.custom_regime("Baseline", [rule], taken=list(lib))
    assert reg.id == "custom-baseline" and reg.rules[0].approval_rate == 0.5
    assert regimes.load_regime(regimes.regime_to_yaml(reg)) == reg
    assert scenarios.regime_materials(reg) == ["magnesium_metal"]
    bad = scenarios.rule_fields("XXX", ["unobtainium"], "all", 0.5, 1, 3, 2, False)
    with pytest.raises(regimes.RegimeError) as e:
        scenarios.custom_regime("Bad", [bad])
    text = "\n".join(e.value.problems)
    assert "Rule 1: controller —" in text and "Rule 1: materials, item 1 —" in text and "Rule 1: end_month —" in text


def test_unknown_material_for_country_data():
    with pytest.raises(scenarios.ScenarioError, match="materials with country data"):
        scenarios.country_inputs("dysprosium")
    with pytest.raises(scenarios.ScenarioError, match="no permanent_magnets imports"):
        scenarios.holder("PRK", "permanent_magnets")   # no HS 850511 row in the 2024 source file
