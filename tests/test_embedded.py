"""Controlled elements through the magnets that carry them (embedded Dy/Tb, ESTIMATES) and the
stock behind months of cover (assumption vs evidence, tonnes vs months)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from chokepoint import embedded, regimes, scenarios
from chokepoint.constants import DAYS_PER_MONTH
from chokepoint.scenarios import stock as stock_mod
from tests.test_cli_cover import cli

RUN = scenarios.default_runner()
APR = "apr-2025-licensing"


def fake_runner(magnets: pd.DataFrame, holdings: pd.DataFrame | None = None):
    """The built-in runner, with the HS 850511 supplier quantities (and optionally the stockpile
    holdings) replaced by a hand-made frame."""
    def run(name, **params):
        if name == "cover_supplier_quantities" and "850511" in params.get("hs6_list", []):
            return magnets
        if name == "cover_stockpile_holdings" and holdings is not None:
            return holdings
        return RUN(name, **params)
    return run


MAGNETS = pd.DataFrame({
    "importer": ["NZL", "NZL"], "supplier": ["CHN", "ROW"], "quantity_t": [600.0, 400.0],
    "imports_t": [1000.0, 1000.0], "share": [0.6, 0.4], "n_no_quantity": [0, 0], "source": ["test", "test"]})


def test_content_table_holds_the_cited_ranges():
    c = embedded.contents(RUN)
    assert set(c) == {"dysprosium", "terbium", "neodymium", "praseodymium"}
    dy, tb = c["dysprosium"], c["terbium"]
    assert (dy.low, dy.high) == (0.002, 0.06) and (tb.low, tb.high) == (0.0, 0.10)
    for x in c.values():
        assert 0 <= x.low <= x.high <= 1
        assert x.url_low.startswith("http") and x.url_high.startswith("http") and x.source_low and x.source_high
    assert embedded.content_for("Dy", RUN) == dy and embedded.content_for("lutetium", RUN) is None


def test_embedded_dysprosium_hand_worked():
    # 1,000 t of HS 850511 magnets (600 t from China) x 0.2%-6% Dy = 2 t to 60 t of Dy; China's 1.2-36 t
    d = embedded.imports("dysprosium", run=fake_runner(MAGNETS))
    assert d["low_t"].sum() == pytest.approx(2.0) and d["high_t"].sum() == pytest.approx(60.0)
    chn = d[d["supplier"] == "CHN"].iloc[0]
    assert (chn["low_t"], chn["high_t"]) == (pytest.approx(1.2), pytest.approx(36.0))
    t = embedded.country_table("NZL", run=fake_runner(MAGNETS)).set_index("material_id")
    assert t.loc["dysprosium", "embedded_t_low"] == pytest.approx(2.0)
    assert t.loc["terbium", "embedded_t_high"] == pytest.approx(100.0)  # 1,000 t x 10%
    assert t.loc["dysprosium", "china_share_direct"] == pytest.approx(0.6)
    assert (t["label"] == "ESTIMATE").all() and (t["route"] == "embedded in magnet imports").all()


def test_japan_dysprosium_on_the_built_in_data():
    # Japan imported 10,332.5 t of HS 850511 in 2024 (BACI): 20.7 t to 619.9 t of Dy
    doc = embedded.exposure_json("JPN", "dysprosium", run=RUN)
    assert doc["magnet_import_t"] == pytest.approx(10332.5, abs=0.1)
    assert doc["embedded_import_t_low"] == pytest.approx(10332.5 * 0.002, abs=0.01)
    assert doc["embedded_import_t_high"] == pytest.approx(10332.5 * 0.06, abs=0.1)


@pytest.mark.parametrize("material", ["dysprosium", "terbium"])
def test_cli_exposure_json_for_an_element_through_magnets(material):
    p = cli("exposure", "--importer", "JPN", "--material", material, "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["material"] == material and doc["estimate"] is True
    assert doc["route"] == "embedded in magnet imports"
    assert doc["scope_note"] == "HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"
    assert doc["carrier"]["material"] == "permanent_magnets" and doc["carrier"]["hs6"] == ["850511"]
    c = doc["content"]
    assert 0 <= c["low"] < c["high"] and c["url_low"].startswith("http") and c["source_high"]
    assert 0 <= doc["embedded_import_t_low"] < doc["embedded_import_t_high"]
    assert doc["import_reliance"] is None and doc["import_reliance_state"]
    assert "ESTIMATE" in doc["basis_note"] and "proxy for NdFeB" in doc["basis_note"]
    assert all("embedded_t_low" in s and "embedded_t_high" in s for s in doc["suppliers"])


@pytest.mark.parametrize("material", ["dysprosium", "terbium"])
def test_cli_cover_json_for_an_element_through_magnets(material):
    p = cli("cover", "--country", "JPN", "--material", material, "--regime", APR, "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["material"] == material and doc["estimate"] is True and doc["route"] == "embedded in magnet imports"
    assert doc["stock_basis"].startswith("assumption:") and doc["stock_kind"] == stock_mod.ASSUMPTION_TARGET
    # stock in months of use: the content cancels, months are those of the magnets
    assert doc["months_of_cover_low"] == doc["months_of_cover_high"] == doc["carrier"]["months_of_cover"]
    e = doc["embedded"]
    assert e["use_t_per_month_low"] <= e["use_t_per_month_high"] and e["stock_t_low"] <= e["stock_t_high"]
    assert e["use_t_per_month_high"] == pytest.approx(doc["carrier"]["use_t_per_month"] * doc["content"]["high"])
    assert any(s.startswith(doc["content"]["source_low"]) for s in doc["sources"])


def test_cover_with_element_tonnes_gives_a_months_range():
    reg = regimes.load_library()[APR]
    doc = embedded.cover_json("JPN", "dysprosium", reg, stock_t=50.0, run=RUN)
    assert doc["stock_basis"] == "evidence: user-set stock of 50 t of Dysprosium"
    assert doc["months_of_cover"] is None
    lo = doc["months_of_cover_low"]
    hi = doc["months_of_cover_high"]
    # 50 t of Dy = 833 t of magnets at 6% (fewer months) or 25,000 t at 0.2% (more months)
    assert lo is not None and (hi is None or hi > lo)
    assert doc["carrier"]["stock_t"] == pytest.approx(50.0 / 0.06)


def test_stock_in_tonnes_equals_stock_in_months():
    reg = regimes.load_library()[APR]
    for iso in ("USA", "JPN"):  # USA: no policy target; JPN: JOGMEC 60-day target
        months = scenarios.cover_json(iso, "permanent_magnets", reg, industry_months=3.0, run=RUN)
        i = months["inputs"]
        tonnes = i["use_t_per_month"] * (3.0 + i["policy_days"] / DAYS_PER_MONTH)
        assert i["stock_t"] == pytest.approx(tonnes)
        t = scenarios.cover_json(iso, "permanent_magnets", reg, stock_t=tonnes, run=RUN)
        assert t["months_of_cover"] == pytest.approx(months["months_of_cover"])
        assert t["stock_kind"] == stock_mod.USER and t["stock_basis"].startswith("evidence: user-set stock of")
        assert months["stock_basis"].startswith("assumption:")
    p = cli("cover", "--country", "USA", "--material", "magnets", "--regime", APR, "--stock-tonnes", "-1")
    assert p.returncode == 2 and "--stock-tonnes must be >= 0" in p.stderr


def test_stock_basis_beside_every_result():
    table = scenarios.country_cover("permanent_magnets", [regimes.load_library()[APR]], run=RUN)
    assert set(table["stock_kind"]) <= set(stock_mod.KINDS) and table["stock_evidence"].str.len().gt(0).all()
    kinds = table.drop_duplicates("holder").set_index("holder")["stock_kind"]
    assert kinds["JPN"] == stock_mod.ASSUMPTION_TARGET and kinds["KOR"] == stock_mod.ASSUMPTION_TARGET
    assert kinds["USA"] == stock_mod.ASSUMPTION


def test_a_published_holding_is_used_as_evidence():
    held = pd.DataFrame({"holder": ["Test agency"], "country": ["USA"], "material": ["rare_earths"],
                         "quantity_t": [500.0], "as_of": ["2025"], "note": [""], "source": ["Test source"]})
    run = fake_runner(RUN("cover_supplier_quantities", hs6_list=["850511"], year=2024), held)
    inp = scenarios.country_inputs("permanent_magnets", industry_months=3.0, run=run)
    usa = inp[inp["holder"] == "USA"].iloc[0]
    assert usa["stock_kind"] == stock_mod.HOLDING
    assert usa["stock_t"] == pytest.approx(usa["use_t_per_month"] * 3.0 + 500.0)
    assert usa["stock_evidence"].startswith("evidence: Test agency holds 500 t (2025; Test source)")
    h = scenarios.holder("USA", "permanent_magnets", with_dependence=False, run=run)
    assert h.stock_t() == pytest.approx(usa["stock_t"])


def test_stock_for_orders_the_evidence():
    assert stock_mod.stock_for(10.0, 3.0, 0.0).kind == stock_mod.ASSUMPTION
    s = stock_mod.stock_for(10.0, 3.0, 60.0)
    assert s.kind == stock_mod.ASSUMPTION_TARGET and s.stock_t == pytest.approx(10 * (3 + 60 / DAYS_PER_MONTH))
    h = stock_mod.Holding("X", 100.0, "2024", "src")
    assert stock_mod.stock_for(10.0, 3.0, 60.0, holding=h).stock_t == pytest.approx(130.0)
    u = stock_mod.stock_for(10.0, 3.0, 60.0, holding=h, user_t=45.0)
    assert (u.kind, u.stock_t) == (stock_mod.USER, 45.0) and "4.50 months of use" in u.evidence
    with pytest.raises(ValueError, match=">= 0"):
        stock_mod.stock_for(10.0, 3.0, 0.0, user_t=-1.0)


def test_tornado_moves_a_user_set_stock_in_tonnes():
    reg = regimes.load_library()[APR]
    h = scenarios.holder("USA", "permanent_magnets", stocks={"USA": 2000.0}, run=RUN)
    assert h.stock_t() == 2000.0 and h.stock_t(0.5) == 1000.0
    rows = scenarios.sensitivity(h, reg)
    stock = rows[rows["input"].str.startswith("Stock ±50%")].iloc[0]
    assert (stock["setting_low"], stock["setting_high"]) == ("1,000 t", "3,000 t")
    assert stock["months_at_low"] < stock["months_at_high"]


def test_stock_lines_name_a_long_group_by_who_is_outside_it():
    """208 importers resting on assumptions are 'every importer except Japan, South Korea', not a wall
    of names; a short group is listed in full; a long group with a long complement is cut with a count."""
    from chokepoint.views import stock as view_stock
    holders = [f"X{i:02d}" for i in range(30)]
    rows = pd.DataFrame({"holder": ["JPN", "KOR", "USA", *holders],
                         "stock_kind": [stock_mod.ASSUMPTION_TARGET] * 2 + [stock_mod.ASSUMPTION] * 31})
    got = view_stock.lines(rows)
    assert got[0].startswith("**31 of 33** importers rest on assumptions only")
    assert got[0].endswith(": every importer except Japan, South Korea.")
    assert got[1].endswith(": Japan, South Korea.")
    rows.loc[:14, "stock_kind"] = stock_mod.ASSUMPTION_TARGET        # 15 targets, 18 assumptions
    got = view_stock.lines(rows)
    assert all(line.endswith("and 3 more.") or line.endswith("and 6 more.") for line in got), got
