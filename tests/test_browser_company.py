"""A real browser: upload a stockpile CSV through the file chooser, read the result, save it to the
workspace, then upload an invalid file and see its row/column errors. The files are INVENTED test data."""
import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

# INVENTED: S0 = 300 t, U = 100 t/month, 80% China -> 2 + 140 / 59.2 = 4.4 months under April 2025
# licensing (the default first regime), the earliest run-out of the file
GOOD = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
        "INVENTED Stuttgart motors,DE,Dysprosium oxide,300,100,CN,80%\n"
        "INVENTED Stuttgart motors,DE,Dysprosium oxide,,,AU,20%\n"
        "INVENTED Ohio assembly,US,NdFeB magnets,120,20,CN,0.6\n"
        "INVENTED Ohio assembly,US,NdFeB magnets,,,VN,0.4\n")
BAD = ("site,material,on_hand,monthly_use,supplier_country\n"
       "a,unobtainium,1,1,CN\n"
       "b,NdFeB magnets,-4,1,CN\n")


def test_upload_read_save_then_reject_an_invalid_file(page, app_server, tmp_path):
    good, bad = tmp_path / "stuttgart.csv", tmp_path / "broken.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    page.goto(app_server + "/")                  # warm up through the router (see test_browser_exposure)
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.goto(app_server + "/company")
    page.get_by_role("heading", name="Company stockpiles").wait_for()

    # upload through the real file chooser input
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("Detected:").first.wait_for()
    assert "UTF-8, comma-separated, decimal point" in page.get_by_text("Detected:").first.inner_text()
    metric = page.get_by_test_id("stMetric").filter(has_text="Earliest run-out").first
    metric.get_by_text("4.4 months").wait_for()
    assert "INVENTED Stuttgart motors · Dysprosium oxide" in page.get_by_text("INVENTED Stuttgart motors ·").first.inner_text()
    page.locator(".js-plotly-plot .gtitle", has_text="INVENTED Stuttgart motors runs out").first.wait_for()

    # save to the workspace and see it listed
    name = page.get_by_label("Snapshot name")
    name.fill("Stuttgart March")
    name.press("Enter")
    page.get_by_role("button", name="Save to workspace").click()
    page.get_by_text("Saved to the workspace as 'Stuttgart March'").wait_for()
    expect(page.get_by_role("combobox", name="Snapshot", exact=True)).to_have_value(re.compile(r"^Stuttgart March — "))

    # an invalid file: errors with row and column, no results
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("2 error(s)").wait_for()
    alert = page.get_by_test_id("stAlert").filter(has_text="2 error(s)").first.inner_text()
    assert "row 2, column 'material': unknown material 'unobtainium'" in alert
    assert "row 3, column 'on_hand'" in alert
    assert page.get_by_role("button", name="Save to workspace").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
