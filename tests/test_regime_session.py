"""Custom regimes across pages (chokepoint.regime_session) and two snapshots compared
(chokepoint.snapshot_diff, views.company.snapshot_cover). Stockpile rows are INVENTED."""
from __future__ import annotations

import math

import pytest

from chokepoint import regime_session, regimes, scenarios
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.views import company as view_company

LIB = regimes.load_library()
A = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
     "INVENTED plant,DE,Dysprosium oxide,300,100,CN,80%\nINVENTED plant,DE,Dysprosium oxide,,,AU,20%\n"
     "INVENTED US plant,US,NdFeB magnets,40000,8000,CN,0.9\n").encode()
B = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
     "INVENTED plant,FR,Dysprosium oxide,300,100,CN,80%\nINVENTED plant,FR,Dysprosium oxide,,,AU,20%\n"
     "INVENTED new,DE,Terbium oxide,10,1,CN,1\n").encode()


def test_default_ban_target_is_the_scenarios_one():
    assert regime_session.DEFAULT_BAN_TARGET == scenarios.DEFAULT_BAN_TARGET


def test_options_list_library_then_custom_marked():
    reg = scenarios.custom_regime("Mine", [scenarios.rule_fields("CHN", ["rare_earths"], "all", 0.5, 0, 0, 0, False)])
    ids, names = regime_session.regime_options(LIB, {reg.id: reg})
    assert ids == [*LIB, reg.id] and names[reg.id] == "Mine (custom)"
    assert regime_session.needs_target(LIB, ["ban-one-country"]) and not regime_session.needs_target(LIB, [reg.id])


def test_rule_inputs_round_trip_through_rule_fields():
    for reg in LIB.values():
        for rule in reg.rules:
            f = regime_session.rule_inputs(rule)
            back = scenarios.rule_fields(f["controller"], f["materials"], f["targets"], f["approval_rate"],
                                         f["delay_months"], f["start_month"], f["end_month"], f["extraterritorial"])
            again = regimes.parse_regime({"id": "x", "name": "x", "rules": [back]}).rules[0]
            assert (again.targets, again.material_ids, again.approval_rate, again.delay_months, again.end_month) == \
                   (rule.targets, rule.material_ids, rule.approval_rate, rule.delay_months, rule.end_month)


def test_rule_edits_and_upload_conflicts():
    rules = [{"controller": "CHN", "materials": ["rare_earths"], "approval_rate": a} for a in (0.1, 0.2, 0.3)]
    assert [r["approval_rate"] for r in regime_session.without_rule(rules, 1)] == [0.1, 0.3]
    assert regime_session.with_rule(rules, {**rules[0], "approval_rate": 0.9}, 2)[2]["approval_rate"] == 0.9
    assert len(regime_session.with_rule(rules, rules[0])) == 4
    with pytest.raises(IndexError, match="no rule 4"):
        regime_session.without_rule(rules, 3)
    base = LIB["baseline"]
    assert regime_session.upload_conflict(base, LIB, {}) == "library"
    copy = regime_session.as_copy(base, list(LIB))
    assert copy.id.startswith("custom-") and copy.id not in LIB
    assert regime_session.upload_conflict(copy, LIB, {copy.id: copy}) == "custom"
    assert regime_session.draft_of(LIB["apr-2025-licensing"])["id"] is None     # a library regime: edited as a copy


def test_snapshot_cover_change_and_inputs():
    la, lb = parse_stockpile_csv(A).lines, parse_stockpile_csv(B).lines
    regs = [LIB["apr-2025-licensing"], regimes.with_target(LIB["ban-one-country"], "DEU")]
    cmp = view_company.snapshot_cover(la, lb, regs, name_a="March", name_b="June", key="k")
    t = cmp.cover.set_index(["site", "material_id", "regime"])
    dy = t.loc[("INVENTED plant", "dysprosium_oxide", "ban-one-country-deu")]
    # the plant moved from Germany (banned: 300 / 80 months) to France (not banned)
    assert dy["months_a"] == pytest.approx(300 / 80) and dy["state_b"] == "not exhausted within horizon"
    assert math.isnan(dy["change_months"]) and dy["change_capped"] == pytest.approx(36 - 300 / 80)
    assert t.loc[("INVENTED new", "terbium_oxide", "apr-2025-licensing"), "status"] == "added"
    assert t.loc[("INVENTED US plant", "ndfeb_magnet", "apr-2025-licensing"), "status"] == "removed"
    shown = cmp.cover_display("March", "June").set_index(["Site", "Regime"])
    assert shown.loc[("INVENTED plant", regs[1].short_name), "Change (months)"] == f"{36 - 300 / 80:+.1f} or more"
    what = cmp.inputs.set_index("site")["changes"]
    assert what["INVENTED plant"] == "site country DEU → FRA"
    assert what["INVENTED new"] == "new holding"
    assert cmp.spec.title.startswith("No holding loses cover")
    assert "gains 32.2 months" in cmp.spec.title
    fig = cmp.spec.figure()
    assert len([t for t in fig.data if t.mode == "markers+text"]) == 4        # two snapshots x two regimes
