"""`python -m chokepoint exposure`: the JSON contract, table and CSV formats, and exit 2 on bad input."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "chokepoint", "exposure", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_json_contract():
    r = run("--importer", "IND", "--material", "permanent_magnets", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    for k in ("importer", "material", "year", "basis", "china_share_direct", "china_share_indirect", "hhi",
              "top_supplier", "suppliers"):
        assert k in doc, k
    assert doc["importer"] == "IND" and doc["year"] == 2024 and doc["basis"] == "value"
    assert doc["china_share_direct"] == pytest.approx(0.842, abs=0.0005)
    assert 0 < doc["china_share_indirect"] <= 1 - doc["china_share_direct"]
    assert doc["top_supplier"] == "CHN"
    sup = doc["suppliers"]
    assert {"supplier", "share", "value_usd", "quantity_t"} <= set(sup[0])
    assert sum(s["share"] for s in sup) == pytest.approx(1.0)
    # every supplier of the source file, no rest-of-world bucket: India's HS 850511 rows of 2024 in
    # data/sources/baci2024_bilateral_850511_810411_810820.csv name 52 exporters
    assert all(len(s["supplier"]) == 3 for s in sup) and "ROW" not in {s["supplier"] for s in sup}
    assert len(sup) == len(india_2024_magnet_rows()) == 52
    assert "hhi_min" not in doc  # exact HHI, no bound


def india_2024_magnet_rows():
    with open(ROOT / "data" / "sources" / "baci2024_bilateral_850511_810411_810820.csv", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["importer"] == "IND" and r["hs6"] == "850511"]


def test_quantity_basis_and_names():
    r = run("--importer", "India", "--material", "850511", "--basis", "quantity", "--format", "json", "--year", "2024")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["china_share_direct"] == pytest.approx(0.880, abs=0.0005)


def test_table_and_csv_formats():
    t = run("--importer", "USA", "--material", "magnesium")
    assert t.returncode == 0, t.stderr
    assert "China direct" in t.stdout and "Israel" in t.stdout
    c = run("--importer", "USA", "--material", "magnesium", "--format", "csv")
    assert c.returncode == 0, c.stderr
    rows = list(csv.DictReader(io.StringIO(c.stdout)))
    assert rows[0]["importer"] == "USA" and rows[0]["supplier"] == "ISR"
    assert float(rows[0]["share"]) > 0.5  # numbers stay numbers


@pytest.mark.parametrize("args, needle", [
    (("--importer", "Indai", "--material", "magnets"), "did you mean 'India'"),
    (("--importer", "IND", "--material", "magnats"), "did you mean 'magnets'"),
    (("--importer", "IND", "--material", "lutetium"), "no bilateral trade data"),
    (("--importer", "IND", "--material", "magnets", "--year", "1990"), "years with data: 2022, 2024"),
    # North Korea has no HS 850511 row in the 2024 source file (every other importer named before does)
    (("--importer", "PRK", "--material", "magnets"), "no 2024 imports"),
    (("--importer", "IND", "--material", "magnets", "--year", "2022", "--basis", "quantity"),
     "quantity is not available for Metal permanent magnets (HS 850511, all types) in 2022"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("importer, material, state", [
    ("IND", "ndfeb_magnet", "scope mismatch: NdFeB permanent magnets consumption vs HS 850511, all metal magnets"),
    ("JPN", "titanium_unwrought", "net exporter"),
    ("USA", "magnesium", "computed"),
])
def test_json_import_reliance_is_a_share_or_a_state(importer, material, state):
    r = run("--importer", importer, "--material", material, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["import_reliance_state"] == state
    if state == "computed":
        assert 0 <= doc["import_reliance"] <= 1
    else:
        assert doc["import_reliance"] is None


def test_scope_note_in_json_table_and_csv():
    note = "HS 850511, all metal magnets — used as a proxy for NdFeB permanent magnets"
    doc = json.loads(run("--importer", "IND", "--material", "NdFeB", "--format", "json").stdout)
    assert doc["scope_note"] == note and "proxy: HS 850511" in doc["material_label"]
    assert f"scope: {note}" in run("--importer", "IND", "--material", "NdFeB").stdout
    rows = list(csv.DictReader(io.StringIO(run("--importer", "IND", "--material", "NdFeB", "--format", "csv").stdout)))
    assert rows[0]["scope_note"] == note
    sponge = json.loads(run("--importer", "JPN", "--material", "titanium sponge", "--format", "json").stdout)
    assert sponge["scope_note"].startswith("HS 810820, all unwrought titanium and powders — used as a proxy")
    assert json.loads(run("--importer", "IND", "--material", "permanent_magnets", "--format", "json").stdout)[
        "scope_note"] is None
