"""UN Comtrade ingest: API- and bulk-style fixture CSVs, reconciliation, malformed inputs, atomic replace."""
from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from chokepoint import cli, db, ingest
from chokepoint.ingest import comtrade

FIX = Path(__file__).parent / "fixtures" / "comtrade"
API = FIX / "comtrade_api_2023_850511.csv"
BULK = FIX / "comtrade_bulk_2023_810411.csv"


def quiet(_msg: str) -> None:
    pass


def flows(folder: Path):
    return duckdb.sql(f"SELECT * FROM read_parquet('{folder}/trade_flows/**/*.parquet') "
                      "ORDER BY hs6, importer, exporter").df()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def test_api_and_bulk_files_are_reconciled(home):
    res = ingest.ingest_comtrade([API, BULK], data_dir=home, progress=quiet)
    assert res.name.startswith("comtrade-") and res.years == [2023]
    df = flows(res.path)
    got = {(r.exporter, r.importer, r.hs6): (r.value_usd, r.quantity_t, r.flow_basis) for r in df.itertuples()}
    nan = got[("TWN", "IND", "850511")][1]
    assert nan != nan  # no netWgt and no qty -> null quantity
    got[("TWN", "IND", "850511")] = (10_000, None, "importer report")
    assert got == {
        # India's own import report wins over China's export mirror (800,000)
        ("CHN", "IND", "850511"): (820_000, 41.0, "importer report"),
        ("JPN", "IND", "850511"): (150_000, 5.0, "importer report"),        # qty in kg -> t
        ("TWN", "IND", "850511"): (10_000, None, "importer report"),        # S19 Other Asia nes -> TWN
        ("CHN", "USA", "850511"): (1_200_000, 60.0, "exporter mirror"),     # no US report: mirror
        ("CHN", "DEU", "810411"): (30_000, 15.0, "importer report"),        # C00 total only
        ("CHN", "JPN", "810411"): (20_000, 10.0, "exporter mirror"),
    }
    meta = yaml.safe_load((res.path / "dataset.yml").read_text())
    assert meta["kind"] == "comtrade" and meta["flow_basis"] == {"exporter mirror": 2, "importer report": 4}
    assert meta["ignored_flow_codes"] == {"RM": 1, "RX": 1}
    assert meta["dropped"] == {"re-imports/re-exports and other flows (not M or X)": 2,
                               "partner World (W00)": 1,
                               "customs / transport / second-partner breakdown rows": 1}
    assert {f["name"]: f["rows"] for f in meta["files"]} == {API.name: 9, BULK.name: 4}
    assert meta["files"][0]["sha256"] == hashlib.sha256(API.read_bytes()).hexdigest()
    # the built-in queries run on it and do not need flow_basis
    shares = db.run_query("exposure_supplier_shares", data_dir=res.path, importer="IND",
                          hs6_list=["850511"], year=2023, basis="value").set_index("supplier")["share"]
    assert shares["CHN"] == pytest.approx(820 / 980)
    top = duckdb.sql(f"SELECT rank, country, value_usd, share FROM '{res.path}/top_traders.parquet' "
                     "WHERE hs6 = '810411' AND year = 2023 AND role = 'exporter' ORDER BY rank").df()
    assert top["country"].tolist() == ["CHN"] and top["value_usd"].tolist() == [50_000]


def test_same_files_give_the_same_dataset_and_replace_it(home):
    a = ingest.ingest_comtrade([API, BULK], data_dir=home, progress=quiet)
    b = ingest.ingest_comtrade([BULK, API], data_dir=home, progress=quiet)
    assert a.name == b.name and sorted(p.name for p in home.iterdir()) == [a.name]
    c = ingest.ingest_comtrade([API], data_dir=home, progress=quiet)
    assert c.name != a.name
    assert [d.kind for d in ingest.list_datasets(home)] == ["built-in", "comtrade", "comtrade"]


def test_legacy_tab_separated_gzipped_download(tmp_path, home):
    legacy = tmp_path / "legacy.tsv.gz"
    rows = ["Classification\tYear\tPeriod\tTrade Flow Code\tTrade Flow\tReporter Code\tReporter\tReporter ISO\t"
            "Partner Code\tPartner\tPartner ISO\tCommodity Code\tCommodity\tQty Unit\tQty\tNetweight (kg)\t"
            "Trade Value (US$)",
            "H5\t2019\t2019\t1\tImport\t842\tUSA\tUSA\t156\tChina\tCHN\t850511\tMagnets\tWeight in kilograms\t"
            "7000\t7000\t140000",
            "H5\t2019\t2019\t2\tExport\t392\tJapan\tJPN\t842\tUSA\tUSA\t850511\tMagnets\tWeight in kilograms\t"
            "\t\t50000",
            "H5\t2019\t2019\t3\tRe-Export\t392\tJapan\tJPN\t842\tUSA\tUSA\t850511\tMagnets\tWeight in kilograms\t"
            "1\t1\t10"]
    with gzip.open(legacy, "wt", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    res = ingest.ingest_comtrade([legacy], data_dir=home, progress=quiet)
    df = flows(res.path).set_index("exporter")
    assert df.loc["CHN", "value_usd"] == 140_000 and df.loc["CHN", "quantity_t"] == 7
    assert df.loc["JPN", "flow_basis"] == "exporter mirror"
    assert len(df) == 2


def _break(tmp_path, home, text: str, name="bad.csv"):
    ingest.ingest_comtrade([API], data_dir=home, progress=quiet)
    before = snapshot(home)
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ingest.IngestError) as exc:
        ingest.ingest_comtrade([API, bad], data_dir=home, progress=quiet)
    assert snapshot(home) == before
    assert not [p for p in home.iterdir() if p.name.startswith(".")]
    return exc.value


def test_missing_column_is_rejected(tmp_path, home):
    text = API.read_text().replace("primaryValue", "value", 1)
    e = _break(tmp_path, home, text)
    assert e.file.endswith("bad.csv") and e.line == 1 and "primaryValue" in e.reason


def test_text_in_value_is_rejected_with_its_line(tmp_path, home):
    lines = API.read_text().splitlines()
    lines[7] = lines[7].replace(",800000,800000,", ",800000,eight hundred,")  # line 8
    e = _break(tmp_path, home, "\n".join(lines) + "\n")
    assert e.line == 8 and "primaryValue = 'eight hundred' is not a number" in e.reason


def test_short_line_is_rejected_with_its_line(tmp_path, home):
    lines = API.read_text().splitlines()
    lines[1] = lines[1][:60]
    e = _break(tmp_path, home, "\n".join(lines) + "\n")
    assert e.line == 2 and ("Expected Number of Columns" in e.reason or "fields" in e.reason)


def test_monthly_data_is_rejected(tmp_path, home):
    text = API.read_text().replace("C,A,20230101,2023,52,2023,", "C,M,20230301,2023,3,202303,")
    e = _break(tmp_path, home, text)
    assert "monthly" in e.reason


def test_failure_mid_ingest_leaves_previous_data(home, monkeypatch):
    first = ingest.ingest_comtrade([API, BULK], data_dir=home, progress=quiet)
    before = snapshot(home)

    def boom(*a, **k):
        raise RuntimeError("injected")
    monkeypatch.setattr(comtrade, "derive_tables", boom)
    with pytest.raises(RuntimeError, match="injected"):
        ingest.ingest_comtrade([API, BULK], data_dir=home, progress=quiet)
    assert snapshot(home) == before and first.path.is_dir()


def test_cli(home, tmp_path, capsys):
    assert cli.main(["ingest", "comtrade", str(API), str(BULK), "--data-dir", str(home)]) == 0
    assert "6 flows" in capsys.readouterr().out
    assert cli.main(["ingest", "comtrade", str(tmp_path / "missing.csv"), "--data-dir", str(home)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing.csv" in err
    assert cli.main(["ingest", "comtrade", "--data-dir", str(home)]) == 2


def test_data_home_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CHOKEPOINT_DATA_HOME", str(tmp_path / "envhome"))
    res = ingest.ingest_comtrade([API], progress=quiet)
    assert res.path.parent == (tmp_path / "envhome").resolve()
    shutil.rmtree(res.path)
