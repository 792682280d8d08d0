"""chokepoint.company: cover inputs, results, drivers and what-if transforms, against hand-worked numbers.

Every stockpile below is INVENTED test data (labelled as such in the site names), not a real company."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from chokepoint import company, cover, exposure, regimes
from chokepoint.stockpile_csv import parse_stockpile_csv

LIB = regimes.load_library()
APR = LIB["apr-2025-licensing"]     # CHN, dysprosium (all forms) + magnets, approval 0.26, delay 2, all targets
BAN = LIB["ban-one-country"]        # CHN, all rare earths, approval 0, delay 0, targets [USA]
OCT = LIB["oct-2025-expansion"]     # as APR plus more elements, extraterritorial


def parse(text: str) -> pd.DataFrame:
    res = parse_stockpile_csv(text.encode())
    assert res.ok, [str(e) for e in res.errors]
    return res.lines


# INVENTED: one site, S0 = 300 t, U = 100 t/month, 80% from China, 20% from Australia.
SITE = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
        "INVENTED plant,DEU,Dysprosium oxide,300,100,CN,80%\n"
        "INVENTED plant,DEU,Dysprosium oxide,,,AU,20%\n")


def months(res: pd.DataFrame, **where) -> float:
    row = res
    for k, v in where.items():
        row = row[row[k] == v]
    assert len(row) == 1, row
    return float(row["months"].iloc[0])


def test_apr_2025_licensing_by_hand():
    # Months 1-2 (delay): China's 80 t/month stop -> 80 t/month shortfall -> 300 - 160 = 140 t left.
    # From month 3 China delivers 26%: shortfall 100 * 0.8 * (1 - 0.26) = 59.2 t/month.
    # 140 / 59.2 = 2.36486... months more -> 4.36486... months of cover.
    res = company.results(parse(SITE), [APR])
    assert months(res) == pytest.approx(2 + 140 / 59.2, rel=1e-12)
    r = res.iloc[0]
    assert r["state"] == cover.EXHAUSTED and r["runout_month"] == 5
    assert r["controlled_share"] == pytest.approx(0.8)
    assert r["destination"] == "DEU" and r["destination_basis"] == company.BASIS_SITE
    assert r["material_id"] == "dysprosium_oxide"


def test_runout_date_is_start_plus_months_of_mean_length():
    import datetime as dt
    res = company.results(parse(SITE), [APR], start=dt.date(2025, 4, 4))
    days = (2 + 140 / 59.2) * 30.4375          # 132.85 days
    assert res["runout_date"].iloc[0] == dt.date(2025, 4, 4) + dt.timedelta(days=days)
    assert company.earliest_runout(res)["site"] == "INVENTED plant"


def test_safety_stock_in_months_and_tonnes():
    lines = parse(SITE)
    # +2 months of use = +200 t -> 500 t: 500 - 160 = 340, 340 / 59.2 = 5.743 -> 7.743 months
    more = company.add_safety_stock(lines, months=2)
    assert set(more["on_hand_t"]) == {500.0}
    assert months(company.results(more, [APR])) == pytest.approx(2 + 340 / 59.2)
    # +100 t -> 400 t: 2 + 240 / 59.2 = 6.054 months
    assert months(company.results(company.add_safety_stock(lines, tonnes=100), [APR])) == pytest.approx(2 + 240 / 59.2)
    # scoped to another site: no holding matches
    with pytest.raises(company.WhatIfError):
        company.add_safety_stock(lines, months=1, site="elsewhere")
    # the input is not modified
    assert set(lines["on_hand_t"]) == {300.0}


def test_share_switch_to_a_new_country():
    lines = parse(SITE)
    # 30 pp from China to Japan: China 50% -> delay months 50 t/month shortfall: 300 - 100 = 200 t,
    # then 100 * 0.5 * 0.74 = 37 t/month: 200 / 37 = 5.405 -> 7.405 months
    sw = company.switch_share(lines, from_country="CHN", to_country="JPN", points=30)
    shares = dict(zip(sw["supplier_country"], sw["supplier_share"]))
    assert shares == pytest.approx({"CHN": 0.5, "AUS": 0.2, "JPN": 0.3})
    assert months(company.results(sw, [APR])) == pytest.approx(2 + 200 / 37)
    # to an existing line: Australia grows; more than the line holds moves only what it has
    sw2 = company.switch_share(lines, from_country="CN", to_country="Australia", points=100)
    assert dict(zip(sw2["supplier_country"], sw2["supplier_share"])) == pytest.approx({"CHN": 0.0, "AUS": 1.0})
    assert company.results(sw2, [APR])["state"].iloc[0] == cover.NOT_EXHAUSTED
    with pytest.raises(company.WhatIfError):
        company.switch_share(lines, from_country="USA", to_country="JPN", points=10)


# INVENTED: the same magnet holding at a US site and a German site; one site with no country.
TWO_SITES = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
             "INVENTED US plant,USA,NdFeB magnets,300,100,CHN,0.8\n"
             "INVENTED US plant,USA,NdFeB magnets,,,JPN,0.2\n"
             "INVENTED DE plant,DEU,NdFeB magnets,300,100,CHN,0.8\n"
             "INVENTED DE plant,DEU,NdFeB magnets,,,JPN,0.2\n"
             "INVENTED nowhere,,NdFeB magnets,300,100,CHN,0.8\n")


def test_ban_one_country_hits_the_us_site_and_spares_the_german_one():
    res = company.results(parse(TWO_SITES), [BAN])
    # ban on the USA: 80 t/month cut from month 1 -> 300 / 80 = 3.75 months
    assert months(res, site="INVENTED US plant") == pytest.approx(3.75)
    de = res[res["site"] == "INVENTED DE plant"].iloc[0]
    assert de["state"] == cover.NOT_EXHAUSTED and math.isnan(de["months"]) and de["controlled_share"] == 0
    # no site_country, no default: destination unknown -> in no target list -> spared by the ban ...
    nowhere = res[res["site"] == "INVENTED nowhere"].iloc[0]
    assert nowhere["destination"] is None and nowhere["destination_basis"] == company.BASIS_UNKNOWN
    assert nowhere["state"] == cover.NOT_EXHAUSTED
    assert any("Destination unknown" in n for n in company.notes(parse(TWO_SITES), res))
    # ... but hit by a rule on all destinations (delay 2, then 0.26): 2 + 140 / 59.2
    assert months(company.results(parse(TWO_SITES), [APR]), site="INVENTED nowhere") == pytest.approx(2 + 140 / 59.2)
    # a default country fills in the destination: USA -> banned
    res_us = company.results(parse(TWO_SITES), [BAN], default_country="US")
    assert months(res_us, site="INVENTED nowhere") == pytest.approx(300 / 80)
    assert res_us.loc[res_us["site"] == "INVENTED nowhere", "destination_basis"].iloc[0] == company.BASIS_DEFAULT
    # retargeted at Germany: the DE site is hit, the US site spared
    res_de = company.results(parse(TWO_SITES), [regimes.with_target(BAN, "DEU")])
    assert months(res_de, site="INVENTED DE plant") == pytest.approx(3.75)
    assert res_de.loc[res_de["site"] == "INVENTED US plant", "state"].iloc[0] == cover.NOT_EXHAUSTED


# INVENTED: magnets all from Japan (extraterritorial rules need Japan's dependence on China).
JAPAN = ("site,site_country,material,on_hand,monthly_use,supplier_country\n"
         "INVENTED plant,DEU,NdFeB magnets,300,100,JPN\n")


def test_extraterritorial_rule_uses_supplier_dependence_or_reports_it_missing():
    lines = parse(JAPAN)
    # dependence 0.5: cut 0.5 of use during the delay (50 t/month -> 200 t left), then
    # 100 * 0.5 * (1 - 0.26) = 37 t/month -> 2 + 200 / 37 months
    res = company.results(lines, [OCT], dependence={"ndfeb_magnet": {"JPN": 0.5}})
    assert months(res) == pytest.approx(2 + 200 / 37)
    assert res["extraterritorial_share"].iloc[0] == pytest.approx(0.5)
    assert res["dependence_missing"].iloc[0] == ""
    # unknown dependence: taken as 0 (not exhausted) and listed
    res0 = company.results(lines, [OCT])
    assert res0["state"].iloc[0] == cover.NOT_EXHAUSTED and res0["dependence_missing"].iloc[0] == "JPN"
    assert any("dependence on China unknown" in n for n in company.notes(lines, res0))
    drv = company.drivers(lines, [OCT])
    assert drv["cut_kind"].tolist() == ["dependence missing"]


def test_dependence_map_from_the_look_through_ladder_on_the_built_in_data():
    lines = parse(JAPAN + "INVENTED plant,DEU,Dysprosium oxide,10,1,MM\n")
    dep = company.dependence_map(lines, exposure.default_runner())
    assert set(dep) == {"ndfeb_magnet"}                       # dysprosium oxide (HS 284690): no upstream mapping
    assert 0 <= dep["ndfeb_magnet"]["JPN"] <= 1


def test_drivers_rank_supplier_lines_by_tonnes_cut():
    # INVENTED: plus a line of unknown origin at a second holding
    lines = parse(SITE + "INVENTED plant,DEU,NdFeB magnets,50,10,,\n")
    drv = company.drivers(lines, [APR])
    top = drv.iloc[0]
    assert (top["rank"], top["supplier_country"], top["cut_kind"]) == (1, "CHN", "direct")
    # worst month: the whole 80% (80 t/month); first 12 months: (2 x 1 + 10 x 0.74) / 12 of it
    assert top["cut_share_peak"] == pytest.approx(0.8)
    assert top["cut_t_per_month_peak"] == pytest.approx(80.0)
    assert top["cut_share_12m"] == pytest.approx(0.8 * 9.4 / 12)
    assert top["cut_t_per_month_12m"] == pytest.approx(80 * 9.4 / 12)
    kinds = dict(zip(drv["supplier_name"], drv["cut_kind"]))
    assert kinds["Australia"] == "not cut" and kinds["unknown"] == "unknown origin"
    assert drv["rank"].isna().sum() == 2


def test_compare_base_and_what_if():
    lines = parse(SITE)
    base = company.results(lines, [APR])
    after = company.results(company.add_safety_stock(lines, months=2), [APR])
    cmp = company.compare(base, after)
    assert cmp["change_months"].iloc[0] == pytest.approx(200 / 59.2)
    # a different regime in the what-if is matched on (site, material)
    cmp2 = company.compare(base, company.results(lines, [BAN]))
    assert cmp2["months_base"].iloc[0] == pytest.approx(2 + 140 / 59.2)
    assert cmp2["state_what_if"].iloc[0] == cover.NOT_EXHAUSTED   # a DEU site is not banned


def test_json_rows_contract():
    rows = company.json_rows(company.results(parse(TWO_SITES), [BAN]))
    assert set(rows[0]) == {"site", "material", "on_hand_t", "monthly_use_t", "controlled_share", "regime",
                            "months_of_cover", "exhausted_within_horizon", "state"}
    us, de = rows[0], rows[1]
    assert us["months_of_cover"] == pytest.approx(3.75) and us["exhausted_within_horizon"] is True
    assert de["months_of_cover"] is None and de["state"] == cover.NOT_EXHAUSTED
