"""AppTest: the Exposure and Months of cover pages show the controlled elements carried by magnets
(ESTIMATES) and what each country's stock rests on; a stock set in tonnes replaces the assumption."""
from tests.test_page_cover import _page
from tests.test_page_exposure import _exposure


def test_exposure_page_shows_embedded_dysprosium_and_terbium_as_estimates():
    at = _exposure()  # India, HS 850511 magnets by default
    m = {x.label: x.value for x in at.metric}
    assert "Dysprosium (ESTIMATE)" in m and "Terbium (ESTIMATE)" in m
    assert m["Dysprosium (ESTIMATE)"].endswith(" t") and "–" in m["Dysprosium (ESTIMATE)"]
    text = " ".join(x.value for x in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Controlled elements carried by India's magnet imports — ESTIMATES" in text
    assert "used as a proxy for NdFeB" in text


def test_cover_page_says_which_results_rest_on_assumptions_and_takes_a_stock_in_tonnes():
    at = _page("pages/cover.py")
    text = " ".join(m.value for m in at.markdown)
    assert "rest on assumptions only" in text and "United States" in text
    assert "national stockpile target" in text and "Japan" in text
    assert "**assumption**" in text                               # the stock line beside the result
    assert "Controlled elements in United States' magnet stock" in text
    at.number_input(key="cov_stock_t_permanent_magnets_USA").set_value(5000.0).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "evidence: user-set stock of 5,000 t" in text
    assert "use a stock you set in tonnes (evidence): United States" in text
