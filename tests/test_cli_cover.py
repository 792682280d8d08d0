"""`python -m chokepoint regimes list` and `cover`: the JSON contract and exit status 2 on bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chokepoint.constants import DAYS_PER_MONTH

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_regimes_list_json():
    p = cli("regimes", "list", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    ids = [r["id"] for r in doc]
    assert {"baseline", "apr-2025-licensing", "oct-2025-expansion", "ban-one-country"} <= set(ids)
    apr = doc[ids.index("apr-2025-licensing")]
    assert apr["name"] and apr["horizon_months"] == 36
    rule = apr["rules"][0]
    assert rule["controller"] == "CHN" and rule["approval_rate"] == 0.26 and rule["delay_months"] == 2
    assert {"materials", "targets", "start_month", "end_month", "extraterritorial"} <= set(rule)


def test_regimes_list_table():
    p = cli("regimes", "list")
    assert p.returncode == 0, p.stderr
    assert "apr-2025-licensing" in p.stdout and "approval_rate" in p.stdout


def test_cover_json_contract_exhausted():
    p = cli("cover", "--country", "JPN", "--material", "permanent_magnets", "--regime", "apr-2025-licensing",
            "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert {"country", "material", "regime", "months_of_cover", "exhausted_within_horizon", "state",
            "runout_month", "inputs"} <= set(d)
    assert d["country"] == "JPN" and d["material"] == "permanent_magnets" and d["regime"] == "apr-2025-licensing"
    assert d["exhausted_within_horizon"] is True and d["state"] == "exhausted"
    assert 1 < d["months_of_cover"] < 36 and d["runout_month"] == -(-d["months_of_cover"] // 1)
    i = d["inputs"]
    assert i["policy_days"] == 60 and i["industry_months"] == 3
    assert i["use_basis"] == "derived (ESTIMATE)"
    assert i["stock_t"] == pytest.approx(i["use_t_per_month"] * (3 + 60 / DAYS_PER_MONTH))
    assert sum(i["shares"].values()) == pytest.approx(1.0) and "CHN" in i["shares"]
    assert any("BACI" in s for s in i["sources"]) and any("AmCham" in s for s in i["sources"])


def test_cover_not_exhausted_is_null_and_stock_months_changes_the_answer():
    p = cli("cover", "--country", "USA", "--material", "magnets", "--regime", "baseline", "--format", "json")
    d = json.loads(p.stdout)
    assert d["months_of_cover"] is None and d["exhausted_within_horizon"] is False
    assert d["state"] == "not exhausted within horizon" and d["runout_month"] is None
    a = json.loads(cli("cover", "--country", "USA", "--material", "magnets", "--regime", "apr-2025-licensing",
                       "--stock-months", "1", "--format", "json").stdout)
    b = json.loads(cli("cover", "--country", "USA", "--material", "magnets", "--regime", "apr-2025-licensing",
                       "--stock-months", "6", "--format", "json").stdout)
    assert a["inputs"]["industry_months"] == 1 and a["months_of_cover"] < b["months_of_cover"]


def test_cover_ban_target_and_regime_file(tmp_path):
    d = json.loads(cli("cover", "--country", "DEU", "--material", "magnets", "--regime", "ban-one-country",
                       "--target", "DEU", "--format", "json").stdout)
    assert d["regime"] == "ban-one-country-deu" and d["exhausted_within_horizon"] is True
    f = tmp_path / "mine.yml"
    f.write_text("id: my-ban\nname: My ban\nrules:\n  - controller: CHN\n    materials: [magnesium]\n"
                 "    targets: [JPN]\n    approval_rate: 0\n", encoding="utf-8")
    p = cli("cover", "--country", "JPN", "--material", "magnesium_metal", "--regime-file", str(f), "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["regime"] == "my-ban" and d["state"] == "exhausted"


@pytest.mark.parametrize("args, needle", [
    (("--country", "Narnia", "--material", "magnets", "--regime", "baseline"), "unknown country"),
    (("--country", "USA", "--material", "magnetz", "--regime", "baseline"), "unknown material"),
    (("--country", "USA", "--material", "magnets", "--regime", "apr-2025"), "did you mean apr-2025-licensing"),
    # North Korea has no HS 850511 row in the 2024 source file (Niger now has: every importer is listed)
    (("--country", "PRK", "--material", "magnets", "--regime", "baseline"), "no permanent_magnets imports"),
    (("--country", "USA", "--material", "lutetium", "--regime", "baseline"), "materials with country data"),
])
def test_cover_bad_input_exits_2_with_one_line(args, needle):
    p = cli("cover", *args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in p.stderr


def test_bad_regime_file_lists_every_problem(tmp_path):
    f = tmp_path / "bad.yml"
    f.write_text("id: Bad Id\nname: x\nrules:\n  - controller: XXX\n    materials: [unobtainium]\n"
                 "    approval_rate: 1.5\n", encoding="utf-8")
    p = cli("cover", "--country", "USA", "--material", "magnets", "--regime-file", str(f))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    for needle in ("id:", "Rule 1: controller —", "Rule 1: materials, item 1 —", "Rule 1: approval_rate —"):
        assert needle in p.stderr, needle
    assert len(p.stderr.strip().splitlines()) >= 5
