"""Contracts on data/: provenance, checksums, keys, units; `data check` fails loudly on a bad copy."""
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chokepoint import dataset, db

ROOT = dataset.catalog.ROOT


def test_data_check_passes_on_the_built_in_dataset():
    assert dataset.check() == []


def test_every_parquet_has_provenance_with_matching_sha256():
    prov = dataset.load_provenance()
    files = sorted(p.stem for p in (ROOT / "data").glob("*.parquet"))
    assert files == sorted(prov)
    for table, p in prov.items():
        assert dataset.sha256(ROOT / "data" / p["file"]) == p["sha256"], table
        for field in ("title", "producer", "url", "accessed", "licence"):
            assert p[field], (table, field)
        for col, spec in p["columns"].items():
            assert spec["description"] and spec["unit"], (table, col)


def test_committed_parquet_is_what_the_sources_build(tmp_path):
    """A rebuild from data/sources gives byte-identical tables: nothing was edited by hand."""
    shutil.copytree(ROOT / "data" / "sources", tmp_path / "sources")
    dataset.build(tmp_path)
    built = dataset.load_provenance(tmp_path)
    committed = dataset.load_provenance()
    assert {t: p["sha256"] for t, p in built.items()} == {t: p["sha256"] for t, p in committed.items()}


def _corrupt(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    t = pq.read_table(data / "trade_flows.parquet").to_pandas()
    t.loc[0, "quantity_t"] = -5.0                 # negative quantity
    t.loc[1, "importer"] = "XXZ"                   # unknown ISO3
    t.loc[2, "material_id"] = "unobtainium"        # not in the catalogue
    t = __import__("pandas").concat([t, t.iloc[[3]]])  # duplicate key
    pq.write_table(pa.Table.from_pandas(t, preserve_index=False), data / "trade_flows.parquet")
    s = pq.read_table(data / "trade_series.parquet").to_pandas()
    s.loc[0, "china_export_share"] = 1.7          # share outside [0, 1]
    pq.write_table(pa.Table.from_pandas(s, preserve_index=False), data / "trade_series.parquet")
    (data / "orphan.parquet").write_bytes((data / "hs_codes.parquet").read_bytes())  # no provenance
    return data


def test_data_check_names_every_violation_in_a_corrupted_copy(tmp_path):
    data = _corrupt(tmp_path)
    r = subprocess.run([sys.executable, "-m", "chokepoint", "data", "check", "--data-dir", str(data)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1
    err = r.stderr
    for needle in ["trade_flows: sha256", "quantity_t = -5.0 is negative", "'XXZ' is not a known ISO3",
                   "'unobtainium' is not in the materials catalogue", "trade_flows: key",
                   "china_export_share = 1.7 outside [0, 1]", "orphan.parquet has no provenance"]:
        assert needle in err, (needle, err)
    assert "Traceback" not in err


def test_data_check_passes_and_exits_zero_via_cli():
    r = subprocess.run([sys.executable, "-m", "chokepoint", "data", "check"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "all contracts hold" in r.stdout


@pytest.mark.parametrize("material,stage,share", [
    # magnesium: USGS MCS 2026, China 953 of 1,080 kt (was the MCS 2025 0.95 mixed with MCS 2026 countries)
    ("rare_earth_concentrate", "mine", 0.69), ("magnesium_metal", "metal", 0.88),
    ("titanium_sponge", "metal", 0.69), ("ndfeb_magnet", "magnet", 0.94),
])
def test_published_concentration_figures(material, stage, share):
    df = db.run_query("production_concentration")
    row = df[(df.material_id == material) & (df.stage == stage)].iloc[0]
    assert row.china_share == pytest.approx(share)
    assert row.source


def test_trade_flows_match_the_cited_extract():
    tf = db.run_query("china_export_share_series", hs6_list=["850511"])
    assert tf[tf.year == 2024].china_export_share.iloc[0] == pytest.approx(0.6266)
    flows = db.preview("trade_flows", 10_000)
    assert set(flows.hs6) == {"850511", "810411", "810820"}
    assert "TWN" in set(flows.exporter) and "S19" not in set(flows.exporter)
    assert flows.source.str.contains("CEPII BACI").all()


def test_derived_consumption_is_labelled_as_an_estimate():
    c = db.preview("consumption", 10_000)
    derived = c[c.basis == "derived"]
    assert len(derived) and derived.method.str.startswith("ESTIMATE").all()
    pub = c[(c.country == "USA") & (c.material_id == "titanium_sponge")].iloc[0]
    assert pub.basis == "published" and pub.apparent_consumption_t == 40000


def test_committed_datasets_yml_is_what_the_build_writes(tmp_path):
    """datasets.yml is derived from tables.yml: a rebuild writes it byte for byte."""
    shutil.copytree(ROOT / "data" / "sources", tmp_path / "sources")
    dataset.build(tmp_path)
    assert (tmp_path / "datasets.yml").read_text(encoding="utf-8") == \
        (ROOT / "data" / "datasets.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("bad, needle", [
    # an unquoted description holding ", " is read by YAML as extra keys of the column mapping
    ('unit_note: {type: VARCHAR, unit: "text", description: "Basis of the quantity (REO, TiO2 content, ...)"}',
     "unit_note: {type: VARCHAR, unit: text, description: Basis of the quantity (REO, TiO2 content, ...)}"),
    # a description that is not a mapping at all
    ('unit_note: {type: VARCHAR, unit: "text", description: "Basis of the quantity (REO, TiO2 content, ...)"}',
     'unit_note: "Basis of the quantity"'),
    # an unknown check and an unknown type
    ('unit_note: {type: VARCHAR, unit: "text", description: "Basis of the quantity (REO, TiO2 content, ...)"}',
     'unit_note: {type: TEXT, unit: "text", description: "Basis", checks: [positive]}'),
])
def test_data_check_catches_a_malformed_column_doc(tmp_path, bad, needle):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    yml = data / "sources" / "tables.yml"
    text = yml.read_text(encoding="utf-8")
    assert bad in text
    yml.write_text(text.replace(bad, needle), encoding="utf-8")
    problems = dataset.check(data)
    assert problems and all(p.startswith("tables.yml: tables.production.columns.unit_note") for p in problems), problems
    r = subprocess.run([sys.executable, "-m", "chokepoint", "data", "check", "--data-dir", str(data)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1 and "unit_note" in r.stderr and "Traceback" not in r.stderr


def test_data_check_catches_datasets_yml_out_of_step_with_tables_yml(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    yml = data / "sources" / "tables.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace('"Display name"', '"Name shown to users"'),
                   encoding="utf-8")
    assert dataset.check(data) == [
        "materials: columns in datasets.yml differ from tables.yml (run `python -m chokepoint data build`)"]


def _production_copy(tmp_path, change):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    t = pq.read_table(data / "production.parquet").to_pandas()
    t = change(t)
    pq.write_table(pa.Table.from_pandas(t, preserve_index=False), data / "production.parquet")
    return data


def test_data_check_catches_countries_above_the_world_total(tmp_path):
    """E1's kind: a world total of one edition with country rows that sum above it."""
    def change(t):
        mg = (t.material_id == "magnesium_metal") & (t.year == 2024)
        t.loc[mg & (t.country == "WLD"), "quantity_t"] = 1_000_000.0   # the MCS 2025 world total
        return t
    problems = dataset.check(_production_copy(tmp_path, change))
    assert "production: magnesium_metal metal 2024: the countries sum to 1,084,000 t, above the world total " \
           "1,000,000 t" in problems, problems

    def one_country(t):
        ti = (t.material_id == "titanium_sponge") & (t.country == "JPN")
        t.loc[ti, "quantity_t"] = 400_000.0
        return t
    r = subprocess.run([sys.executable, "-m", "chokepoint", "data", "check", "--data-dir",
                        str(_production_copy(tmp_path / "b", one_country))], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1 and "titanium_sponge metal 2024: JPN 400,000 t is above the world total 320,000 t" \
        in r.stderr, r.stderr


def test_data_check_catches_editions_mixed_under_one_world_total(tmp_path):
    def change(t):
        w = (t.material_id == "magnesium_metal") & (t.year == 2024) & (t.country == "WLD")
        t.loc[w, "source"] = "USGS Mineral Commodity Summaries 2025, Magnesium"
        return t
    problems = dataset.check(_production_copy(tmp_path, change))
    assert any("magnesium_metal metal 2024 mixes editions (USGS MCS 2025; USGS MCS 2026)" in p for p in problems), problems


def test_magnesium_2024_is_one_usgs_edition_with_its_flags():
    """E1 fixed from USGS MCS 2026 (the reference transcription in ../shared/data/real when present)."""
    p = db.preview("production", 10_000)
    mg = p[(p.material_id == "magnesium_metal") & (p.year == 2024)].set_index("country")
    assert set(mg.source) == {"USGS Mineral Commodity Summaries 2026, Magnesium Metal"}
    assert mg.loc["WLD", "quantity_t"] == 1_080_000 and mg.loc["CHN", "quantity_t"] == 953_000
    assert mg.drop(index="WLD").quantity_t.sum() <= 1_080_000 * (1 + dataset.WORLD_ROUNDING)
    assert mg.loc[["RUS", "BRA", "KAZ", "TUR", "IRN"], "estimate"].all()      # "e" in MCS 2026
    assert not mg.loc[["CHN", "ISR"], "estimate"].any()
    real = ROOT.parent / "shared" / "data" / "real" / "usgs_mcs_country_2026.csv"
    if real.is_file():
        import pandas as pd
        ref = pd.read_csv(real)
        ref = ref[(ref.commodity == "magnesium") & (ref.table == "metal")].set_index("country")
        assert ref.loc["World total (rounded)", "prod_year1"] == "1,080"
        assert ref.loc["Russia", "prod_year1"] == "e59" and ref.loc["China", "prod_year1"] == "953"


def test_control_timeline_cites_the_october_2025_announcements():
    """E2: the five October elements are in No. 57; No. 61 is the 0.1% rule; No. 70 the suspension."""
    ev = db.preview("control_events", 100)
    octo = ev[ev.date.astype(str) == "2025-10-09"].iloc[0]
    assert "No. 57" in octo.source and "No. 57" in octo.note and "No. 61" in octo.note
    assert "No. 70" in ev[ev.date.astype(str) == "2025-11-07"].iloc[0].source
    tech = ev[ev.date.astype(str) == "2023-12-21"].iloc[0]
    assert "magnet" in tech["items"] and "metal and alloy" in tech["items"]   # E6
