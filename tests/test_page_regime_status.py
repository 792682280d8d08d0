"""AppTest: the as-of date on Months of cover and Control regimes -- in-force regimes chosen by default,
the headline counts only them, scenarios and suspended measures are labelled, the timeline caveat shows."""
import datetime as dt
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from chokepoint import regime_status as rs
from chokepoint import regimes

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _titles(at: AppTest) -> list[str]:
    return [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]


def test_cover_page_as_of_defaults_and_headline():
    at = _page("pages/cover.py")
    at.date_input(key="cov_as_of").set_value(dt.date(2025, 12, 1)).run()
    assert not at.exception, at.exception
    # the regime choice was made on the first run (today); choose what the page defaults to on this date
    at.pills(key="cov_regimes").set_value(["apr-2025-licensing", "oct-2025-expansion", "baseline"]).run()
    heat = [t for t in _titles(at) if "importers run out" in t or "No importer" in t][0]
    assert "April 2025 licensing (in force on 1 Dec 2025)" in heat and "October" not in heat
    opts = at.pills(key="cov_regimes").options
    assert any(o.startswith("Suspended: October 2025") for o in opts)
    assert any(o.startswith("Scenario: Escalation") for o in opts)
    caption = " ".join(c.value for c in at.caption)
    assert "Control timeline last updated" in caption and "Later measures are not in it" in caption
    table = at.dataframe[0].value
    starts = dict(zip(table["Regime"], table["Controls start"]))
    oct_start = [v for k, v in starts.items() if k.startswith("Suspended: October")][0]
    assert str(oct_start)[:10] == "2026-11-10"


def test_cover_page_defaults_to_in_force_regimes_and_user_events():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.session_state["control_events_extra"] = rs.parse_events(
        "date,regime,action,measure,source\n2000-01-01,escalation-ti-mg-lree,imposed,Test measure,Test\n")
    at.switch_page("pages/cover.py").run()
    assert not at.exception, at.exception
    chosen = at.pills(key="cov_regimes").value
    assert "escalation-ti-mg-lree" in chosen and "baseline" in chosen
    assert "eu-fast-track" not in chosen and "ban-one-country" not in chosen
    assert "1 event(s) you added" in " ".join(c.value for c in at.caption)


def test_regimes_page_status_table():
    at = _page("pages/regimes.py")
    at.date_input(key="reg_as_of").set_value(dt.date(2025, 12, 1)).run()
    assert not at.exception, at.exception
    lib, t = regimes.load_library(), at.dataframe[0].value

    def status(rid: str) -> str:   # the table names regimes (names, not ids)
        return next(s for n, s in zip(t["Regime"], t["Status"]) if lib[rid].name in n)
    assert status("oct-2025-expansion") == "suspended"
    assert status("apr-2025-licensing") == "in force"
    assert status("eu-fast-track") == "scenario"
    assert any("Control timeline last updated" in c.value for c in at.caption)
    assert any(e.label.startswith("Scenario: Escalation") for e in at.expander)
