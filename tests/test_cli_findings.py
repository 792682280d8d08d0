"""The CLI states the same findings as the briefing packs (and so the pages): `exposure`, `cover` and
`company` take them from the view functions (chokepoint/views/) the packs use, not from their own
arithmetic. Each test builds the pack and runs the CLI, and compares label, value and source."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from chokepoint import briefing, exposure, fmt
from chokepoint.stockpile_csv import parse_stockpile_csv

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "company_stockpile_fixture.csv"


def cli(*args: str) -> dict:
    p = subprocess.run([sys.executable, "-m", "chokepoint", *args], cwd=ROOT, capture_output=True, text=True,
                       timeout=180)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def ind_pack():
    return briefing.country_briefing("IND", regimes=briefing.resolve_regimes("apr-2025-licensing"))


def test_exposure_findings_are_the_country_packs(ind_pack):
    doc = cli("exposure", "--importer", "IND", "--material", "permanent_magnets", "--format", "json")
    assert doc["findings"] == [asdict(f) for f in ind_pack.findings[:2]]
    # and they state the JSON's own numbers, with the one rounding of chokepoint.fmt
    assert [f["value"] for f in doc["findings"]] == [fmt.pct(doc["china_share_direct"], 1),
                                                      fmt.pct(doc["china_share_total"], 1)]
    only = cli("exposure", "--importer", "IND", "--material", "permanent_magnets", "--format", "findings")
    assert only == {"findings": doc["findings"]}


def test_cover_finding_is_the_country_packs(ind_pack):
    doc = cli("cover", "--country", "IND", "--material", "permanent_magnets", "--regime", "apr-2025-licensing",
              "--format", "json")
    [mine] = doc["findings"]
    pack = ind_pack.findings[2]   # one regime chosen: it is the worst
    assert mine["value"] == pack.value == fmt.cover_label(doc["months_of_cover"], doc["state"],
                                                          doc["horizon_months"]) + " months"
    assert pack.label == mine["label"].replace(" (estimate)", ", the worst of the regimes chosen (estimate)")
    assert (mine["unit"], mine["basis"], mine["source"]) == (pack.unit, pack.basis, pack.source)


def test_company_findings_are_the_company_packs():
    res = parse_stockpile_csv(FIXTURE.read_bytes())
    regs = briefing.resolve_regimes("apr-2025-licensing")
    pack = briefing.company_briefing(res.lines, regs, name=FIXTURE.stem, run=exposure.default_runner())
    doc = cli("company", str(FIXTURE), "--regime", "apr-2025-licensing", "--format", "findings")
    assert doc["findings"] == [asdict(f) for f in pack.findings]
    assert doc["findings"][0]["label"].startswith("Earliest run-out: FIXTURE plant A")


def test_company_json_stays_a_list_of_rows():
    rows = cli("company", str(FIXTURE), "--regime", "apr-2025-licensing", "--format", "json")
    assert isinstance(rows, list) and {r["site"] for r in rows} == {"FIXTURE plant A", "FIXTURE plant B"}
