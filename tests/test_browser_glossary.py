"""A real browser: a glossary link (on Exposure, or a #fragment URL) lands on its term on Data and methods."""
import pytest

pytestmark = pytest.mark.browser


def _top(page, anchor: str) -> int:
    """Where the term's heading is, relative to the top of the window, once Streamlit has drawn it."""
    page.locator(f"#{anchor}").wait_for(state="attached", timeout=60_000)
    page.wait_for_function("a => { const r = document.getElementById(a).getBoundingClientRect();"
                           " return r.top >= 0 && r.top < 300; }", arg=anchor, timeout=60_000)
    return page.evaluate("a => document.getElementById(a).getBoundingClientRect().top", anchor)


@pytest.fixture
def page(browser):
    """A laptop-sized window (the shared fixture's 2400 px tall one cannot scroll a term near the
    end of the page to its top)."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def test_glossary_link_on_exposure_opens_data_and_methods_at_the_term(page, app_server):
    page.goto(app_server + "/")   # warm the server up at the root (see test_browser_exposure.py)
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.goto(app_server + "/exposure")
    page.get_by_role("heading", name="Exposure: who depends on China").wait_for()
    link = page.locator("a[href='data_methods#glossary-thin']").first
    link.wait_for(timeout=60_000)
    with page.context.expect_page() as opened:   # links in text open in a new tab
        link.click()
    tab = opened.value
    tab.get_by_role("heading", name="Thin (evidence)").wait_for(timeout=60_000)
    assert 0 <= _top(tab, "glossary-thin") < 300
    # the glossary is far below the first screen: without the #fragment the page stays at its top
    tab.goto(app_server + "/data_methods")
    tab.get_by_role("heading", name="Data and methods").wait_for(timeout=60_000)
    tab.locator("#glossary-hhi").wait_for(state="attached", timeout=60_000)
    assert tab.evaluate("() => document.getElementById('glossary-hhi').getBoundingClientRect().top") > 900
    # a #fragment URL opened afresh (a shared link, a bookmark) lands on the term
    fresh = page.context.new_page()
    fresh.goto(app_server + "/data_methods#glossary-hhi")
    assert 0 <= _top(fresh, "glossary-hhi") < 300
    assert fresh.locator("[data-testid='stException']").count() == 0
