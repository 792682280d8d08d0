"""Observed monthly flows after the controls and the backtest of every regime: baselines and backtest
months hand-worked from the source CSV rows, the CLI contract, unknown names, the calibrated regime
in the cover engine, the Control regimes section and the country pack."""
import csv
import hashlib
import json
from pathlib import Path

import pytest

from chokepoint import catalog, cli, observed, regimes, scenarios, tables
from chokepoint.views import observed as view_observed

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"
UK_CSV = SOURCES / "uk_hmrc_monthly_202406_202606.csv"
BR_CSV = SOURCES / "br_comexstat_monthly_202501_202607.csv"
SHARED = ROOT.parent.parent / "shared" / "data" / "observed"


@pytest.fixture(scope="module")
def run():
    return scenarios.default_runner()


@pytest.fixture(scope="module")
def library():
    return regimes.load_library()


def _tonnes(path: Path, partner: str, hs6: str = "850511") -> dict[str, float]:
    """Imports from ``partner`` per month (YYYY-MM), tonnes, summed from the source CSV's rows."""
    out: dict[str, float] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["flow"] == "import" and r["partner"] == partner and r["hs6"] == hs6:
                p = f"{r['period'][:4]}-{r['period'][4:]}"
                out[p] = out.get(p, 0.0) + float(r["qty_kg"]) / 1000
    return out


def _cli_json(capsys, *argv) -> dict:
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------------- data and provenance
def test_source_files_match_the_checksums_the_table_declares():
    caveats = " ".join(tables.table("observed_monthly").caveats)
    for path in (UK_CSV, BR_CSV):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in caveats, f"{path.name}: sha256 {digest} is not the one stated in tables.yml"
    if (SHARED / "SHA256SUMS").is_file():
        sums = dict(line.split()[::-1] for line in (SHARED / "SHA256SUMS").read_text().splitlines() if line.strip())
        for path in (UK_CSV, BR_CSV):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sums[path.name]


def test_licences_are_stated():
    t = tables.table("observed_monthly")
    assert "Open Government Licence v3.0" in t.licence
    assert "Contains public sector information licensed under the Open Government Licence v3.0" in t.licence
    assert "MDIC/SECEX" in t.producer and "Comex Stat" in t.producer
    assert any("converted from pounds sterling" in c for c in t.caveats)


def test_national_codes_map_to_hs6_and_materials(run):
    cov = observed.coverage(run)
    assert set(cov["reporter"]) == {"GBR", "BRA"}
    assert set(cov["material_id"]) == {"permanent_magnets", "magnesium_metal", "titanium_unwrought"}
    rows = run("observed_monthly_series", reporter="BRA", material="permanent_magnets")
    assert set(rows["partner"]) >= {"CHN", "DEU", "JPN"}


# --------------------------------------------------------------------------- hand-worked numbers
def test_uk_baseline_is_the_jun_dec_2024_mean_of_the_source_rows(run):
    t = _tonnes(UK_CSV, "CHN")
    window = [f"2024-{m:02d}" for m in range(6, 13)]
    want = sum(t[p] for p in window) / len(window)
    s, base = observed.series("GBR", "permanent_magnets", "CHN", run=run)
    assert (base.first, base.last, base.months) == ("2024-06", "2024-12", 7)
    assert base.mean_t == pytest.approx(want, rel=1e-12)
    assert base.label == "Jun–Dec 2024 mean"
    may = s.set_index("period").loc["2025-05"]
    assert may["ratio_to_baseline"] == pytest.approx(t["2025-05"] / want)


def test_brazil_baseline_is_jan_mar_2025(run):
    t = _tonnes(BR_CSV, "CHN")
    _, base = observed.series("BRA", "permanent_magnets", "CHN", run=run)
    assert base.mean_t == pytest.approx((t["2025-01"] + t["2025-02"] + t["2025-03"]) / 3)


def test_one_backtest_month_by_hand(run, library):
    """June 2025 is month 3 of the April 2025 licensing regime: two months of licence delay (0), then
    the approval rate 0.26. Brazil received 40.052 t against a Jan-Mar 2025 mean of 85.8 t."""
    t = _tonnes(BR_CSV, "CHN")
    base = (t["2025-01"] + t["2025-02"] + t["2025-03"]) / 3
    reg = library["apr-2025-licensing"]
    rule = reg.rules[0]
    assert (rule.delay_months, rule.approval_rate) == (2, 0.26)
    rows, summary = observed.backtest(reg, "BRA", "permanent_magnets", run=run)
    jun = rows.set_index("period").loc["2025-06"]
    assert jun["month"] == 3
    assert jun["modelled_ratio"] == pytest.approx(0.26)
    assert jun["observed_ratio"] == pytest.approx(t["2025-06"] / base)
    assert jun["abs_error"] == pytest.approx(abs(0.26 - t["2025-06"] / base))
    assert jun["implied_approval_rate"] == pytest.approx(min(1.0, t["2025-06"] / base))
    # the error: mean |modelled - observed| over April..September 2025 (months 1..6)
    months = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    modelled = [0.0, 0.0, 0.26, 0.26, 0.26, 0.26]
    want = sum(abs(m - t[p] / base) for p, m in zip(months, modelled)) / 6
    assert summary["error"] == pytest.approx(want)
    assert summary["error_months"] == 6


def test_months_without_imports_count_as_zero_not_missing(run):
    d = observed.by_partner("GBR", "permanent_magnets", run)
    n_months = d["period"].nunique()
    assert (d.groupby("partner")["period"].count() == n_months).all()


# -------------------------------------------------------------------------------------------- CLI
def test_cli_observed_gbr_may_2025(capsys):
    d = _cli_json(capsys, "observed", "--reporter", "GBR", "--material", "permanent_magnets", "--partner", "CHN",
                  "--format", "json")
    row = next(r for r in d["rows"] if r["period"] == "2025-05")
    assert round(row["quantity_t"], 1) == 63.6
    assert set(row) >= {"period", "quantity_t", "value_usd", "baseline_t", "ratio_to_baseline"}
    assert d["baseline"]["label"] == "Jun–Dec 2024 mean"
    assert "converted from GBP" in d["value_basis"]


def test_cli_observed_bra_june_2025(capsys):
    d = _cli_json(capsys, "observed", "--reporter", "BRA", "--material", "permanent_magnets", "--partner", "CHN",
                  "--format", "json")
    row = next(r for r in d["rows"] if r["period"] == "2025-06")
    assert round(row["quantity_t"], 1) == 40.1
    assert row["confidential"] is None    # Comex Stat has no confidentiality flag


def test_cli_observed_csv_and_table(capsys):
    assert cli.main(["observed", "--reporter", "United Kingdom", "--partner", "CHN", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("period,quantity_t,value_usd,baseline_t,ratio_to_baseline")
    assert any(line.startswith("2025-05,63.569") for line in lines)
    assert cli.main(["observed", "--reporter", "BRA"]) == 0
    assert "Jan–Mar 2025 mean" in capsys.readouterr().out


def test_cli_backtest_covers_gbr_and_bra_with_the_error(capsys):
    d = _cli_json(capsys, "backtest", "--regime", "apr-2025-licensing", "--format", "json")
    by = {r["reporter"]: r for r in d["reporters"]}
    assert set(by) == {"GBR", "BRA"}
    for r in by.values():
        assert 0 <= r["error"] <= 2 and r["error_months"] == 6
        m = r["months"][0]
        assert set(m) >= {"period", "modelled_ratio", "observed_ratio", "implied_approval_rate"}
        assert m["period"] == "2025-04" and m["modelled_ratio"] == 0.0
    assert "mean absolute error" in d["error_measure"]


@pytest.mark.parametrize("argv, needle", [
    (["observed", "--reporter", "GRB"], "did you mean GBR"),
    (["observed", "--reporter", "FRA"], "reporters with monthly data: BRA, GBR"),
    (["observed", "--reporter", "GBR", "--material", "permanant_magnets"], "did you mean permanent_magnets"),
    (["observed", "--reporter", "GBR", "--partner", "ZZZZ"], "country"),
    (["backtest", "--regime", "apr-2025-licencing"], "did you mean apr-2025-licensing"),
    (["backtest", "--regime", "apr-2025-licensing", "--material", "dysprosium"], "no monthly data"),
])
def test_unknown_names_exit_2_with_the_closest(capsys, argv, needle):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and "Traceback" not in err


# ----------------------------------------------------------------------------- calibrated regime
def test_calibrated_regime_runs_in_cover(run, library, tmp_path, capsys):
    reg = observed.calibrated_regime("GBR", "permanent_magnets", run=run, taken=list(library))
    rows, _ = observed.backtest(reg, "GBR", "permanent_magnets", run=run)
    # the calibrated regime reproduces the UK's capped ratios: its error against the UK is ~0 where
    # the UK's ratio is <= 1 (rates are rounded to 4 decimals)
    capped = rows[rows["observed_ratio"] <= 1]
    assert (capped["abs_error"] < 1e-4).all()
    assert regimes.load_regime(regimes.regime_to_yaml(reg)) == reg
    doc = scenarios.cover_json("DEU", "permanent_magnets", reg, run=run)
    apr = scenarios.cover_json("DEU", "permanent_magnets", library["apr-2025-licensing"], run=run)
    assert doc["regime"] == reg.id and doc["state"] in ("exhausted", "not exhausted within horizon")
    # the UK lost at most a fifth of its flow: Germany's stock lasts longer than under the April regime
    assert (doc["months_of_cover"] or 1e9) > apr["months_of_cover"]
    out = tmp_path / "gbr.yml"
    assert cli.main(["observed", "--reporter", "GBR", "--save-regime", str(out), "--format", "json"]) == 0
    capsys.readouterr()
    assert cli.main(["cover", "--country", "DEU", "--material", "permanent_magnets", "--regime-file", str(out),
                     "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["regime"] == reg.id


# ------------------------------------------------------------------------------------ views, packs
def test_views_state_the_baseline_and_the_best_regime(run, library):
    specs = view_observed.country_part("GBR", list(library.values()), run=run,
                                       reference_ids=regimes.flagged(library, "reference"))
    flows, bt = specs
    assert "Jun–Dec 2024 mean" in flows.title and "78%" in flows.title
    assert {e["date"] for e in flows.options["events"]} >= {"2025-04-04"}
    assert "the no-controls baseline fits best" in bt.title and "April 2025 licensing is off by 0.73" in bt.title
    assert view_observed.country_part("DEU", list(library.values()), run=run) == []
    dest = view_observed.destinations(run)
    assert dest is not None and set(dest.data["to_country"]) >= {"USA", "DEU", "KOR", "VNM", "JPN"}
    assert dest.data["source"].str.len().gt(0).all()


def test_country_pack_for_gbr_has_the_observed_chart(run):
    from chokepoint import briefing
    regs = briefing.resolve_regimes(None)
    pack = briefing.country_briefing("GBR", None, regs, run=run)
    ids = [s.id for s in pack_specs(pack)]
    assert "observed-backtest-gbr-permanent_magnets" in ids
    pack = briefing.country_briefing("DEU", None, regs, run=run)
    assert not any(i.startswith("observed-") for i in (s.id for s in pack_specs(pack)))


def pack_specs(pack):
    return [s.chart for s in pack.slides if s.chart is not None]


def test_control_regimes_page_has_the_observed_section():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/regimes.py").run()
    assert not at.exception, at.exception
    titles = [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]
    assert any("imports from China fell at most to" in t for t in titles)
    assert any("fits best" in t for t in titles)
    text = " ".join(m.value for m in at.markdown)
    assert "Jun–Dec 2024" in text and "Jan–Mar 2025" in text
    btn = next(b for b in at.button if b.key == "obs_calibrate_BRA")
    btn.click().run()
    assert "observed-bra-permanent-magnets" in at.session_state["custom_regimes"]
    assert catalog.country_name("BRA") in " ".join(s.value for s in at.success)
    # ... and runs on Months of cover, picked like any custom regime
    at.switch_page("pages/cover.py").run()
    assert not at.exception, at.exception
    ms = at.pills(key="cov_regimes")
    assert any("What Brazil actually saw" in o and "(custom)" in o for o in ms.options)
    ms.set_value(["apr-2025-licensing", "observed-bra-permanent-magnets"]).run()
    assert not at.exception, at.exception
    heat = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    heat = [f for f in heat if f["data"][0]["type"] == "heatmap"][0]
    assert len(heat["data"][0]["x"]) == 2 and any("Brazil" in str(x) for x in heat["data"][0]["x"]), heat["data"][0]["x"]
