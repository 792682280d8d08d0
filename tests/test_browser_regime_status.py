"""Browser: control events uploaded on Control regimes -- a bad file is refused with its line and field and
changes nothing; a good one changes the regime's status on the page."""
import pytest

pytestmark = pytest.mark.browser

BAD = b"date,regime,action,measure,source\n2026-11-20,oct-2025-expansion,paused,Test measure,Test source\n"
GOOD = (b"date,regime,action,until,measure,source\n"
        b"2026-11-20,oct-2025-expansion,suspended,2027-11-10,Test measure,Test source\n")


def test_events_upload_validates_then_merges(page, app_server):
    page.set_default_timeout(90_000)
    page.goto(app_server + "/")      # a first-ever session opens the root first (see test_browser_cover._warm)
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.goto(app_server + "/regimes")
    page.get_by_role("heading", name="Which regimes are in force").wait_for()
    upload = page.get_by_test_id("stFileUploader").filter(has_text="Add control events").locator("input[type=file]")
    upload.set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD}])
    page.get_by_text("bad.csv was not added").wait_for()
    alert = page.get_by_test_id("stAlert").filter(has_text="was not added").first.inner_text()
    assert "line 2: action: 'paused' is not one of imposed, suspended, lifted" in alert
    assert page.get_by_text("event(s) of yours merged").count() == 0
    upload.set_input_files(files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD}])
    page.get_by_text("1 event(s) of yours merged into the timeline").wait_for()
    page.get_by_text("Includes 1 event(s) you added", exact=False).first.wait_for()
    page.get_by_text("Suspended: October 2025 expansion", exact=False).first.wait_for()   # library expander
    assert page.locator("[data-testid='stException']").count() == 0
