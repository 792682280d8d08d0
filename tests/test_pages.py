"""AppTest: every page renders from app.py without exception and shows its headings and numbers."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_shows_the_cited_headline_numbers():
    at = _app()
    assert at.title[0].value == "China's chokehold on critical minerals"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["China's share of rare-earth mining, 2024"] == "69%"
    assert metrics["China's share of primary magnesium, 2024"] == "88%"  # USGS MCS 2026: 953 of 1,080 kt
    assert metrics["Magnet exports, May 2025, vs 2024 monthly average"] == "26%"
    captions = " ".join(c.value for c in at.caption)
    assert "USGS Mineral Commodity Summaries 2025" in captions
    assert "CEPII BACI" in captions


def test_overview_shows_the_magnet_drop_in_red_and_says_later_months_recovered():
    """Issue 15: the -74% year-on-year drop was drawn green (delta_color="inverse")."""
    from streamlit.proto.Metric_pb2 import Metric
    at = _app()
    drop = next(m for m in at.metric if m.label.startswith("Magnet exports"))
    assert drop.proto.delta.startswith("-74%")
    assert drop.proto.color == Metric.MetricColor.RED and drop.proto.direction == Metric.MetricDirection.DOWN
    assert "then back above normal from Jul 2025 (127% in Nov 2025)" in drop.proto.help


def test_magnet_recovery_is_read_from_the_monthly_series():
    import pandas as pd

    from chokepoint.constants import WORLD
    from chokepoint.views import overview

    def series(shares):
        return pd.DataFrame({"to_country": WORLD, "months": 1, "source": "s", "basis": "reported",
                             "period_start": pd.date_range("2025-03-01", periods=len(shares), freq="MS").date,
                             "share_of_ref": shares})
    rec = series([0.9, 0.3, 0.7, 1.1, 1.2])
    assert overview.magnet_recovery(rec) == ("back above normal from Jun 2025", "120% in Jul 2025")
    assert overview.monthly_exports(rec).title == ("Magnet exports fell to 30% of normal in Apr 2025, "
                                                   "back above normal from Jun 2025")
    assert overview.magnet_recovery(series([0.9, 0.3, 0.6])) == ("recovering to 60% in May 2025", "60% in May 2025")
    assert overview.magnet_recovery(series([0.9, 0.5, 0.5])) == ("still 50% in May 2025", "50% in May 2025")
    assert overview.magnet_recovery(series([0.9, 0.3])) is None
    assert overview.monthly_exports(series([0.9, 0.3])).title == "Magnet exports fell to 30% of normal in Apr 2025"


def test_data_and_methods_lists_every_table_with_provenance():
    at = _app()
    at.switch_page("pages/data_methods.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Data and methods"
    text = " ".join(m.value for m in at.markdown)
    for needle in ["HS 850511", "last shipping country", "sha256", "Etalab Open Licence 2.0"]:
        assert needle in text, needle
    tables = at.dataframe[0].value
    assert {"trade_flows", "production", "control_events", "monthly_exports"} <= set(tables["Table"])


def test_control_timeline_labels_wrap_instead_of_ending_in_an_ellipsis():
    from chokepoint import scenarios
    from chokepoint.constants import CONTROLLER
    from chokepoint.views import overview
    events = scenarios.default_runner()("control_timeline", controller=CONTROLLER)
    fig = overview.control_timeline(events).figure()
    labels = [t for tr in fig.data if tr.mode == "markers+text" for t in tr.text]
    assert len(labels) == len(events)
    assert not any("…" in t for t in labels)
    assert sorted(t.replace("<br>", " ") for t in labels) == sorted(events["items"])
    assert max(len(line) for t in labels for line in t.split("<br>")) <= 40


def test_chart_subtitles_wrap_instead_of_running_off_the_chart():
    """Plotly never wraps a title: the ranking's 170-character subtitle was cut at the chart's edge."""
    import re

    from chokepoint import exposure
    from chokepoint.views import exposure as view_exposure
    sel = exposure.select("IND", "permanent_magnets", 2024, "value")
    spec = view_exposure.country(sel, exposure.default_runner(), short="metal permanent magnets").ranking
    assert len(spec.subtitle) > 140
    sub = re.search(r"<span[^>]*>(.*)</span>", spec.figure().layout.title.text).group(1)
    lines = sub.split("<br>")
    assert len(lines) >= 2 and max(map(len, lines)) <= 125 and " ".join(lines) == spec.subtitle


def test_the_provenance_footer_is_drawn_when_opened():
    at = _app()
    text = lambda: " ".join(m.value for m in at.markdown)          # noqa: E731
    assert "sha256" not in text()                                   # closed: nothing drawn
    at.session_state["footer_provenance"] = True                    # the reader opens it
    at.run()
    assert not at.exception, at.exception
    assert "sha256" in text() and "accessed" in text() and "(table `production`)" in text()
