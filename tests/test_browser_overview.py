"""A real browser against `streamlit run`: the Overview loads, draws its charts, is screenshotted."""
import pytest

pytestmark = pytest.mark.browser


def test_overview_draws_charts_in_chromium(page, app_server, tmp_path):
    page.goto(app_server + "/")
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    # the production chart drew its bars and its finding title
    page.get_by_text("China produces 37% to 94% of world supply").first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 4
    assert page.locator("[data-testid='stException']").count() == 0
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_first_visit_to_a_page_url_goes_through_the_router(page, fresh_server):
    """Streamlit's legacy pages/ mode must not serve a page without app.py's sidebar and menu."""
    page.goto(fresh_server.url + "/data_methods")
    page.get_by_role("heading", name="Data and methods").wait_for()
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.get_by_text("Overview").wait_for()
    assert "app" not in [t.strip() for t in nav.inner_text().splitlines()]
    page.get_by_text("Exposure to China's export controls").first.wait_for()  # the shared sidebar
