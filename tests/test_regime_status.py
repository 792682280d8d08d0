"""Regime status on a date: derived from the cited control timeline (data/regimes/timeline.csv) plus
user events; simulation start dates; the CLI's JSON; bad events files named by file, line and field."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chokepoint import regime_status as rs
from chokepoint import regimes

ROOT = Path(__file__).resolve().parent.parent
D = dt.date.fromisoformat
APR, OCT = "apr-2025-licensing", "oct-2025-expansion"


@pytest.fixture(scope="module")
def lib():
    return regimes.load_library()


@pytest.fixture(scope="module")
def tl(lib):
    return rs.load_timeline(known=list(lib))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


# ---------------------------------------------------------------------------- the built-in timeline
def test_timeline_cites_the_announcements_with_their_dates(tl):
    by = {(e.regime, e.action, e.date): e for e in tl.events}
    assert "No. 18" in by[(APR, "imposed", D("2025-04-04"))].measure
    assert "No. 57" in by[(OCT, "imposed", D("2025-11-08"))].measure
    assert "No. 61" in by[(OCT, "imposed", D("2025-12-01"))].measure
    susp = by[(OCT, "suspended", D("2025-11-07"))]
    assert "No. 70" in susp.measure and susp.until == D("2026-11-10")
    assert all(e.source and e.url.startswith("https://") for e in tl.events)
    assert tl.last_updated is not None and tl.last_event == D("2025-12-01")


def test_timeline_events_are_on_the_control_timeline():
    """Every announcement the regime timeline cites is on the dated control timeline (control_events.csv)."""
    import re
    ctl = (ROOT / "data" / "sources" / "control_events.csv").read_text()
    for e in rs.load_timeline().events:
        for no in re.findall(r"No\. (\d+)", e.measure.split(":")[0]):
            assert f"No. {no}" in ctl, (e.measure, no)


@pytest.mark.parametrize("day, apr, oct_", [
    ("2025-03-01", rs.NOT_YET, rs.NOT_YET),         # before the April measures
    ("2025-04-04", rs.IN_FORCE, rs.NOT_YET),        # No. 18 effective on the day of issue
    ("2025-10-20", rs.IN_FORCE, rs.NOT_YET),        # October measures announced, not yet effective
    ("2025-12-01", rs.IN_FORCE, rs.SUSPENDED),      # No. 70 suspension
    ("2026-11-09", rs.IN_FORCE, rs.SUSPENDED),      # last day of the suspension
    # the suspension's scheduled end: after the timeline's latest event, so in force only per schedule
    ("2026-11-10", rs.IN_FORCE, rs.SCHEDULED),
    ("2026-12-01", rs.IN_FORCE, rs.SCHEDULED),
])
def test_status_on_dates(lib, tl, day, apr, oct_):
    st = rs.statuses(lib, D(day), tl)
    assert st[APR].status == apr and st[OCT].status == oct_
    for rid in ("baseline", "ban-one-country", "escalation-ti-mg-lree", "eu-fast-track", "general-licences"):
        assert st[rid].status == rs.SCENARIO


def test_status_dates_and_basis(tl):
    s = tl.status(OCT, D("2025-12-01"))
    assert (s.effective_from, s.effective_to, s.suspended_until, s.in_force_from) == (
        D("2025-11-08"), None, D("2026-11-10"), D("2026-11-10"))
    assert "No. 70" in s.basis[0]
    after = tl.status(OCT, D("2026-12-01"))
    assert any("suspension ended 10 Nov 2026" in b for b in after.basis)
    assert any("ended as scheduled or was extended is not in it" in b for b in after.basis)
    assert not after.in_force and rs.label_name("October 2025 expansion", after) == "Unconfirmed: October 2025 expansion"
    # an event after the scheduled end confirms it: a user's record that the measures apply again
    confirmed = tl.merged(rs.parse_events("date,regime,action,measure,source\n"
                                          "2026-11-10,oct-2025-expansion,imposed,Measures apply again,Test\n",
                                          known=[OCT]))
    assert confirmed.status(OCT, D("2026-12-01")).status == rs.IN_FORCE


def test_user_events_lift_and_expire(lib, tl):
    extra = rs.parse_events(
        "date,regime,action,measure,source,until\n"
        "2026-11-20,oct-2025-expansion,suspended,New suspension,Test source,2027-11-10\n"
        "2027-01-01,apr-2025-licensing,lifted,April controls lifted,Test source,\n", known=list(lib))
    t2 = tl.merged(extra)
    assert t2.status(OCT, D("2026-12-01")).status == rs.SUSPENDED
    assert t2.status(APR, D("2026-12-01")).status == rs.IN_FORCE
    assert t2.status(APR, D("2027-01-01")).status == rs.HISTORICAL
    assert t2.status(APR, D("2027-01-01")).effective_to == D("2027-01-01")
    exp = tl.merged(rs.parse_events("date,regime,action,measure,source,until\n"
                                    "2026-01-01,general-licences,imposed,GL,src,2026-06-30\n", known=list(lib)))
    assert exp.status("general-licences", D("2026-03-01")).status == rs.IN_FORCE
    assert exp.status("general-licences", D("2026-07-01")).status == rs.EXPIRED
    assert "1 event(s) you added" in exp.caveat()


def test_caveat_says_when_last_updated_and_later_events_are_missing(tl):
    text = tl.caveat(D("2026-12-01"))
    assert f"{tl.last_updated:%d %b %Y}" in text and "Later measures are not in it" in text


# ---------------------------------------------------------------------------- simulation start
def test_simulation_starts_no_earlier_than_the_regime(tl):
    start = D("2025-04-04")
    assert rs.sim_start(APR, start, tl) == start
    assert rs.sim_start(OCT, start, tl) == D("2026-11-10")          # not before it was in force
    assert rs.sim_start("escalation-ti-mg-lree", start, tl) == start  # scenarios start when asked
    assert rs.sim_start(OCT, D("2026-12-01"), tl) == D("2026-12-01")  # "from today"


def test_labels_and_defaults(lib, tl):
    st = rs.statuses(lib, D("2025-12-01"), tl)
    assert rs.label(lib["escalation-ti-mg-lree"], st["escalation-ti-mg-lree"]).name.startswith("Scenario: ")
    assert rs.label(lib[OCT], st[OCT]).short_name == "Suspended: October 2025 expansion"
    assert rs.label(lib[APR], st[APR]).name == lib[APR].name
    assert rs.default_ids(lib, st) == [APR, "baseline"]
    st2 = rs.statuses(lib, D("2026-12-01"), tl)
    assert rs.default_ids(lib, st2) == [APR, "baseline"]      # the October regime is unconfirmed then


# ---------------------------------------------------------------------------- bad events files
@pytest.mark.parametrize("text, expected", [
    ("date,regime,action,measure,source\n2025-13-01,oct-2025-expansion,imposed,m,s\n",
     "line 2: date: '2025-13-01' is not a date (YYYY-MM-DD)"),
    ("date,regime,action,measure,source\n2025-12-01,oct-2025-expansion,paused,m,s\n",
     "line 2: action: 'paused' is not one of imposed, suspended, lifted"),
    ("date,regime,action,measure,source\n2025-12-01,oct-2025-expanse,imposed,m,s\n",
     "line 2: regime: 'oct-2025-expanse' is not a regime in the library — did you mean 'oct-2025-expansion'?"),
    ("date,regime,action,measure\n2025-12-01,oct-2025-expansion,imposed,m\n",
     "line 1: header: missing column(s) source (columns: date, regime, action, measure, source, optional "
     "until, url, note, checked)"),
    ("date,regime,action,measure,source,until\n2025-12-01,oct-2025-expansion,suspended,m,s,2025-01-01\n",
     "line 2: until: 2025-01-01 must be after date (2025-12-01)"),
    ("date,regime,action,measure,source\n2025-12-01,oct-2025-expansion,imposed,,s\n", "line 2: measure: required"),
])
def test_bad_csv_names_line_and_field(lib, text, expected):
    with pytest.raises(rs.EventsError) as e:
        rs.parse_events(text, known=list(lib), where="my.csv")
    assert e.value.problems == [expected] and str(e.value).startswith("my.csv: ")


def test_bad_file_adds_nothing_and_lists_every_problem(lib, tl):
    text = ("date,regime,action,measure,source\n2026-12-01,apr-2025-licensing,lifted,ok,s\n"
            "2026-12-02,apr-2025-licensing,lifted,,s\n2026-12-03,nope,lifted,m,s\n")
    with pytest.raises(rs.EventsError) as e:
        rs.parse_events(text, known=list(lib), where="ev.csv")
    assert [p.split(":")[0] for p in e.value.problems] == ["line 3", "line 4"]
    assert "nothing was added" in str(e.value)


def test_yaml_events_with_line_numbers(lib):
    good = ("events:\n  - date: 2026-12-01\n    regime: apr-2025-licensing\n    action: lifted\n"
            "    measure: m\n    source: s\n")
    (ev,) = rs.parse_events(good, kind="yaml", known=list(lib))
    assert ev.date == D("2026-12-01") and ev.action == "lifted"
    bad = good + "  - date: 2026-12-02\n    regime: apr-2025-licensing\n    action: lifted\n    measure: m\n"
    with pytest.raises(rs.EventsError) as e:
        rs.parse_events(bad, kind="yaml", known=list(lib), where="ev.yml")
    assert e.value.problems == ["line 7: source: required"]
    with pytest.raises(rs.EventsError, match="invalid YAML: line 2, column 1"):
        rs.parse_events("events: [", kind="yaml", where="ev.yml")
    with pytest.raises(rs.EventsError, match="is not UTF-8"):
        rs.load_events_bytes(b"date\xff", "ev.csv")


# ---------------------------------------------------------------------------- CLI
def test_cli_regimes_list_as_of(tmp_path):
    p = cli("regimes", "list", "--format", "json", "--as-of", "2025-12-01")
    assert p.returncode == 0, p.stderr
    doc = {r["id"]: r for r in json.loads(p.stdout)}
    assert doc[OCT]["status"] == "suspended" and doc[APR]["status"] == "in force"
    assert doc[OCT]["effective_from"] == "2025-11-08" and doc[OCT]["suspended_until"] == "2026-11-10"
    assert doc[APR]["effective_from"] == "2025-04-04" and doc[APR]["effective_to"] is None
    assert doc["escalation-ti-mg-lree"]["status"] == "scenario"
    assert doc["escalation-ti-mg-lree"]["name"].startswith("Scenario: ")
    assert doc[APR]["flags"] == ["default"] and doc[APR]["rules"]
    assert "last updated" in doc[APR]["timeline_note"] and doc[APR]["timeline_last_updated"]
    later = {r["id"]: r for r in json.loads(cli("regimes", "list", "--format", "json", "--as-of",
                                                "2026-12-01").stdout)}
    assert later[OCT]["status"] == "in force per schedule (unconfirmed)"
    ev = tmp_path / "ev.csv"
    ev.write_text("date,regime,action,measure,source,until\n"
                  "2026-11-09,oct-2025-expansion,suspended,Extension,Test,2027-11-10\n")
    ext = {r["id"]: r for r in json.loads(cli("regimes", "list", "--format", "json", "--as-of", "2026-12-01",
                                              "--events", str(ev)).stdout)}
    assert ext[OCT]["status"] == "suspended" and ext[OCT]["suspended_until"] == "2027-11-10"


def test_cli_bad_events_file_exit_2(tmp_path):
    ev = tmp_path / "bad.csv"
    ev.write_text("date,regime,action,measure,source\n2026-11-09,oct-2025-expansion,paused,m,s\n")
    p = cli("regimes", "list", "--events", str(ev))
    assert p.returncode == 2 and p.stdout == ""
    assert f"{ev}: events file problem: line 2: action: 'paused'" in p.stderr
    p = cli("regimes", "list", "--as-of", "1 Dec 2025")
    assert p.returncode == 2 and "--as-of must be a date YYYY-MM-DD" in p.stderr


def test_cli_cover_starts_at_the_regime(tmp_path):
    p = cli("cover", "--country", "JPN", "--material", "magnets", "--regime", OCT, "--as-of", "2025-12-01",
            "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["regime_status"]["status"] == "suspended" and d["simulation_start"] == "2026-11-10"
    assert d["regime_name"].startswith("Suspended: ")
    assert d["runout_date"] > d["simulation_start"]
    a = json.loads(cli("cover", "--country", "JPN", "--material", "magnets", "--regime", APR, "--as-of",
                       "2025-12-01", "--format", "json").stdout)
    assert a["simulation_start"] == "2025-12-01" and a["regime_status"]["status"] == "in force"


# ---------------------------------------------------------------------------- views: headline, starts
@pytest.fixture(scope="module")
def magnet_rows(lib):
    from chokepoint import scenarios
    from chokepoint.constants import CONTROLLER
    regs = [lib[APR], lib[OCT], lib["baseline"]]
    rows = scenarios.country_cover("permanent_magnets", regs, run=scenarios.default_runner())
    return rows[rows["holder"] != CONTROLLER]


def test_heatmap_headline_uses_in_force_regimes(lib, tl, magnet_rows):
    from chokepoint.views import cover as view_cover
    from chokepoint.views import regime_dates
    on = regime_dates.on(D("2025-12-01"), timeline=tl)
    rows = magnet_rows.assign(regime_name=magnet_rows["regime"].map(
        {r.id: r.name for r in on.labelled([lib[APR], lib[OCT], lib["baseline"]])}))
    spec = view_cover.heatmap(rows, material="magnets", material_id="permanent_magnets", every_importer=True,
                              in_force=on.in_force([lib[APR], lib[OCT], lib["baseline"]]), as_of=on.as_of)
    assert spec.title.startswith("Under April 2025 licensing (in force on 1 Dec 2025), ")
    k_apr = view_cover.runout_count(rows[rows["regime"] == APR])[1]
    assert f"{k_apr} of {rows['holder'].nunique()} importers" in spec.title
    assert "October" not in spec.title and "October" not in spec.headline[0].label
    # the same rows without statuses: the worst regime is the suspended one (what the page used to say)
    old = view_cover.heatmap(rows, material="magnets", material_id="permanent_magnets")
    assert "Suspended: October 2025 expansion" in old.title
    none = view_cover.heatmap(rows[rows["regime"] != APR], material="magnets", material_id="permanent_magnets",
                              in_force=[APR], as_of=on.as_of)
    assert none.title.startswith("No regime shown is in force on 1 Dec 2025. Under Suspended: October")


def test_runout_dates_start_at_each_regime(lib, tl, magnet_rows):
    from chokepoint import scenarios
    from chokepoint.views import regime_dates
    on = regime_dates.on(D("2025-12-01"), timeline=tl)
    starts = on.starts([lib[APR], lib[OCT]], scenarios.DEFAULT_START)
    jpn = magnet_rows[magnet_rows["holder"] == "JPN"]
    t = scenarios.runout_table(jpn, scenarios.DEFAULT_START, starts).set_index("regime")
    assert t.loc[APR, "start_date"] == D("2025-04-04") and t.loc[OCT, "start_date"] == D("2026-11-10")
    assert t.loc[OCT, "runout_date"] == scenarios.runout_date(D("2026-11-10"), t.loc[OCT, "months"])
    assert t.loc["baseline", "start_date"] == scenarios.DEFAULT_START
    h = scenarios.holder("JPN", "permanent_magnets", run=scenarios.default_runner())
    curves = scenarios.rundown(h, [lib[APR], lib[OCT]], start=scenarios.DEFAULT_START, starts=starts)
    first = curves[curves["month"] == 0].set_index("regime")["date"]
    assert first[APR] == D("2025-04-04") and first[OCT] == D("2026-11-10")


# ---------------------------------------------------------------------------- packs
def test_pack_defaults_to_in_force_and_labels_the_rest(lib, tl):
    from chokepoint import briefing
    from chokepoint.views import regime_dates
    dec25 = regime_dates.on(D("2025-12-01"), timeline=tl)
    assert [r.id for r in briefing.resolve_regimes(None, lib, dates=dec25)] == [APR]
    regs = briefing.resolve_regimes("apr-2025-licensing,oct-2025-expansion,escalation-ti-mg-lree", lib, dates=dec25)
    assert [r.name.split(":")[0] for r in regs[1:]] == ["Suspended", "Scenario"]
    pack = briefing.country_briefing("IND", regimes=regs, dates=dec25)
    scope = " ".join(pack.slides[0].lines)
    assert "Suspended: October 2025 expansion" in scope and "Scenario: Escalation" in scope
    assert "Control timeline last updated" in scope
    heat = next(s for s in pack.slides if s.chart is not None and s.chart.id.startswith("cover-heatmap"))
    assert "April 2025 licensing (in force on 1 Dec 2025)" in heat.title


def test_company_results_start_each_regime_from_its_date(lib, tl):
    from chokepoint import company
    from chokepoint.stockpile_csv import parse_stockpile_csv
    from chokepoint.views import regime_dates
    res = parse_stockpile_csv((ROOT / "tests" / "fixtures" / "company_stockpile_fixture.csv").read_bytes())
    on = regime_dates.on(D("2025-12-01"), timeline=tl)
    regs = on.labelled([lib[APR], lib[OCT]])
    starts = on.starts(regs, on.as_of)
    assert starts == {APR: D("2025-12-01"), OCT: D("2026-11-10")}
    out = company.results(res.lines, regs, start=on.as_of, starts=starts)
    ex = out[out["state"] == "exhausted"]
    for _, r in ex.iterrows():
        assert r["runout_date"] >= starts[r["regime"]]
    assert (ex["regime"] == OCT).any()
    assert set(out.loc[out["regime"] == OCT, "regime_name"]) == {"Suspended: " + lib[OCT].name}


def test_heatmap_shows_the_importers_that_take_98_percent_of_use(magnet_rows):
    """Every importer is in the full bilateral data, down to a few kilograms: by default the heatmap
    (and its headline) keeps the largest users that together take 98% of use, plus the selected one."""
    from chokepoint.views import cover as view_cover
    rows = magnet_rows[magnet_rows["regime"] == APR]
    use = rows.set_index("holder")["use_t_per_month"].fillna(0).sort_values(ascending=False)
    share = use.cumsum() / use.sum()
    expected = set(share.index[: int((share < 0.98).sum()) + 1])
    spec = view_cover.heatmap(rows, material="magnets", material_id="permanent_magnets", selected="TON")
    assert set(spec.data["holder"]) == expected | {"TON"}
    assert use[list(expected)].sum() / use.sum() >= 0.98 and len(expected) < len(use)
    assert f"largest of {len(use)} importers" in spec.subtitle
    k = view_cover.runout_count(spec.data)[1]
    assert f"{k} of {len(expected) + 1} importers" in spec.title
