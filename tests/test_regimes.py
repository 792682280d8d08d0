"""Control regimes: schema validation, YAML round-trip, the library, pass fractions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint import catalog
from chokepoint import regimes as R

LIB_DIR = R.LIBRARY_DIR
EXPECTED_IDS = {"baseline", "apr-2025-licensing", "oct-2025-expansion", "ban-one-country",
                "escalation-ti-mg-lree", "eu-fast-track", "general-licences"}


def rule(**kw) -> R.Rule:
    base = dict(controller="CHN", materials=("dysprosium",), approval_rate=0.25)
    base.update(kw)
    return R.Rule(**base)


def regime(*rules: R.Rule, h: int = 12) -> R.Regime:
    return R.Regime(id="t", name="T", rules=tuple(rules), horizon_months=h)


# ------------------------------------------------------------------------------ library
@pytest.fixture(scope="module")
def lib() -> dict[str, R.Regime]:
    return R.load_library()


def test_library_has_the_real_timeline(lib):
    assert set(lib) == EXPECTED_IDS


@pytest.mark.parametrize("path", sorted(LIB_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_every_library_file_loads_with_sources_and_calibration(path: Path):
    r = R.load_regime(path)
    assert r.id == path.stem
    assert r.sources and all(s.title for s in r.sources)
    assert len(r.calibration) > 40
    if any(0 < x.approval_rate < 1 or x.delay_months for x in r.rules):
        assert "estimate" in r.calibration  # every calibrated number is labelled as an estimate
    assert R.load_regime(R.regime_to_yaml(r)) == r


def test_april_calibration_matches_the_published_figures(lib):
    (r,) = lib["apr-2025-licensing"].rules
    assert r.approval_rate == pytest.approx(1238 / (58152 / 12), abs=0.005)
    assert r.delay_months == 2 and r.targets.mode == "all" and not r.extraterritorial
    for el in ("samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium"):
        assert catalog.expand_selector(el) <= r.material_ids
    assert {"ndfeb_magnet", "smco_magnet"} <= r.material_ids
    assert "holmium_oxide" not in r.material_ids and "neodymium_oxide" not in r.material_ids


def test_october_expansion_adds_five_elements_and_is_extraterritorial(lib):
    (r,) = lib["oct-2025-expansion"].rules
    assert r.extraterritorial
    elements = {m for m in r.material_ids if m in catalog.elements()}
    assert len(elements) == 12
    assert {"holmium", "erbium", "thulium", "europium", "ytterbium"} <= elements


def test_eu_fast_track_gives_eu_060_and_others_026(lib):
    r = lib["eu-fast-track"]
    for dest, a in (("DEU", 0.6), ("FRA", 0.6), ("USA", 0.26), ("JPN", 0.26), (None, 0.26)):
        m = R.line_pass_matrix(r, "ndfeb_magnet", dest, ["CHN"], 4)
        np.testing.assert_allclose(m[0], [0, 0, a, a], err_msg=str(dest))


def test_escalation_covers_ti_mg_light_rare_earths_once(lib):
    r = lib["escalation-ti-mg-lree"]
    assert len(r.rules) == 1  # one rule, so samarium (April + light) is not cut twice
    ids = r.rules[0].material_ids
    assert {"titanium_sponge", "magnesium_metal", "neodymium_oxide", "dysprosium_oxide"} <= ids
    m = R.line_pass_matrix(r, "samarium_oxide", "USA", ["CHN"], 3)
    np.testing.assert_allclose(m[0], [0, 0, 0.26])


def test_baseline_cuts_nothing_and_general_licences_pass_everything(lib):
    assert lib["baseline"].rules == ()
    for rid in ("baseline", "general-licences"):
        m = R.line_pass_matrix(lib[rid], "dysprosium_oxide", "USA", ["CHN", "MYS"], 6)
        assert (m == 1).all()


def test_with_target_retargets_the_ban(lib):
    ban = lib["ban-one-country"]
    deu = R.with_target(ban, "Germany")
    assert deu.id == "ban-one-country-deu"
    assert "Germany" in deu.name and "United States" not in deu.name
    assert deu.rules[0].targets == R.Targets("only", ("DEU",))
    assert R.line_pass_matrix(deu, "cerium_oxide", "DEU", ["CHN"], 2).tolist() == [[0, 0]]
    assert R.line_pass_matrix(deu, "cerium_oxide", "USA", ["CHN"], 2).tolist() == [[1, 1]]
    with pytest.raises(R.RegimeError):
        R.with_target(lib["apr-2025-licensing"], "DEU")


# ----------------------------------------------------------------------------- pass fractions
def test_pass_fraction_month_convention():
    # worked example: delay 1 month from start 0 -> month 1 passes 0, month 2+ passes a
    r = rule(delay_months=1)
    assert R.pass_fraction(r, 1) == 0.0
    assert R.pass_fraction(r, 2) == 0.25
    # start 2, delay 1, end 5: months 1-2 free, 3 zero, 4-5 at a, 6+ free again
    r = rule(start_month=2, delay_months=1, end_month=5)
    np.testing.assert_allclose(R.pass_fraction(r, np.arange(1, 8)), [1, 1, 0, 0.25, 0.25, 1, 1])
    # a delay longer than the active window cuts the whole window to 0
    r = rule(delay_months=10, end_month=3)
    np.testing.assert_allclose(R.pass_fraction(r, np.arange(1, 5)), [0, 0, 0, 1])


def test_stacked_rules_multiply():
    m = R.line_pass_matrix(regime(rule(approval_rate=0.5), rule(materials=("heavy_rare_earths",),
                                                               approval_rate=0.4)),
                           "dysprosium_oxide", "USA", ["CHN"], 3)
    np.testing.assert_allclose(m, [[0.2, 0.2, 0.2]])
    # the second rule does not cover a light rare earth: only the first applies
    m = R.line_pass_matrix(regime(rule(materials=("rare_earths",), approval_rate=0.5),
                                  rule(materials=("heavy_rare_earths",), approval_rate=0.4)),
                           "neodymium_oxide", "USA", ["CHN"], 1)
    assert m.tolist() == [[0.5]]


def test_targeted_ban_spares_non_targets_and_other_origins():
    ban = regime(rule(materials=("rare_earths",), approval_rate=0.0, targets=R.Targets("only", ("USA",))))
    m = R.line_pass_matrix(ban, "ndfeb_magnet", "USA", ["CHN", "JPN", "ROW"], 2)
    np.testing.assert_allclose(m, [[0, 0], [1, 1], [1, 1]])
    assert (R.line_pass_matrix(ban, "ndfeb_magnet", "DEU", ["CHN"], 2) == 1).all()
    assert (R.line_pass_matrix(ban, "ndfeb_magnet", None, ["CHN"], 2) == 1).all()
    assert (R.line_pass_matrix(ban, "titanium_sponge", "USA", ["CHN"], 2) == 1).all()


def test_except_targets_and_domestic_supply():
    r = regime(rule(approval_rate=0.0, targets=R.Targets("except", ("FRA",))))
    assert R.line_pass_matrix(r, "dysprosium", "FRA", ["CHN"], 1).tolist() == [[1.0]]
    assert R.line_pass_matrix(r, "dysprosium", "ITA", ["CHN"], 1).tolist() == [[0.0]]
    assert R.line_pass_matrix(r, "dysprosium", None, ["CHN"], 1).tolist() == [[0.0]]
    # a controller's own supply to itself is not an export
    assert R.line_pass_matrix(r, "dysprosium", "CHN", ["CHN"], 1).tolist() == [[1.0]]


def test_extraterritorial_rule_cuts_third_countries_by_dependence():
    r = regime(rule(approval_rate=0.2, extraterritorial=True))
    dep = {"JPN": 0.5, "VNM": 1.0}
    m = R.line_pass_matrix(r, "dysprosium_oxide", "USA", ["CHN", "JPN", "VNM", "EST", "ROW", "USA"], 2, dep)
    # CHN: 0.2; JPN: 1 - 0.5 * 0.8 = 0.6; VNM: 1 - 1.0 * 0.8 = 0.2; EST, ROW unknown -> 0 (reported);
    # USA -> USA is domestic supply, not an export from a third country
    np.testing.assert_allclose(m[:, 0], [0.2, 0.6, 0.2, 1.0, 1.0, 1.0])
    assert R.missing_dependence(r, "dysprosium_oxide", "USA", ["CHN", "JPN", "EST", "ROW", "USA"], dep) == \
        ["EST", "ROW"]
    plain = regime(rule(approval_rate=0.2))
    np.testing.assert_allclose(R.line_pass_matrix(plain, "dysprosium_oxide", "USA", ["JPN"], 1, dep), [[1.0]])
    assert R.missing_dependence(plain, "dysprosium_oxide", "USA", ["EST"], dep) == []
    direct, et = R.line_exposure(r, ["dysprosium_oxide"] * 3, ["USA"] * 3, ["CHN", "JPN", "ROW"], [0, 0.5, 0])
    assert direct.tolist() == [True, False, False] and et.tolist() == [0, 0.5, 0]


def test_row_is_never_the_controller():
    r = regime(rule(approval_rate=0.0))
    assert R.line_pass_matrix(r, "dysprosium", "USA", ["ROW"], 1).tolist() == [[1.0]]


# ----------------------------------------------------------------------------- parsing
def test_targets_accept_iso2_names_and_eu():
    r = R.load_regime("""
id: x
name: X
rules:
  - controller: China
    materials: [dysprosium]
    targets: [us, Germany, NA]
    approval_rate: 0.5
  - controller: CN
    materials: magnets
    targets: {except: [EU]}
    approval_rate: 1
""")
    assert r.rules[0].controller == "CHN"
    assert r.rules[0].targets.countries == ("USA", "DEU", "NAM")
    assert r.rules[1].targets.mode == "except" and set(r.rules[1].targets.countries) == set(catalog.EU27)
    assert r.rules[1].materials == ("magnets",) and "ndfeb_magnet" in r.rules[1].material_ids
    assert r.horizon_months == 36 and r.rules[0].delay_months == 0 and r.rules[0].end_month is None


def test_validation_lists_every_problem_with_paths_and_suggestions():
    text = """
id: Bad_ID
nme: typo
horizon_months: 0
rules:
  - controller: CHN
    materials: [dysprosium]
    approval_rate: 0.5
  - controller: Atlantis
    materials: [dysprosum, titanium]
    targets: [USA, Narnia]
    approval_rate: 1.4
    delay_months: -1
    start_month: 3
    end_month: 2
    extraterritorial: maybe
    aproval: 1
"""
    with pytest.raises(R.RegimeError) as ei:
        R.load_regime(text)
    msg = str(ei.value)
    problems = ei.value.problems
    for expected in (
        "nme: unknown key — did you mean 'name'?",
        "name: required",
        "id: 'Bad_ID' must be lowercase",
        "horizon_months: 0 must be",
        "Rule 2: controller — unknown country 'Atlantis'",
        "Rule 2: materials, item 1 — unknown material 'dysprosum' — did you mean 'dysprosium'",
        "Rule 2: targets, item 2 — unknown country 'Narnia'",
        "Rule 2: approval_rate — 1.4 is outside 0–1",
        "Rule 2: delay_months — -1",
        "Rule 2: end_month — 2 must be after start_month (3)",
        "Rule 2: extraterritorial — 'maybe' must be true or false",
        "Rule 2: aproval — unknown key — did you mean 'approval_rate'?",
    ):
        assert any(p.startswith(expected) for p in problems), expected
        assert expected in msg
    assert len(problems) == 12
    assert not any(p.startswith("Rule 1") for p in problems)
    assert "rules[" not in msg  # problems read as words, not code paths


def test_validation_of_missing_and_wrong_types():
    with pytest.raises(R.RegimeError) as ei:
        R.parse_regime({"id": "x", "name": "X", "rules": [{"materials": []}, "not a rule"],
                        "sources": [{"url": "http://x"}]})
    p = ei.value.problems
    assert "Rule 1: controller — required" in p
    assert "Rule 1: approval_rate — required" in p
    assert any(x.startswith("Rule 1: materials — must be a non-empty list") for x in p)
    assert "Rule 2 — must be a mapping of rule fields" in p
    assert "Source 1: title — required text" in p
    with pytest.raises(R.RegimeError, match="empty target list"):
        R.parse_regime({"id": "x", "name": "X", "rules": [
            {"controller": "CHN", "materials": ["dysprosium"], "approval_rate": 0.1, "targets": []}]})
    with pytest.raises(R.RegimeError, match="is not a number"):
        R.parse_regime({"id": "x", "name": "X", "rules": [
            {"controller": "CHN", "materials": ["dysprosium"], "approval_rate": "26%"}]})
    with pytest.raises(R.RegimeError, match="is not a country"):
        R.parse_regime({"id": "x", "name": "X", "rules": [
            {"controller": "ROW", "materials": ["dysprosium"], "approval_rate": 0.1}]})


def test_yaml_syntax_error_names_the_line(tmp_path):
    f = tmp_path / "bad.yml"
    f.write_text("id: x\nname: [unclosed\n")
    with pytest.raises(R.RegimeError) as ei:
        R.load_regime(f)
    assert str(f) in str(ei.value) and "line" in str(ei.value)
    with pytest.raises(R.RegimeError, match="must be a mapping"):
        R.load_regime("- just\n- a list\n")


def test_direct_construction_is_validated():
    with pytest.raises(R.RegimeError, match=r"approval_rate: 1.5 is outside 0–1"):
        rule(approval_rate=1.5)
    with pytest.raises(R.RegimeError, match="end_month"):
        rule(start_month=4, end_month=4)
    with pytest.raises(R.RegimeError, match="did you mean 'dysprosium'"):
        rule(materials=("dysprosum",))
    with pytest.raises(R.RegimeError, match="id"):
        R.Regime(id="Has Space", name="x")


def test_yaml_round_trip_of_every_field():
    r = R.Regime(
        id="custom-1", name="Custom: ünïcode", horizon_months=24, description="Two lines\nof text",
        sources=(R.Source("A source", "https://example.org/a", "p. 3"), R.Source("Another")),
        calibration="estimate: 'quoted' # not a comment",
        rules=(rule(materials=("dysprosium", "magnets"), targets=R.Targets("except", ("FRA", "DEU")),
                    delay_months=2, start_month=1, end_month=13, extraterritorial=True, note="n"),
               rule(approval_rate=0.0, targets=R.Targets("only", ("USA",)))))
    text = R.regime_to_yaml(r)
    assert R.load_regime(text) == r
    assert "except: [FRA, DEU]" in text
    assert text.index("id:") < text.index("name:") < text.index("rules:")


def test_load_library_rejects_duplicate_ids_and_collects_file_problems(tmp_path):
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text("id: same\nname: Same\nrules: []\n")
    (tmp_path / "c.yml").write_text("id: c\nname: C\nrules:\n  - controller: CHN\n    materials: [x_y]\n"
                                    "    approval_rate: 2\n")
    with pytest.raises(R.RegimeError) as ei:
        R.load_library(tmp_path)
    p = ei.value.problems
    assert any(x.startswith("b.yml: id: duplicate id 'same' (also in a.yml)") for x in p)
    assert any(x.startswith("c.yml: Rule 1: materials, item 1 — unknown material") for x in p)
    assert any(x.startswith("c.yml: Rule 1: approval_rate — 2 is outside 0–1") for x in p)


def test_special_regimes_are_flagged_in_their_yaml_not_found_by_id():
    lib = R.load_library()
    assert R.flagged(lib, "default") == ["apr-2025-licensing", "oct-2025-expansion"]
    assert R.flagged(lib, "reference") == ["baseline"]
    assert R.flagged(lib, "retargetable") == ["ban-one-country"]
    assert R.with_target(lib["ban-one-country"], "DEU").has("retargetable")
    r = lib["baseline"]
    assert R.load_regime(R.regime_to_yaml(r)) == r      # flags survive a round trip


def test_an_unknown_flag_is_a_problem_naming_the_known_ones():
    d = R.regime_to_dict(R.load_library()["baseline"])
    with pytest.raises(R.RegimeError) as e:
        R.parse_regime({**d, "flags": ["defualt"]})
    assert "flags: unknown flag 'defualt' (known: default, reference, retargetable)" in str(e.value)
    with pytest.raises(R.RegimeError, match="flags: must be a list"):
        R.parse_regime({**d, "flags": "default"})
    with pytest.raises(ValueError, match="unknown regime flag"):
        R.flagged({}, "defaults")
