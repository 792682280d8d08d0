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
    ("rare_earth_concentrate", "mine", 0.69), ("magnesium_metal", "metal", 0.95),
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
