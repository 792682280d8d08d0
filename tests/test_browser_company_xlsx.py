"""A real browser, the procurement manager's day: upload an Excel workbook through the file chooser,
pick its sheet, save it; save a later workbook; compare the two by months of cover; build a
briefing pack from the saved snapshot. The workbooks are generated here; every row is INVENTED."""
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

openpyxl = pytest.importorskip("openpyxl")

pytestmark = pytest.mark.browser

HEADER = ["site", "site_country", "material", "on_hand", "monthly_use", "supplier_country", "supplier_share"]
# INVENTED: S0 = 300 t, U = 100 t/month, 80% China -> 2 + 140 / 59.2 = 4.4 months under April 2025 licensing
MARCH = [["INVENTED Stuttgart motors", "DE", "Dysprosium oxide", 300, 100, "CN", 0.8],
         ["INVENTED Stuttgart motors", None, "Dysprosium oxide", None, None, "AU", 0.2],
         ["INVENTED Ohio assembly", "US", "NdFeB magnets", 120, 20, "CN", 0.6],
         ["INVENTED Ohio assembly", None, "NdFeB magnets", None, None, "VN", 0.4]]
# INVENTED: June, less dysprosium on hand (200 t, 70% China)
JUNE = [["INVENTED Stuttgart motors", "DE", "Dysprosium oxide", 200, 100, "CN", 0.7],
        ["INVENTED Stuttgart motors", None, "Dysprosium oxide", None, None, "AU", 0.3],
        *MARCH[2:]]
SHOTS = os.environ.get("CHOKEPOINT_SHOTS")      # a folder: save 1440x900 screenshots of each step there


def workbook(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Read me"
    wb.active.append(["INVENTED procurement export"])
    ws = wb.create_sheet("Stock")
    for r in [HEADER, *rows]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def laptop(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def _save(page, name: str) -> None:
    box = page.get_by_label("Snapshot name")
    box.fill(name)
    box.press("Enter")
    page.get_by_role("button", name="Save to workspace").click()
    page.get_by_text(f"Saved to the workspace as '{name}'").wait_for()


def test_xlsx_upload_sheet_save_compare_and_brief(laptop, app_server, tmp_path):
    page = laptop
    march, june = workbook(tmp_path / "march.xlsx", MARCH), workbook(tmp_path / "june.xlsx", JUNE)
    page.goto(app_server + "/")                  # warm up through the router (see test_browser_exposure)
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    page.goto(app_server + "/company")
    page.get_by_role("heading", name="Company stockpiles").wait_for()

    # the workbook's first sheet is no stockpile table: its error, then the sheet picker
    page.locator("input[type=file]").first.set_input_files(str(march))
    page.get_by_text("no known column names in row 1").first.wait_for()
    box = page.get_by_test_id("stSelectbox").filter(has_text="Sheet of the workbook")
    box.locator("input").click()
    page.get_by_role("option", name="Stock").click()
    page.get_by_text("Excel workbook (.xlsx), sheet 'Stock'").first.wait_for()
    metric = page.get_by_test_id("stMetric").filter(has_text="Earliest run-out").first
    metric.get_by_text("4.4 months").wait_for()
    shot(page, "company-xlsx-preview")
    _save(page, "March")

    page.locator("input[type=file]").first.set_input_files(str(june))
    page.get_by_text("no known column names in row 1").first.wait_for()     # the new file's first sheet
    # the new workbook gets a picker of its own; the previous one stays on screen (stale) until the run ends
    box = page.get_by_role("combobox", name="Sheet of the workbook")
    expect(box).to_have_count(1, timeout=60_000)
    expect(box).to_have_value("Read me")
    box.click()
    page.get_by_role("option", name="Stock").click()
    page.get_by_text("Excel workbook (.xlsx), sheet 'Stock'").first.wait_for()
    _save(page, "June")

    # compare March -> June: months of cover per regime, the change, what changed
    page.get_by_text("Compare two snapshots: months of cover and what changed").click()
    # a long finding title wraps over lines (tspans without spaces between them)
    page.locator(".js-plotly-plot .gtitle",
                 has_text=re.compile(r"INVENTED Stuttgart motors · Dysprosium\s*oxide\s*loses")).first.wait_for()
    page.get_by_text("What changed in the inputs").first.scroll_into_view_if_needed()
    shot(page, "company-compare")
    assert page.locator("[data-testid='stException']").count() == 0

    # a briefing pack from the saved snapshot
    page.get_by_role("link", name="Briefing").click()
    page.get_by_role("heading", name="Briefing pack").wait_for()
    page.get_by_text("a company stockpile snapshot").click()
    page.get_by_text("a saved snapshot").first.wait_for()
    page.get_by_role("button", name="Build the pack").click()
    page.get_by_role("heading", name="June").first.wait_for(timeout=180_000)
    shot(page, "briefing-from-snapshot")
    assert page.locator("[data-testid='stException']").count() == 0
