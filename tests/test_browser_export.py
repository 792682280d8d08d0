"""A real browser downloads what the buttons promise: a 2x 16:9 PNG of a chart, and a briefing deck."""
import struct

import pytest
from pptx import Presentation

pytestmark = pytest.mark.browser


def test_png_download_from_the_overview_is_a_2x_16x9_png(page, app_server, tmp_path):
    page.goto(app_server + "/")
    page.get_by_text("China produces").first.wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    button = page.get_by_role("button", name="PNG", exact=True).first
    with page.expect_download(timeout=60_000) as info:
        button.click()
    dl = info.value
    assert dl.suggested_filename.startswith("chokepoint-production-concentration-16x9-")
    assert dl.suggested_filename.endswith(".png")
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (2560, 1440)


def test_briefing_page_builds_and_downloads_a_deck(page, app_server, tmp_path):
    page.goto(app_server + "/briefing")
    page.get_by_role("heading", name="Briefing pack").wait_for()
    page.get_by_role("button", name="Build the pack").click()
    page.get_by_text("Key findings").first.wait_for(timeout=90_000)
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="Download PPTX deck").click()
    dl = info.value
    assert dl.suggested_filename.startswith("chokepoint-brief-ind-") and dl.suggested_filename.endswith(".pptx")
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    deck = Presentation(str(path))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[0].startswith("India") and titles[1] == "Key findings" and titles[-1] == "Methods and sources"
    assert len(titles) >= 11
    assert page.locator("[data-testid='stException']").count() == 0
