"""A real browser against a real server: a regime bomb uploaded on Control regimes leaves
the server's memory where it was; without [auth] every page says the workspace is shared; on
Company stockpiles, rename then delete removes exactly the snapshot that was renamed."""
from __future__ import annotations

import re
import time

import pytest

from tests import hostile_corpus as hc
from tests.conftest import Server

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

PAGES = ["", "exposure", "cover", "regimes", "company", "briefing", "data_methods"]
BANNER = "Single-user mode"


def _rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path)
    yield s
    s.stop()


def test_regime_bomb_upload_leaves_server_memory_alone(page, server, tmp_path):
    good = tmp_path / "fine.yml"
    good.write_text("id: fine-regime\nname: A fine regime\nrules:\n" + hc.RULE, encoding="utf-8")
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(hc.regime_bomb("materials"), encoding="utf-8")
    page.goto(server.url + "/regimes")
    page.get_by_role("heading", name="Control regimes").wait_for()
    upload = page.get_by_test_id("stFileUploader").filter(has_text="Upload a regime").locator("input[type=file]")
    upload.wait_for(state="attached", timeout=120_000)   # the page has two uploaders; this one is last
    upload.set_input_files(str(good))                  # warm the upload path first
    page.get_by_text("Loaded A fine regime").wait_for()
    time.sleep(1)
    before = _rss_mb(server.proc.pid)
    upload.set_input_files(str(bomb))
    page.get_by_text("bomb.yml was not loaded").wait_for(timeout=20_000)
    alert = page.get_by_test_id("stAlert").filter(has_text="was not loaded").first.inner_text()
    assert "anchors" in alert and "not allowed" in alert
    time.sleep(1)
    after = _rss_mb(server.proc.pid)
    assert after - before < 50, f"server RSS {before:.0f} -> {after:.0f} MB"
    assert page.locator("[data-testid='stException']").count() == 0


def test_single_user_banner_on_every_page(page, app_server, tmp_path):
    page.goto(app_server + "/")
    page.get_by_role("heading", name="China's chokehold on critical minerals").wait_for()
    for path in PAGES:
        page.goto(f"{app_server}/{path}")
        banner = page.get_by_test_id("stAlert").filter(has_text=BANNER).first
        banner.wait_for()
        assert "anyone who can reach this app shares one workspace" in banner.inner_text(), path
    page.screenshot(path=str(tmp_path / "single-user-banner.png"))


def _combobox(page):
    return page.get_by_role("combobox", name="Snapshot", exact=True)


def _pick(page, name: str) -> None:
    _combobox(page).click()
    page.get_by_role("option", name=re.compile("^" + re.escape(name) + " — ")).click()
    expect(_combobox(page)).to_have_value(re.compile("^" + re.escape(name) + " — "))


def test_rename_then_delete_removes_exactly_that_snapshot(page, server, tmp_path):
    from chokepoint.stockpile_csv import parse_stockpile_csv
    from chokepoint.workspace import Workspace
    ws = Workspace(tmp_path / "workspace.duckdb")       # the server's workspace (conftest.Server)
    rows = {"Alpha": hc.GOOD_CSV, "Bravo": hc.GOOD_CSV.replace(b"300", b"301"),
            "Charlie": hc.GOOD_CSV.replace(b"300", b"302"), "Delta": hc.GOOD_CSV.replace(b"300", b"303")}
    ids = {name: ws.save("local", name, parse_stockpile_csv(raw), raw).snapshot_id for name, raw in rows.items()}

    def content():
        out = {}
        for info in ws.list("local"):
            snap = ws.open("local", info.snapshot_id)
            out[info.snapshot_id] = (info.name, snap.lines.to_csv(index=False), ws.raw("local", info.snapshot_id))
        return out
    before = content()

    page.goto(server.url + "/company")
    page.get_by_role("heading", name="Company stockpiles").wait_for()
    _pick(page, "Bravo")
    name = page.get_by_label("New name")
    name.fill("Zulu renamed")
    name.press("Enter")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Renamed to 'Zulu renamed'").wait_for()
    expect(_combobox(page)).to_have_value(re.compile(r"^Zulu renamed — "))   # the pick followed the rename
    delete = page.get_by_role("button", name="Delete 'Zulu renamed'")
    expect(delete).to_be_disabled()                       # asks to confirm, naming the snapshot
    page.get_by_text("Yes, delete 'Zulu renamed'").click()
    # while the rerun runs, the previous (disabled) button can still be in the page beside the new one
    enabled = page.locator("button:not([disabled])", has_text="Delete 'Zulu renamed'")
    expect(enabled).to_have_count(1, timeout=60_000)
    enabled.click()
    page.get_by_text("Snapshot 'Zulu renamed' deleted.").wait_for()

    after = content()
    assert ids["Bravo"] not in after
    assert set(after) == set(before) - {ids["Bravo"]}
    for sid, value in after.items():
        assert value == before[sid], f"snapshot {value[0]} changed"
    assert page.locator("[data-testid='stException']").count() == 0


def test_banner_only_without_auth():
    """AppTest (no browser): the banner is there without [auth] and gone when [auth] is configured."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.run()
    assert any(BANNER in w.value for w in at.warning)
    at = AppTest.from_file(app, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.run()
    assert not any(BANNER in w.value for w in at.warning)
