"""AppTest: the procurement manager's workflow (issue 15, "Workflow gaps") — an .xlsx upload gives
the same results as the CSV; custom regimes and a chosen ban target on Company stockpiles and
Briefing; the regime editor changes and removes rules and asks before an upload replaces a regime;
a briefing pack from a saved snapshot; two snapshots compared by months of cover per regime.
Every stockpile row is INVENTED test data."""
from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from chokepoint import regimes, scenarios
from chokepoint.labels import label
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.views import regime_dates

APP = str(Path(__file__).resolve().parent.parent / "app.py")

HEADER = ["site", "site_country", "material", "on_hand", "monthly_use", "supplier_country", "supplier_share"]
# INVENTED: S0 = 300 t, U = 100 t/month, 80% China; a US magnet plant
ROWS = [["INVENTED plant", "DE", "Dysprosium oxide", 300, 100, "CN", "80%"],
        ["INVENTED plant", None, "Dysprosium oxide", None, None, "AU", "20%"],
        ["INVENTED US plant", "US", "NdFeB magnets", 40000, 8000, "CN", 0.9]]
GOOD = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
        "INVENTED plant,DE,Dysprosium oxide,300,100,CN,80%\n"
        "INVENTED plant,DE,Dysprosium oxide,,,AU,20%\n"
        "INVENTED US plant,US,NdFeB magnets,40000,8000,CN,0.9\n").encode()
# INVENTED: three months later, less dysprosium, more from Australia, the magnets gone
LATER = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
         "INVENTED plant,DE,Dysprosium oxide,200,100,CN,70%\n"
         "INVENTED plant,DE,Dysprosium oxide,,,AU,30%\n").encode()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def ws_env(tmp_path, monkeypatch):
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "ws.duckdb"))
    monkeypatch.delenv("CHOKEPOINT_WORKSPACE_URL", raising=False)


def page(name: str, custom: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if custom is not None:
        at.session_state["custom_regimes"] = custom
    at.run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def results(at: AppTest):
    """The results table; the page shows labels (``chokepoint.labels``) and regime names."""
    return next(d.value for d in at.dataframe if label("runout_date") in d.value.columns)


def shown(reg: regimes.Regime) -> str:
    """The name the page shows for a regime today ("Scenario: ..." when not in force)."""
    return regime_dates.on().name(reg)


def squeeze() -> regimes.Regime:
    """A custom regime: China cuts rare earths to Germany to 10% after one month."""
    return scenarios.custom_regime("Squeeze DE", [scenarios.rule_fields("CHN", ["rare_earths"], "DEU", 0.1, 1, 0, 0,
                                                                        False)])


# ---------------------------------------------------------------- 1. .xlsx upload
def test_xlsx_upload_chosen_sheet_gives_the_csv_results(ws_env):
    at = page("company")
    at.file_uploader(key="company_upload").set_value(("stock.csv", GOOD, "text/csv")).run()
    csv_res = results(at)
    data = workbook({"Notes": [["INVENTED notes"]], "Stock": [HEADER, *ROWS]})
    at.file_uploader(key="company_upload").set_value(("stock.xlsx", data, XLSX)).run()
    assert not at.exception, at.exception
    # the first sheet has no stockpile table: its error, and a sheet picker
    assert at.error and "no known column names in row 1" in at.error[0].value
    picker = next(w for w in at.selectbox if w.label == "Sheet of the workbook")
    picker.set_value("Stock").run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Detected: **Excel workbook (.xlsx), sheet 'Stock'" in text
    xlsx_res = results(at)
    cols = [label(c) for c in ("site", "material_name", "regime", "months", "state", "controlled_share")]
    assert xlsx_res[cols].equals(csv_res[cols])


# ---------------------------------------------------------------- 2. custom regimes, ban target
def test_company_page_offers_custom_regimes_and_a_ban_target(ws_env):
    reg = squeeze()
    at = page("company", {reg.id: reg})
    at.file_uploader(key="company_upload").set_value(("stock.csv", GOOD, "text/csv")).run()
    box = at.multiselect(key="company_regimes")
    assert reg.id in box.options or "Squeeze DE (custom)" in box.options
    box.set_value([reg.id, "ban-one-country"]).run()
    assert not at.exception, at.exception
    res = results(at)
    regime, site, months, state = (label(c) for c in ("regime", "site", "months", "state"))
    lib = regimes.load_library()
    ban, ban_de = shown(lib["ban-one-country"]), shown(regimes.with_target(lib["ban-one-country"], "DEU"))
    assert set(res[regime]) == {shown(reg), ban}
    mine = res[(res[regime] == shown(reg)) & (res[site] == "INVENTED plant")].iloc[0]
    # month 1: 20 t of 100 arrive; then 80 * 0.1 + 20 = 28: 1 + 220 / 72 months
    assert mine[months] == pytest.approx(1 + 220 / 72)
    # the ban hits the USA by default, Germany when chosen
    us = res[(res[regime] == ban) & (res[site] == "INVENTED US plant")].iloc[0]
    assert us[state] == "exhausted"
    at.selectbox(key="company_ban_target").set_value("DEU").run()
    assert not at.exception, at.exception
    res = results(at)
    assert "Germany" in ban_de and set(res[regime]) == {shown(reg), ban_de}
    de = res[(res[regime] == ban_de) & (res[site] == "INVENTED plant")].iloc[0]
    assert de[months] == pytest.approx(300 / 80)       # 80% from China cut from month 1
    us = res[(res[regime] == ban_de) & (res[site] == "INVENTED US plant")].iloc[0]
    assert us[state] == "not exhausted within horizon"


def test_regime_editor_changes_and_removes_a_rule():
    at = page("regimes")
    # form widgets: set, then submit (a form sends its values with the submit)
    at.text_input(key="ed_name").set_value("Editor test")
    at.button(key="FormSubmitter:regime_editor-Add rule and preview").click().run()
    at.number_input(key="ed_delay").set_value(5)
    at.button(key="FormSubmitter:regime_editor-Add rule and preview").click().run()
    reg = at.session_state["custom_regimes"]["custom-editor-test"]
    assert [r.delay_months for r in reg.rules] == [2, 5]
    # change rule 1: load it into the form, set the approval rate, save
    at.selectbox(key="ed_rule_pick").set_value(0).run()
    at.button(key="ed_change_rule").click().run()
    assert at.number_input(key="ed_delay").value == 2
    at.slider(key="ed_approval").set_value(0.5)
    at.button(key="FormSubmitter:regime_editor-Save changes to rule 1").click().run()
    reg = at.session_state["custom_regimes"]["custom-editor-test"]
    assert [(r.approval_rate, r.delay_months) for r in reg.rules] == [(0.5, 2), (0.26, 5)]
    # remove rule 2
    at.selectbox(key="ed_rule_pick").set_value(1).run()
    at.button(key="ed_remove_rule").click().run()
    assert not at.exception, at.exception
    reg = at.session_state["custom_regimes"]["custom-editor-test"]
    assert [(r.approval_rate, r.delay_months) for r in reg.rules] == [(0.5, 2)]
    assert any("Rule 2 removed" in s.value for s in at.success)
    # edit a library regime: it becomes a custom copy, the library is untouched
    at.selectbox(key="ed_pick").set_value("apr-2025-licensing").run()
    at.button(key="ed_edit").click().run()
    lib_rules = len(regimes.load_library()["apr-2025-licensing"].rules)
    assert len(at.session_state["regime_draft"]["rules"]) == lib_rules
    at.button(key="FormSubmitter:regime_editor-Add rule and preview").click().run()
    copy = at.session_state["custom_regimes"][at.session_state["regime_draft"]["id"]]
    assert copy.id.startswith("custom-") and len(copy.rules) == lib_rules + 1


def test_uploading_a_regime_whose_id_exists_asks_before_replacing():
    reg = squeeze()
    at = page("regimes", {reg.id: reg})
    other = regimes.regime_to_yaml(regimes.parse_regime({**regimes.regime_to_dict(reg), "name": "Squeeze v2",
                                                         "horizon_months": 24})).encode()
    at.file_uploader(key="ed_upload").set_value(("squeeze.yml", other, "application/yaml")).run()
    assert not at.exception, at.exception
    assert at.warning and f"`{reg.id}` is already in this session's custom regimes" in at.warning[0].value
    assert at.session_state["custom_regimes"][reg.id].name == "Squeeze DE"      # nothing replaced yet
    at.button(key="ed_upload_replace").click().run()
    assert at.session_state["custom_regimes"][reg.id].name == "Squeeze v2"
    # a library id is never replaced: the upload is loaded as a copy, after asking
    lib = regimes.regime_to_yaml(regimes.load_library()["baseline"]).encode()
    at.file_uploader(key="ed_upload").set_value(("baseline.yml", lib, "application/yaml")).run()
    assert "already in the regime library" in at.warning[0].value
    assert not [b for b in at.button if b.key == "ed_upload_replace"]
    at.button(key="ed_upload_copy").click().run()
    assert any(k.startswith("custom-") and k != reg.id for k in at.session_state["custom_regimes"])


# ---------------------------------------------------------------- 3. briefing from a snapshot
def test_briefing_pack_from_a_saved_snapshot_with_a_custom_regime(ws_env):
    from chokepoint.workspace import Workspace
    store = Workspace.default()
    info = store.save("local", "INVENTED March", parse_stockpile_csv(GOOD, filename="march.csv"), GOOD)
    reg = squeeze()
    at = page("briefing", {reg.id: reg})
    at.radio(key="brief_subject").set_value("company").run()
    assert not at.exception, at.exception
    assert at.radio(key="brief_source").value == "snapshot"
    assert at.selectbox(key="brief_snapshot").value == info.snapshot_id
    at.multiselect(key="brief_regimes").set_value([reg.id]).run()
    at.button(key="brief_build").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith("INVENTED March")
    values = [m.value for m in at.metric]
    assert f"{1 + 220 / 72:.1f} months" in values                 # the custom regime's run-out
    assert any("Squeeze DE" in m.label for m in at.metric)


# ---------------------------------------------------------------- 4. two snapshots compared
def test_snapshot_comparison_shows_cover_per_regime_and_the_inputs(ws_env):
    from chokepoint.workspace import Workspace
    store = Workspace.default()
    march = store.save("local", "March", parse_stockpile_csv(GOOD, filename="march.csv"), GOOD)
    june = store.save("local", "June", parse_stockpile_csv(LATER, filename="june.csv"), LATER)
    at = page("company")
    assert not [s for s in at.selectbox if s.key == "company_cmp_a"]     # closed: nothing computed
    at.session_state["company_cmp_open"] = True                          # the user opens the comparison
    at.run()
    at.selectbox(key="company_cmp_a").set_value(march.snapshot_id)
    at.selectbox(key="company_cmp_b").set_value(june.snapshot_id)
    at.multiselect(key="company_cmp_regimes").set_value(["apr-2025-licensing"]).run()
    assert not at.exception, at.exception
    cov = next(d.value for d in at.dataframe if "Change (months)" in d.value.columns)
    assert list(cov.columns) == ["Site", "Material", "Regime", "March (months)", "June (months)", "Change (months)"]
    dy = cov[cov["Site"] == "INVENTED plant"].iloc[0]
    # April 2025 licensing: 2-month delay then 26% approval. March: 2 + 140 / 59.2; June: 200 t, 70% China
    march, june = 2 + 140 / 59.2, 2 + (200 - 2 * 70) / (70 * 0.74)
    assert dy["March (months)"] == f"{march:.1f}" and dy["June (months)"] == f"{june:.1f}"
    assert dy["Change (months)"] == f"{june - march:+.1f}"
    assert cov.loc[cov["Site"] == "INVENTED US plant", "Change (months)"].iloc[0] == "removed"
    inputs = next(d.value for d in at.dataframe if "What changed" in d.value.columns)
    what = inputs.set_index("Site")["What changed"]
    assert what["INVENTED plant"] == ("stock 300 t → 200 t; China 80% → 70%; Australia 20% → 30%")
    assert what["INVENTED US plant"] == "holding no longer in the snapshot"
    titles = [json.loads(e.proto.spec)["layout"]["title"]["text"] for e in at.get("plotly_chart")]
    assert any("INVENTED plant · Dysprosium oxide loses 1.2 months of cover under April 2025 licensing" in t
               for t in titles), titles
