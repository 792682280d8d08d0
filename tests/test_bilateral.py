"""Full bilateral flows (2024 value + quantity, 2022 value only) and the change between the years:
every expected number is worked out here from the source CSVs in data/sources, never pasted from
the app's output."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from chokepoint import dataset, exposure
from chokepoint.views import change as view_change
from chokepoint.views import exposure as view_exposure
from chokepoint.views import overview as view_overview

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"
Y2024 = SOURCES / "baci2024_bilateral_850511_810411_810820.csv"
Y2022 = SOURCES / "baci2022_bilateral_value_850511_810411_810820.csv"


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


#: BACI's "Other Asia, nes" is shown as Taiwan (the trade_flows caveat)
CODES = {"S19": "TWN"}


def by_exporter(path: Path, importer: str, hs6: str) -> dict[str, float]:
    """{exporter: value in USD} of one importer's HS line, from the raw source file."""
    out: dict[str, float] = defaultdict(float)
    for r in rows(path):
        if r["hs6"] != hs6:
            continue
        if "importer_iso3" in r:   # 2022: value_usd in USD
            if r["importer_iso3"] == importer:
                out[CODES.get(r["exporter_iso3"], r["exporter_iso3"])] += float(r["value_usd"])
        elif r["importer"] == importer:  # 2024: value_kusd in thousands of USD
            out[CODES.get(r["exporter"], r["exporter"])] += float(r["value_kusd"]) * 1000
    return dict(out)


def share(values: dict[str, float], who: str) -> float:
    return values.get(who, 0.0) / sum(values.values())


def cli(*args):
    return subprocess.run([sys.executable, "-m", "chokepoint", "exposure", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- the Done-when lines
def test_india_magnets_2022_by_value_is_73_9_percent_from_china():
    by_hand = share(by_exporter(Y2022, "IND", "850511"), "CHN")
    assert by_hand == pytest.approx(0.739, abs=0.0005)  # the observed README's check figure
    r = cli("--importer", "IND", "--material", "permanent_magnets", "--year", "2022", "--basis", "value",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["year"] == 2022 and doc["basis"] == "value"
    assert doc["china_share_direct"] == pytest.approx(by_hand, abs=1e-9)
    assert doc["china_share_direct"] == pytest.approx(0.739, abs=0.005)


def test_france_titanium_2024_has_chinas_real_share_not_zero():
    values = by_exporter(Y2024, "FRA", "810820")
    by_hand = share(values, "CHN")
    assert 0.006 < by_hand < 0.007  # ~0.66%: China was inside the old rest-of-world bucket
    r = cli("--importer", "FRA", "--material", "titanium_unwrought", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["year"] == 2024 and doc["china_share_direct"] == pytest.approx(by_hand, rel=1e-9)
    assert {s["supplier"] for s in doc["suppliers"]} == set(values)
    # HHI is exact: the sum of squared shares over every exporter of the file
    total = sum(values.values())
    assert doc["hhi"] == pytest.approx(sum((v / total) ** 2 for v in values.values()), rel=1e-9)


def test_vietnam_titanium_appears():
    values = by_exporter(Y2024, "VNM", "810820")
    assert values, "Vietnam imports HS 810820 in the 2024 source file"
    exp = exposure.exposure("VNM", "titanium_unwrought")
    got = dict(zip(exp.suppliers["supplier"], exp.suppliers["value_usd"]))
    assert got == pytest.approx(values)
    assert exp.summary["china_share_direct"] == pytest.approx(share(values, "CHN"))


def test_2022_quantity_is_not_available_never_zero():
    with pytest.raises(exposure.ExposureDataError, match="quantity is not available .* in 2022"):
        exposure.select("IND", "permanent_magnets", 2022, "quantity")
    r = cli("--importer", "IND", "--material", "permanent_magnets", "--year", "2022", "--basis", "quantity")
    assert r.returncode == 2 and "not available" in r.stderr and r.stdout == ""


# ---------------------------------------------------------------- what changed, 2022 -> 2024
def test_change_table_for_india_from_both_source_files():
    run = exposure.default_runner()
    t = view_change.table(run, ("850511",), 2022, 2024).set_index("importer")
    v22, v24 = by_exporter(Y2022, "IND", "850511"), by_exporter(Y2024, "IND", "850511")
    ind = t.loc["IND"]
    assert ind["china_share_2022"] == pytest.approx(share(v22, "CHN"))
    assert ind["china_share_2024"] == pytest.approx(share(v24, "CHN"))          # 84.2% (README)
    assert ind["china_share_2024"] == pytest.approx(0.842, abs=0.0005)
    assert ind["china_share_change"] == pytest.approx(share(v24, "CHN") - share(v22, "CHN"))
    hhi22 = sum((v / sum(v22.values())) ** 2 for v in v22.values())
    assert ind["hhi_2022"] == pytest.approx(hhi22)
    assert ind["top_supplier_2022"] == max(v22, key=v22.get) == "CHN"
    assert ind["status"] == "both years" and not ind["top_supplier_changed"]


def test_change_findings_and_chart_say_value_basis_and_count_from_the_table():
    run = exposure.default_runner()
    t = view_change.table(run, ("850511",), 2022, 2024)
    found = view_change.country(t, "IND", material="magnets")
    assert found[0].value == "73.9% → 84.2% (+10.3 pp)" and found[0].basis == "value"
    spec = view_change.chart(t, key="pm", material="magnet", selected="IND")
    both = t[t["status"] == "both years"]
    up = int((both["china_share_change"] > 0.005).sum())
    assert f"rose in {up} of {len(both)} importers" in spec.title
    assert "by value" in spec.subtitle and "IND" in set(spec.data["importer"])
    assert spec.chart == "exposure_change" and spec.figure() is not None


def test_change_chart_is_in_the_country_view_and_pack():
    run = exposure.default_runner()
    view = view_exposure.country(exposure.select("IND", "permanent_magnets", 2024, "value", run), run,
                                 short="metal permanent magnets")
    assert view.change is not None and view.change_findings[0].value.startswith("73.9% → 84.2%")
    from chokepoint import briefing
    pack = briefing.country_briefing("IND", ["permanent_magnets"], run=run)
    assert view.change.title in [s.title for s in pack.slides]


# ---------------------------------------------------------------- world series on the Overview
def test_overview_export_share_series_has_rare_earths_and_titanium_ores_2002_2024():
    series = exposure.default_runner()("china_export_share_series", hs6_list=list(view_overview.EXPORT_SERIES_HS))
    src = SOURCES / "baci_world_series_2002_2024_280530_284690_850511_261400_810820.csv"
    want = {(r["hs6"], int(r["year"])): float(r["china_export_share"]) for r in rows(src)
            if r["hs6"] in ("284690", "261400")}
    got = {(r.hs6, int(r.year)): r.china_export_share for r in series.itertuples() if r.hs6 in ("284690", "261400")}
    assert got == pytest.approx(want) and len(got) == 2 * 23
    spec = view_overview.export_share_series(series)
    assert set(spec.data["hs6"]) == {"850511", "280530", "284690", "261400"}
    assert any("HS 284690" in n and "16.1% in 2024" in n for n in spec.notes)


# ---------------------------------------------------------------- provenance of copied files
def test_origins_reach_datasets_yml_and_a_changed_copy_is_caught(tmp_path):
    prov = dataset.load_provenance()
    origins = {o["file"]: o for o in prov["trade_flows"]["origins"]}
    o = origins["sources/baci2022_bilateral_value_850511_810411_810820.csv"]
    assert o["repository"].endswith("Varcolacus/critical-materials-atlas")
    assert "Etalab" in o["licence"] and "Gaulier" in o["attribution"] and o["commit"].startswith("cc9806b")
    assert o["sha256"] == dataset.sha256(Y2022)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with open(data / "sources" / Y2022.name, "a", encoding="utf-8") as f:
        f.write("2022,CHN,FRA,850511,1.0\n")
    problems = dataset.check(data)
    assert any(p.startswith(f"sources/{Y2022.name}: sha256 differs from its origin") for p in problems), problems
