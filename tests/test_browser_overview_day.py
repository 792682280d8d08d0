"""Issue 15 in a real browser at 1440x900: the Overview's drop is not green, its labels are not
cut with "…", and no asset (the tab icon included) comes from outside the app's own server."""
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def laptop(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def test_overview_offline_red_drop_whole_labels(laptop, app_server, tmp_path):
    own = urlparse(app_server).netloc
    outside: list[str] = []

    def offline(route):   # the network is off: only the app's own server answers
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    laptop.route("**/*", offline)
    errors: list[str] = []
    laptop.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    laptop.goto(app_server + "/")
    laptop.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    laptop.get_by_text("back above normal from Jul 2025").first.wait_for()
    laptop.locator(".js-plotly-plot .main-svg").first.wait_for()
    labels = laptop.locator("[data-testid='stMetricLabel']")
    assert labels.count() == 3
    for i in range(3):   # the whole label is visible: nothing clipped behind an ellipsis
        clipped = labels.nth(i).evaluate(
            "el => [el, ...el.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1 "
            "&& getComputedStyle(e).overflow !== 'visible')")
        assert not clipped, labels.nth(i).inner_text()
    delta = laptop.locator("[data-testid='stMetricDelta']").first
    assert "74%" in delta.inner_text()
    r, g, _b = (int(v) for v in delta.evaluate("el => getComputedStyle(el).color").strip("rgba()").split(",")[:3])
    assert r > g, f"the drop is drawn in rgb({r}, {g}, …): a fall must not be green"
    icon = laptop.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert "material" not in icon and urlparse(icon).netloc in ("", own), icon
    laptop.wait_for_timeout(1500)
    laptop.screenshot(path=str(tmp_path / "overview-1440.png"), full_page=True)
    assert not outside, f"requests left the app's server: {outside}"
    assert not errors, errors
