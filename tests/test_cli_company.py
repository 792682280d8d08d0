"""`python -m chokepoint company FILE.csv`: JSON contract, csv and table formats, exit 2 on bad input.

The stockpile files are INVENTED test data."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"site", "material", "on_hand_t", "monthly_use_t", "controlled_share", "regime", "months_of_cover",
        "exhausted_within_horizon", "state"}

# INVENTED: a US site and a German site, and one without a country.
GOOD = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
        "INVENTED US plant,US,NdFeB magnets,300,100,CN,80%\n"
        "INVENTED US plant,US,NdFeB magnets,,,JP,20%\n"
        "INVENTED DE plant,DE,Dysprosium oxide,300,100,CN,0.8\n"
        "INVENTED DE plant,DE,Dysprosium oxide,,,AU,0.2\n"
        "INVENTED nowhere,,NdFeB magnets,300,100,CN,0.8\n")
# INVENTED: three errors in three rows.
BAD = ("site,material,on_hand,monthly_use,supplier_country,supplier_share\n"
       "a,Dysprosium oxide,12;5,1,CN,1\n"
       "a,unobtainium,1,1,CN,1\n"
       "b,NdFeB magnets,1,1,Atlantis,1\n")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def good(tmp_path) -> Path:
    p = tmp_path / "stock.csv"
    p.write_text(GOOD, encoding="utf-8")
    return p


def test_json_contract_one_object_per_site_and_material(good):
    p = cli("company", str(good), "--regime", "ban-one-country", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert isinstance(rows, list) and len(rows) == 3
    assert all(set(r) == KEYS for r in rows)
    by = {(r["site"], r["material"]): r for r in rows}
    us = by[("INVENTED US plant", "ndfeb_magnet")]
    # ban on the USA: 80 t/month of 100 cut from month 1 -> 300 / 80 = 3.75 months
    assert us["months_of_cover"] == pytest.approx(3.75) and us["exhausted_within_horizon"] is True
    assert us["state"] == "exhausted" and us["controlled_share"] == pytest.approx(0.8)
    assert us["on_hand_t"] == 300.0 and us["monthly_use_t"] == 100.0 and us["regime"] == "ban-one-country"
    de = by[("INVENTED DE plant", "dysprosium_oxide")]
    assert de["months_of_cover"] is None and de["exhausted_within_horizon"] is False
    assert de["state"] == "not exhausted within horizon"
    # no site_country: destination unknown, said on stderr; spared by a ban on the USA
    assert by[("INVENTED nowhere", "ndfeb_magnet")]["months_of_cover"] is None
    assert "Destination unknown" in p.stderr


def test_country_flag_fills_in_missing_site_countries(good):
    p = cli("company", str(good), "--regime", "ban-one-country", "--country", "USA", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = {r["site"]: r for r in json.loads(p.stdout)}
    assert rows["INVENTED nowhere"]["months_of_cover"] == pytest.approx(3.75)


def test_apr_2025_licensing_hand_worked(good):
    p = cli("company", str(good), "--regime", "apr-2025-licensing", "--format", "json")
    rows = {r["site"]: r for r in json.loads(p.stdout)}
    # delay 2 months: 300 - 160 = 140 t; then 100 x 0.8 x 0.74 = 59.2 t/month
    assert rows["INVENTED DE plant"]["months_of_cover"] == pytest.approx(2 + 140 / 59.2)


def test_csv_format_is_formula_safe(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("site,material,on_hand,monthly_use,supplier_country\n=HYPERLINK(\"x\"),NdFeB magnets,10,1,CN\n")
    p = cli("company", str(f), "--regime", "apr-2025-licensing", "--format", "csv")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert len(rows) == 1 and rows[0]["site"].startswith("'=")
    assert {"site", "material_id", "regime", "months_of_cover", "state", "controlled_share"} <= set(rows[0])
    assert float(rows[0]["months_of_cover"]) > 0


def test_table_format(good):
    p = cli("company", str(good), "--regime", "apr-2025-licensing")
    assert p.returncode == 0, p.stderr
    assert "INVENTED DE plant" in p.stdout and "4.4" in p.stdout and "earliest run-out" in p.stdout


def test_regime_file(good, tmp_path):
    y = tmp_path / "r.yml"
    y.write_text("id: my-ban\nname: My ban\nrules:\n  - controller: CHN\n    materials: [rare_earths]\n"
                 "    targets: [DEU]\n    approval_rate: 0\n")
    p = cli("company", str(good), "--regime-file", str(y), "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = {r["site"]: r for r in json.loads(p.stdout)}
    assert rows["INVENTED DE plant"]["months_of_cover"] == pytest.approx(3.75)
    assert rows["INVENTED US plant"]["months_of_cover"] is None


def test_invalid_file_exit_2_every_error_on_stderr(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(BAD)
    p = cli("company", str(f), "--regime", "apr-2025-licensing", "--format", "json")
    assert p.returncode == 2
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 3, p.stderr
    assert any("row 2" in ln and "on_hand" in ln for ln in lines)
    assert any("row 3" in ln and "unobtainium" in ln for ln in lines)
    assert any("row 4" in ln and "Atlantis" in ln for ln in lines)


@pytest.mark.parametrize("args, needle", [
    (["missing.csv", "--regime", "apr-2025-licensing"], "cannot read"),
    (["{good}", "--regime", "no-such-regime"], "unknown regime"),
    (["{good}", "--regime", "apr-2025-licensing", "--country", "Atlantis"], "unknown country"),
])
def test_bad_arguments_exit_2_one_line(good, args, needle):
    p = cli("company", *[a.format(good=good) for a in args])
    assert p.returncode == 2
    assert needle in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
