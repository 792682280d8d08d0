"""AppTest: the Exposure page renders from app.py and answers for other countries and materials."""
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _exposure() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("pages/exposure.py").run()
    assert not at.exception, at.exception
    return at


def test_exposure_defaults_to_india_magnets_with_look_through():
    at = _exposure()
    assert at.title[0].value.startswith("Exposure")
    m = {x.label: x.value for x in at.metric}
    assert m["China, direct"] == "84.2%"
    assert float(m["China, through third countries"].rstrip("%")) > 0
    text = " ".join(x.value for x in at.markdown)
    assert "How the look-through works" in text and "last shipping country" in text
    assert "HS 850511 includes non-rare-earth magnets" in text


def test_filters_change_the_answer():
    at = _exposure()
    at.radio(key="exp_basis").set_value("quantity").run()
    assert not at.exception, at.exception
    assert {x.label: x.value for x in at.metric}["China, direct"] == "88.0%"
    at.selectbox(key="exp_country").set_value("USA").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith("United States")
    at.selectbox(key="exp_group").set_value("magnesium").run()
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["Top supplier"] == "Israel"


def test_material_without_trade_data_says_so():
    at = _exposure()
    at.selectbox(key="exp_material").set_value("dysprosium_oxide").run()
    assert not at.exception, at.exception
    assert any("No bilateral trade data" in i.value for i in at.info)
    assert not at.metric  # no silent zero


def test_ndfeb_heading_names_its_proxy_and_reliance_shows_states_not_impossible_shares():
    at = _exposure()
    at.selectbox(key="exp_material").set_value("ndfeb_magnet").run()
    assert not at.exception, at.exception
    assert "proxy: HS 850511, all metal magnets" in at.subheader[0].value
    assert any("used as a proxy for NdFeB" in w.value for w in at.warning)
    rel = next(df.value for df in at.dataframe if "Reliance shown?" in df.value.columns)
    ind = rel.set_index("Material")
    assert ind.loc["NdFeB permanent magnets", "Reliance shown?"].startswith("scope mismatch")
    shares = pd.to_numeric(rel["Import reliance (%)"], errors="coerce").dropna()
    assert ((shares >= 0) & (shares <= 1)).all()   # 541% was shown here before


def test_2022_is_value_only_and_what_changed_is_shown():
    at = _exposure()
    text = " ".join(x.value for x in at.markdown)
    # India's HS 850511 from China by value: 73.9% in 2022, 84.2% in 2024 (worked out from the source
    # CSVs in tests/test_bilateral.py)
    assert "73.9% → 84.2% (+10.3 pp)" in text
    at.selectbox(key="exp_year").set_value(2022).run()
    assert not at.exception, at.exception
    assert {x.label: x.value for x in at.metric}["China, direct"] == "73.9%"
    assert any("quantity: not available for 2022" in c.value for c in at.caption)
    assert [r.options for r in at.radio if r.key == "exp_basis"] == [["value (USD)"]]
