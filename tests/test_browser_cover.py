"""A real browser: Months of cover draws the heatmap and the curves for the chosen country; the
regime editor on Control regimes builds a custom regime and previews it."""
import re

import pytest

pytestmark = pytest.mark.browser


def _warm(page, app_server):
    # a first-ever session that opens a page URL directly is run without app.py's router (see
    # tests/test_browser_exposure.py): open the root first
    page.goto(app_server + "/")
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()


def _title(page, text):
    loc = page.locator(".js-plotly-plot .gtitle", has_text=text).first
    loc.wait_for()
    return loc.text_content()


def test_cover_heatmap_and_curves_follow_the_country(page, app_server):
    _warm(page, app_server)
    page.goto(app_server + "/cover")
    page.get_by_role("heading", name="Months of cover: how long stocks last").wait_for()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    assert "importers run out of" in _title(page, "importers")              # the heatmap
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    before = _title(page, "stock runs out")
    assert before.startswith("United States'")
    box = page.get_by_test_id("stSelectbox").filter(has_text="Country for the detail below")
    box.locator("input").click()
    box.locator("input").fill("Japan")
    page.get_by_role("option", name="Japan (JPN)").click()
    after = _title(page, "Japan's metal permanent magnets stock")
    assert after != before
    page.get_by_role("heading", name="Japan: stock run-down under each regime").wait_for()
    page.get_by_text("JOGMEC national and private stockpile", exact=False).first.wait_for()   # assumptions
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 3


def test_regime_editor_builds_and_previews_a_custom_regime(page, app_server):
    _warm(page, app_server)
    page.goto(app_server + "/regimes")
    page.get_by_role("heading", name="Control regimes").first.wait_for()
    page.get_by_role("heading", name="Build a custom regime").wait_for()
    name = page.get_by_label("Regime name")
    name.fill("Browser squeeze")
    name.press("Tab")
    delay = page.get_by_label("Delay (months)")
    delay.fill("1")
    delay.press("Tab")
    page.get_by_role("button", name="Add rule and preview").click()
    title = _title(page, "Preview: Browser squeeze")
    assert "runs out first" in title or "no country shown" in title
    page.get_by_text("custom-browser-squeeze").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    # the custom regime is offered on Months of cover in the same session
    page.get_by_role("link", name="Months of cover").click()
    page.get_by_role("heading", name="Months of cover: how long stocks last").wait_for()
    page.locator(".js-plotly-plot .gtitle", has_text="importers").first.wait_for()
    # the regimes are pills, every one readable: the custom one is a pill of its own
    page.get_by_role("button", name=re.compile(r"Browser squeeze \(custom\)")).click()
    # a heatmap column; its label reads "Scenario: Browser squeeze", wrapped over lines (tspans)
    page.locator(".js-plotly-plot .xtick", has_text=re.compile(r"Browser\s*squeeze")).first.wait_for()
