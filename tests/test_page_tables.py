"""AppTest: every table on every page is shown as people read it — no snake_case header, no
"None" or empty cell (missing reads "—"), shares as percentages — and Data and methods carries
the methods with worked examples and the glossary. Stockpile rows are INVENTED."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from chokepoint import glossary

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
# INVENTED stockpile: a holding with a share below 100% (unknown origin) and a supplier without dependence
STOCK = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
         "INVENTED plant,DE,Dysprosium oxide,300,100,CN,80%\n"
         "INVENTED plant,DE,Dysprosium oxide,,,AU,20%\n"
         "INVENTED US plant,US,NdFeB magnets,40000,8000,CN,0.9\n").encode()


def _page(page: str, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "ws.duckdb"))
    monkeypatch.delenv("CHOKEPOINT_WORKSPACE_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    if page == "company":
        at.file_uploader(key="company_upload").set_value(("stock.csv", STOCK, "text/csv")).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", ["exposure", "cover", "regimes", "company", "data_methods"])
def test_every_table_has_human_headers_and_no_none(page, tmp_path, monkeypatch):
    at = _page(page, tmp_path, monkeypatch)
    assert len(at.dataframe) >= 2
    for d in at.dataframe:
        df = d.value
        bad = [c for c in df.columns if SNAKE.match(str(c))]
        assert not bad, f"{page}: machine headers {bad}"
        assert d.proto.placeholder == "—", f"{page}: a missing number would read 'None' in {list(df.columns)}"
        text = df.select_dtypes(exclude="number")
        assert not text.isna().any().any(), f"{page}: empty text cells in {list(df.columns)}"
        assert not (text.astype(str) == "None").any().any(), f"{page}: 'None' in {list(df.columns)}"


def test_exposure_look_through_table_shows_percentages_and_words(tmp_path, monkeypatch):
    at = _page("exposure", tmp_path, monkeypatch)
    lt = next(d.value for d in at.dataframe if "Through this supplier (%)" in d.value.columns)
    china = lt[lt["Supplier (ISO3)"] == "CHN"].iloc[0]
    assert 0.5 < china["Share (%)"] <= 1            # a fraction the grid writes as a percentage
    # the grid cuts digits beyond its step (0.8418 would read 84.1%): the table reads what the metric says
    grid = math.trunc(china["Share (%)"] * 1000 + 1e-9) / 10
    assert f"{grid:.1f}%" == next(m.value for m in at.metric if m.label == "China, direct")
    share = next(c for c in at.dataframe if "Through this supplier (%)" in c.value.columns).proto.columns
    assert '"format": "percent"' in share.replace(" ", "").replace('":"', '": "')
    assert "world fallback" in set(lt["Evidence"]) and "world_fallback" not in set(lt["Evidence"])
    hhi = next(m for m in at.metric if "HHI" in m.label)
    assert "squared supplier shares" in hhi.proto.help and "data_methods#glossary" in hhi.proto.help


def test_data_and_methods_has_methods_with_worked_examples_and_the_glossary(tmp_path, monkeypatch):
    at = _page("data_methods", tmp_path, monkeypatch)
    heads = [h.value for h in at.header] + [s.value for s in at.subheader]
    assert "Methods" in heads and "Glossary" in heads
    text = "\n".join(m.value for m in at.markdown)
    assert "Worked example: India" in text and "Worked example: United States" in text
    # every term is a heading with its anchor (the browser is scrolled to it by the URL's #fragment)
    anchors = {s.proto.anchor: s.value for s in at.subheader}
    for t in glossary.terms().values():
        assert anchors.get(t.anchor) == t.term and t.text in text
    codes = "\n".join(c.value for c in at.code)
    assert "total = direct + min(indirect, 1 − direct)" in codes and "shortfall(t)" in codes
