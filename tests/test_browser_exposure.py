"""A real browser: the Exposure page draws its charts and redraws them when the country changes."""
import pytest

pytestmark = pytest.mark.browser


def _title(page, prefix):
    loc = page.locator(".js-plotly-plot .gtitle", has_text=prefix).first
    loc.wait_for()
    return loc.text_content()


def test_changing_country_updates_the_charts(page, app_server):
    # warm the server up at the root first: a first-ever session that opens /exposure directly is run
    # by Streamlit without app.py's st.navigation (it sees the pages/ folder), see the report
    page.goto(app_server + "/")
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.goto(app_server + "/exposure")
    page.get_by_role("heading", name="Exposure: who depends on China").wait_for()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    before = _title(page, "of its")           # the country card: "India traces 99% of its ..."
    assert before.startswith("India")
    sankey_before = _title(page, "trace back to China")
    # pick another country in the "Country (importer)" selectbox
    box = page.get_by_test_id("stSelectbox").filter(has_text="Country (importer)")
    box.locator("input").click()
    box.locator("input").fill("Japan")
    page.get_by_role("option", name="Japan (JPN)").click()
    page.locator(".js-plotly-plot .gtitle", has_text="Japan traces").first.wait_for()
    after = _title(page, "Japan traces")
    assert after != before
    page.locator(".js-plotly-plot .gtitle", has_text="of Japan's").first.wait_for()
    assert _title(page, "trace back to China") != sankey_before
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 6
