"""Ingest of monthly customs files (HMRC OTS, Comex Stat, UN Comtrade monthly) into observed_monthly.

Fixtures: tests/fixtures/monthly/ — INVENTED numbers in the real public layouts (see its README).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from chokepoint import cli, ingest
from chokepoint.ingest import monthly

FIX = Path(__file__).parent / "fixtures" / "monthly"
HMRC = FIX / "hmrc_ots_202411_202505.csv"
HMRC_LOOKUP = FIX / "hmrc_country_lookup.csv"
IMP, EXP, PAIS = FIX / "IMP_2025.csv", FIX / "EXP_2025.csv", FIX / "PAIS.csv"
COMTRADE = FIX / "comtrade_monthly_ind_2025_850511.csv"
ALL = [HMRC, HMRC_LOOKUP, IMP, EXP, PAIS, COMTRADE]


def quiet(_msg: str) -> None:
    pass


def rows(folder: Path) -> dict[tuple, tuple]:
    df = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/observed_monthly.parquet')").df()
    return {(r.period, r.reporter, r.partner, r.flow, r.native_code):
            (r.quantity_t, None if r.value_usd != r.value_usd else r.value_usd, r.value_native, r.currency)
            for r in df.itertuples()}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def test_three_layouts_hand_checked(home):
    res = ingest.ingest_monthly(ALL, data_dir=home, progress=quiet)
    assert res.name.startswith("monthly-") and res.years == [2024, 2025]
    got = rows(res.path)
    # HMRC: two non-EU import lines (ports 1 and 2) of Nov 2024 summed: 20,000 + 5,000 kg, GBP 400,000 + 100,000;
    # pounds sterling kept as they are, no USD value
    assert got[("2024-11", "GBR", "CHN", "import", "85051110")] == (25.0, None, 500_000.0, "GBP")
    assert got[("2024-11", "GBR", "DEU", "import", "85051110")] == (2.0, None, 80_000.0, "GBP")   # EU import (1)
    assert got[("2024-11", "GBR", "USA", "export", "85051110")] == (1.0, None, 30_000.0, "GBP")   # non-EU export (4)
    # Comex Stat: two states' lines of Jan 2025 summed (20,000 + 10,000 kg, USD 600,000 + 300,000 FOB)
    assert got[("2025-01", "BRA", "CHN", "import", "85051100")] == (30.0, 900_000.0, 900_000.0, "USD")
    assert got[("2025-03", "BRA", "USA", "export", "81041100")] == (0.5, 2_500.0, 2_500.0, "USD")
    # Comtrade: the C00 total only (the C01 breakdown of Feb is dropped), netWgt kg -> t
    assert got[("2025-02", "IND", "CHN", "import", "850511")] == (30.0, 1_200_000.0, 1_200_000.0, "USD")
    assert len(got) == 23
    assert not any(k[2] in ("WLD", "W00") for k in got)          # partner World and non-countries dropped
    meta = yaml.safe_load((res.path / "dataset.yml").read_text())
    assert meta["kind"] == "monthly" and meta["periods"] == ["2024-11", "2025-05"]
    assert meta["dropped"] == {"re-imports, re-exports and other flows": 1, "partner World (Comtrade W00)": 1,
                               "Comtrade customs / transport / second-partner breakdown rows": 1,
                               "partner is no country (confidential, stores and provisions, unnamed areas)": 2}
    assert meta["partners_not_countries"] == {"hmrc 959": "", "comexstat 999": ""}
    files = {f["name"]: f for f in meta["files"]}
    assert files[HMRC.name]["sha256"] == hashlib.sha256(HMRC.read_bytes()).hexdigest()
    assert (files[HMRC.name]["rows"], files[HMRC.name]["rows_catalogue_hs"], files[HMRC.name]["rows_kept"]) == (14, 13, 12)
    assert files[PAIS.name]["layout"] == "comexstat-pais"
    assert "pounds sterling" in meta["value_basis"]["GBR"] and meta["value_basis"]["BRA"].startswith("USD FOB")
    table = yaml.safe_load((res.path / "datasets.yml").read_text())["tables"]["observed_monthly"]
    assert table["rows"] == 23 and {"value_native", "currency"} <= set(table["columns"])
    assert res.name in [d.name for d in ingest.list_datasets(home)]


def test_observed_and_backtest_read_the_ingested_months(home, capsys):
    res = ingest.ingest_monthly(ALL, data_dir=home, progress=quiet)
    assert cli.main(["observed", "--reporter", "GBR", "--partner", "CHN", "--format", "json",
                     "--data-dir", str(res.path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    # baseline Jun-Dec 2024 holds Nov (25 t) and Dec (15 t) of the file: 20 t; Apr 2025 is 5 t -> 0.25
    assert doc["baseline"]["mean_t"] == 20.0 and doc["baseline"]["mean_usd"] is None
    apr = next(r for r in doc["rows"] if r["period"] == "2025-04")
    assert apr == {"period": "2025-04", "quantity_t": 5.0, "value_usd": None, "baseline_t": 20.0,
                   "ratio_to_baseline": 0.25, "confidential": False}
    assert "pounds sterling" in doc["value_basis"] and "hmrc_ots_202411_202505.csv" in doc["source"]
    assert cli.main(["observed", "--reporter", "BRA", "--partner", "CHN", "--data-dir", str(res.path)]) == 0
    out = capsys.readouterr().out
    assert "Jan–Mar 2025 mean = 20.0 t/month" in out and "USD FOB" in out
    assert cli.main(["backtest", "--regime", "apr-2025-licensing", "--reporter", "IND", "--format", "json",
                     "--data-dir", str(res.path)]) == 0
    ind = json.loads(capsys.readouterr().out)["reporters"][0]
    # IND baseline = its last months before April 2025: (50 + 30 + 40) / 3 = 40 t; April 10 t -> 0.25
    assert ind["baseline"]["mean_t"] == 40.0
    assert [m["observed_ratio"] for m in ind["months"]] == [0.25, 0.5]


@pytest.mark.parametrize("files, reporters", [([HMRC, HMRC_LOOKUP], {"GBR"}), ([IMP, EXP, PAIS], {"BRA"}),
                                              ([COMTRADE], {"IND"})])
def test_each_layout_alone(home, files, reporters):
    res = ingest.ingest_monthly(files, data_dir=home, progress=quiet)
    assert {k[1] for k in rows(res.path)} == reporters


def test_gzipped_comtrade_download(home, tmp_path):
    gz = tmp_path / (COMTRADE.name + ".gz")
    gz.write_bytes(gzip.compress(COMTRADE.read_bytes()))
    res = ingest.ingest_monthly([gz], data_dir=home, progress=quiet)
    assert rows(res.path)[("2025-04", "IND", "CHN", "import", "850511")] == (10.0, 450_000.0, 450_000.0, "USD")
    meta = yaml.safe_load((res.path / "dataset.yml").read_text())
    assert meta["files"][0]["rows"] == 9 and meta["files"][0]["sha256"] == hashlib.sha256(gz.read_bytes()).hexdigest()


def test_page_view_says_a_sterling_series_has_no_dollars(home):
    from chokepoint import db, observed
    from chokepoint.views import observed as view
    res = ingest.ingest_monthly([HMRC, HMRC_LOOKUP], data_dir=home, progress=quiet)

    def run(name, **params):
        return db.run_query(name, data_dir=res.path, **params)
    frame = observed.flows("GBR", "permanent_magnets", run=run)
    assert frame["value_usd"].isna().all() and frame["quantity_t"].notna().all()
    spec = view.flows(frame, pd.DataFrame(columns=["date", "materials", "measure"]), reporter="GBR", material="permanent_magnets")
    assert any("not in US dollars" in n for n in spec.notes)
    assert not any("converted from GBP" in n for n in spec.notes)
    # the chart credits the ingested file, not the built-in extract, and has no empty USD panel
    assert HMRC.name in spec.source and "HM Revenue" in spec.source and "critical-materials-atlas" not in spec.source
    fig = spec.figure()
    assert "yaxis2" not in fig.to_dict()["layout"] and "no US dollar values" in spec.subtitle


def test_built_in_series_keep_their_producers_in_the_source_line():
    from chokepoint import db, observed
    from chokepoint.views import observed as view

    def run(name, **params):
        return db.run_query(name, **params)
    frame = observed.flows("GBR", "permanent_magnets", run=run)
    spec = view.flows(frame, pd.DataFrame(columns=["date", "materials", "measure"]), reporter="GBR",
                      material="permanent_magnets")
    assert spec.source.startswith("HM Revenue & Customs, UK overseas trade statistics")
    assert "Open Government Licence v3.0" in spec.source
    assert "yaxis2" in spec.figure().to_dict()["layout"]        # tonnes and USD


def _break(tmp_path, home, name: str, text: str | bytes, others: list[Path]) -> ingest.IngestError:
    """A good ingest first; then the broken file must be refused and leave the data home unchanged."""
    ingest.ingest_monthly(ALL, data_dir=home, progress=quiet)
    before = snapshot(home)
    bad = tmp_path / "in" / name
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ingest.IngestError) as exc:
        ingest.ingest_monthly([bad, *others], data_dir=home, progress=quiet)
    assert snapshot(home) == before
    assert not [p for p in home.iterdir() if p.name.startswith(".")]
    assert exc.value.file.endswith(name)
    return exc.value


def _edit(path: Path, line: int, old: str, new: str) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "\n".join(lines) + "\n"


def test_missing_column_is_rejected(tmp_path, home):
    e = _break(tmp_path, home, HMRC.name, HMRC.read_text().replace("NetMass", "Mass", 1), [HMRC_LOOKUP])
    assert e.line == 1 and "missing column(s) NetMass" in e.reason


def test_bad_number_is_rejected_with_its_line(tmp_path, home):
    e = _break(tmp_path, home, IMP.name, _edit(IMP, 4, '"610000"', '"61O000"'), [PAIS])
    assert e.line == 4 and "VL_FOB" in e.reason and "61O000" in e.reason
    e = _break(tmp_path, home, HMRC.name, _edit(HMRC, 3, ",100000,5000,", ",100000,5 t,"), [HMRC_LOOKUP])
    assert e.line == 3 and "NetMass" in e.reason
    e = _break(tmp_path, home, COMTRADE.name, _edit(COMTRADE, 6, ",1600000,0,", ",1.6m,0,"), [])
    assert e.line == 6 and "primaryValue" in e.reason


def test_unknown_country_code_is_rejected_with_its_line(tmp_path, home):
    e = _break(tmp_path, home, HMRC.name, _edit(HMRC, 12, ",720,", ",7200,"), [HMRC_LOOKUP])
    assert e.line == 12 and e.reason == "CountryId 7200 is not in HMRC's country lookup"
    e = _break(tmp_path, home, IMP.name, _edit(IMP, 7, '"399"', '"777"'), [PAIS])
    assert e.line == 7 and e.reason == "CO_PAIS 777 is not in Comex Stat's PAIS.csv"
    e = _break(tmp_path, home, COMTRADE.name, _edit(COMTRADE, 3, ",IND,India,", ",INX,Indiaa,"), [])
    assert e.line == 3 and "reporter 'INX'" in e.reason


def test_code_table_is_required(tmp_path, home):
    e = _break(tmp_path, home, IMP.name, IMP.read_bytes(), [])
    assert e.line == 1 and "PAIS.csv" in e.reason
    e = _break(tmp_path, home, HMRC.name, HMRC.read_bytes(), [])
    assert e.line == 1 and "country lookup" in e.reason


def test_bad_month_flow_and_layout_are_rejected(tmp_path, home):
    e = _break(tmp_path, home, HMRC.name, _edit(HMRC, 9, "202501,", "202513,"), [HMRC_LOOKUP])
    assert e.line == 9 and "MonthId 202513 is not a month" in e.reason
    e = _break(tmp_path, home, HMRC.name, _edit(HMRC, 10, "202502,3,", "202502,7,"), [HMRC_LOOKUP])
    assert e.line == 10 and e.reason.startswith("FlowTypeId 7 is not 1-4")
    e = _break(tmp_path, home, "magnets_2025.csv", IMP.read_bytes(), [PAIS])
    assert "IMP_YYYY.csv" in e.reason
    annual = _edit(COMTRADE, 2, "C,M,20250101,2025,1,202501,", "C,A,20250101,2025,52,2025,")
    e = _break(tmp_path, home, COMTRADE.name, annual, [])
    assert e.line == 2 and "ingest comtrade" in e.reason
    e = _break(tmp_path, home, "other.csv", "a,b,c\n1,2,3\n", [])
    assert e.line == 1 and "not a known monthly layout" in e.reason


def test_the_same_month_twice_is_rejected(tmp_path, home):
    copy = tmp_path / "hmrc_copy.csv"
    copy.write_bytes(HMRC.read_bytes())
    with pytest.raises(ingest.IngestError) as exc:
        ingest.ingest_monthly([HMRC, HMRC_LOOKUP, copy], data_dir=home, progress=quiet)
    e = exc.value
    assert e.file == str(copy) and e.reason.startswith("GBR exports of 2024-11 are also in hmrc_ots_202411_202505.csv")
    assert not home.exists() or not any(home.iterdir())


def test_failure_mid_ingest_leaves_previous_data(home, monkeypatch):
    first = ingest.ingest_monthly(ALL, data_dir=home, progress=quiet)
    before = snapshot(home)

    def boom(*a, **k):
        raise RuntimeError("injected")
    monkeypatch.setattr(monthly, "write_provenance", boom)
    with pytest.raises(RuntimeError, match="injected"):
        ingest.ingest_monthly(ALL, data_dir=home, progress=quiet)
    assert snapshot(home) == before and first.path.is_dir()


def test_cli(home, tmp_path, capsys):
    assert cli.main(["ingest", "monthly", *map(str, ALL), "--data-dir", str(home)]) == 0
    out = capsys.readouterr().out
    assert "23 monthly rows" in out and "--data-dir" in out
    assert cli.main(["ingest", "list", "--data-dir", str(home)]) == 0
    assert "monthly" in capsys.readouterr().out
    bad = tmp_path / "IMP_2024.csv"
    bad.write_text(IMP.read_text().replace('"160"', '"16 0"', 1).replace('"CO_ANO"', '"CO_ANO"'))
    assert cli.main(["ingest", "monthly", str(bad), str(PAIS), "--data-dir", str(home)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "IMP_2024.csv, line 2" in err


def test_sync_copies_a_monthly_dataset(home, tmp_path):
    from chokepoint.ingest.sync import sync_dataset
    res = ingest.ingest_monthly([COMTRADE], data_dir=home, progress=quiet)
    copy = sync_dataset(res.path, tmp_path / "other")
    assert rows(copy) == rows(res.path)
    shutil.rmtree(copy)
