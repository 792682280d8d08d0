"""Page state in the URL (chokepoint/ui/urlstate.py): parsing is strict, and a bad or stale
parameter falls back to the default with a message naming it, never an exception."""
import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from chokepoint.ui import urlstate

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_choice_matches_the_option_text_only():
    assert urlstate.parse_choice("IND", ["IND", "USA"]) == "IND"
    assert urlstate.parse_choice("ind", ["IND", "USA"]) is None
    assert urlstate.parse_choice("2024", [2024, 2022]) == 2024          # years are ints on the page
    assert urlstate.parse_choice("", ["IND"]) is None


def test_choices_keep_url_order_drop_repeats_and_report_unknowns():
    picked, bad = urlstate.parse_choices(["b", "a", "b", "zz"], ["a", "b", "c"])
    assert picked == ["b", "a"] and bad == ["zz"]
    assert urlstate.parse_choices([""], ["a"]) == ([], [])               # ?regimes= : none chosen


def test_day_and_number_reject_bad_text_and_out_of_range_values():
    lo, hi = dt.date(2020, 1, 1), dt.date(2030, 1, 1)
    assert urlstate.parse_day("2025-04-04", lo, hi) == dt.date(2025, 4, 4)
    assert urlstate.parse_day("2025-13-01", lo, hi) is None
    assert urlstate.parse_day("1999-01-01", lo, hi) is None
    assert urlstate.parse_number("3.5", 0, 12, 0.5) == 3.5
    assert urlstate.parse_number("3.3", 0, 12, 0.5) is None             # off the slider's grid
    assert urlstate.parse_number("nan", 0, 12) is None
    assert urlstate.parse_number("13", 0, 12) is None
    assert urlstate.text_of(3.0) == "3" and urlstate.text_of(dt.date(2025, 4, 4)) == "2025-04-04"


def test_date_range_survives_29_february():
    assert urlstate.date_range(dt.date(2028, 2, 29)) == (dt.date(2018, 2, 28), dt.date(2038, 2, 28))


def _open(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_exposure_takes_valid_parameters_and_names_the_invalid_one():
    at = _open("pages/exposure.py", group="magnesium", material="no_such_material", country="USA",
               year="2024", basis="quantity")
    infos = [i.value for i in at.info]
    assert any("`material=no_such_material`" in i for i in infos), infos
    assert at.selectbox(key="exp_group").value == "magnesium"
    assert at.selectbox(key="exp_country").value == "USA"
    assert at.radio(key="exp_basis").value == "quantity"
    # the URL now states the view shown, the bad value replaced by the default
    assert at.query_params["material"] not in ("no_such_material", ["no_such_material"])
    assert at.query_params["country"] in ("USA", ["USA"])


def test_cover_drops_an_unknown_regime_and_a_bad_date_with_a_message():
    at = _open("pages/cover.py", regimes=["baseline", "custom-from-another-session"], as_of="2025-02-30",
               country="JPN")
    infos = " ".join(i.value for i in at.info)
    assert "`regimes=custom-from-another-session`" in infos and "`as_of=2025-02-30`" in infos
    assert at.pills(key="cov_regimes").value == ["baseline"]
    assert at.date_input(key="cov_as_of").value == dt.date.today()
    assert at.selectbox(key="cov_country").value == "JPN"
    assert at.subheader[0].value.startswith("Japan")
