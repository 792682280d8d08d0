"""AppTest: every page renders from app.py without exception and shows its headings and numbers."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_shows_the_cited_headline_numbers():
    at = _app()
    assert at.title[0].value == "China's chokehold on critical minerals"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["China's share of rare-earth mining, 2024"] == "69%"
    assert metrics["China's share of primary magnesium, 2024"] == "88%"  # USGS MCS 2026: 953 of 1,080 kt
    assert metrics["Magnet exports, May 2025, vs 2024 monthly average"] == "26%"
    captions = " ".join(c.value for c in at.caption)
    assert "USGS Mineral Commodity Summaries 2025" in captions
    assert "CEPII BACI" in captions


def test_data_and_methods_lists_every_table_with_provenance():
    at = _app()
    at.switch_page("pages/data_methods.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Data and methods"
    text = " ".join(m.value for m in at.markdown)
    for needle in ["HS 850511", "last shipping country", "sha256", "Etalab Open Licence 2.0"]:
        assert needle in text, needle
    tables = at.dataframe[0].value
    assert {"trade_flows", "production", "control_events", "monthly_exports"} <= set(tables["table"])
