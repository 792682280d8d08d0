"""AppTest: Months of cover and Control regimes render from app.py; a custom regime built in the
editor shows up in the regime choices and the preview."""
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _titles(at: AppTest) -> list[str]:
    return [f["layout"]["title"]["text"] for f in _figures(at)]


def test_cover_page_heatmap_curves_tornado_and_assumptions():
    at = _page("pages/cover.py")
    assert at.title[0].value.startswith("Months of cover")
    figs = _figures(at)
    heat = [f for f in figs if f["data"][0]["type"] == "heatmap"]
    assert heat, "no heatmap"
    labels = {t for row in heat[0]["data"][0]["text"] for t in row}
    assert "36+" in labels and any(t.replace(".", "").isdigit() for t in labels)
    assert "China" not in heat[0]["data"][0]["y"]          # the controller is not shown
    titles = _titles(at)
    assert any("United States' metal permanent magnets stock runs out" in t for t in titles)
    assert any("moves the answer most" in t for t in titles)
    text = " ".join(m.value for m in at.markdown)
    assert "Monthly use" in text and "derived (ESTIMATE)" in text and "AmCham" in text
    assert "Run-out dates" in text


def test_changing_regimes_and_country_redraws():
    at = _page("pages/cover.py")
    at.pills(key="cov_regimes").set_value(["apr-2025-licensing", "ban-one-country"]).run()
    assert not at.exception, at.exception
    heat = [f for f in _figures(at) if f["data"][0]["type"] == "heatmap"][0]
    assert len(heat["data"][0]["x"]) == 2
    at.selectbox(key="cov_country").set_value("JPN").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith("Japan")
    assert any(t.startswith("<b>Japan's metal permanent magnets stock") for t in _titles(at))
    assert "JOGMEC" in " ".join(m.value for m in at.markdown)
    at.selectbox(key="cov_ban_target").set_value("JPN").run()
    assert not at.exception, at.exception
    heat = [f for f in _figures(at) if f["data"][0]["type"] == "heatmap"][0]
    assert any("Japan" in x for x in heat["data"][0]["x"])          # ban-one-country retargeted
    at.slider(key="cov_industry").set_value(6.0).run()
    assert not at.exception, at.exception
    at.selectbox(key="cov_material").set_value("magnesium_metal").run()
    assert not at.exception, at.exception


def test_regimes_page_library_and_editor_builds_a_regime_used_on_cover():
    at = _page("pages/regimes.py")
    assert at.title[0].value == "Control regimes"
    assert any("export-control" in t.lower() or "measure" in t.lower() for t in _titles(at))
    assert len(at.expander) >= 7
    at.text_input(key="ed_name").set_value("Magnesium squeeze")
    at.multiselect(key="ed_materials").set_value(["magnesium"])
    at.slider(key="ed_approval").set_value(0.1)
    at.number_input(key="ed_delay").set_value(1)
    submit = [b for b in at.button if b.label == "Add rule and preview"][0]
    submit.click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Preview: Magnesium squeeze" in t for t in _titles(at))
    custom = at.session_state["custom_regimes"]
    assert "custom-magnesium-squeeze" in custom
    # a second rule, then a bad one (errors listed, nothing half-applied)
    at.multiselect(key="ed_materials").set_value(["titanium"])
    [b for b in at.button if b.label == "Add rule and preview"][0].click().run()
    assert len(at.session_state["custom_regimes"]["custom-magnesium-squeeze"].rules) == 2
    at.text_input(key="ed_controller").set_value("XXX")
    [b for b in at.button if b.label == "Add rule and preview"][0].click().run()
    assert at.error and "Rule 3: controller — " in at.error[0].value and "rules[" not in at.error[0].value
    assert len(at.session_state["custom_regimes"]["custom-magnesium-squeeze"].rules) == 2
    # the custom regime is a choice on Months of cover
    at.switch_page("pages/cover.py").run()
    assert not at.exception, at.exception
    assert any("Magnesium squeeze (custom)" in o for o in at.pills(key="cov_regimes").options)
    at.selectbox(key="cov_material").set_value("magnesium_metal")
    at.pills(key="cov_regimes").set_value(["baseline", "custom-magnesium-squeeze"]).run()
    assert not at.exception, at.exception
    heat = [f for f in _figures(at) if f["data"][0]["type"] == "heatmap"][0]
    assert any("Magnesium" in x for x in heat["data"][0]["x"])
