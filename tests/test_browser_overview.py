"""A real browser against `streamlit run`: the Overview loads, draws its charts, is screenshotted."""
import pytest

pytestmark = pytest.mark.browser


def test_overview_draws_charts_in_chromium(page, app_server, tmp_path):
    page.goto(app_server + "/")
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    # the production chart drew its bars and its finding title
    page.get_by_text("China produces 37% to 95% of world supply").first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 4
    assert page.locator("[data-testid='stException']").count() == 0
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
