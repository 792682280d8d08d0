"""Tables as people read them (labels, "—", percentages, regime names), XLSX headers and number
formats, regime problems in words, the glossary, and the worked examples of Data and methods."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from chokepoint import export, exposure, glossary, labels, regimes
from chokepoint.views import methods

SNAKE = r"^[a-z0-9]+(_[a-z0-9]+)+$"


def _frame() -> pd.DataFrame:   # INVENTED rows
    return pd.DataFrame({"regime": ["apr-2025-licensing", "baseline"], "china_share": [0.8418, None],
                         "months": [4.54, float("nan")], "quantity_t": [19259.3, 12.0],
                         "note": [None, "x"], "some_new_column": ["a", "b"]})


def test_display_labels_units_regime_names_percent_and_dash():
    shown, kinds, machine = labels.display(_frame(), {"apr-2025-licensing": "April 2025 licensing"})
    assert list(shown.columns) == ["Regime", "China share (%)", "Months of cover", "Quantity (t)", "Note",
                                   "Some new column"]
    assert not any(pd.Series(shown.columns).str.match(SNAKE))
    assert shown["Regime"].tolist() == ["April 2025 licensing", "baseline"]
    # numbers stay numbers (shares as fractions: the grid writes 84.2%, and a gap as "—"); text gaps read "—"
    assert shown["China share (%)"].iloc[0] == 0.8418 and kinds["China share (%)"] == "pct"
    assert kinds["Months of cover"] == "months" and kinds["Quantity (t)"] == "t"
    assert shown["Note"].tolist() == ["—", "x"]
    assert machine["China share (%)"] == "china_share"
    assert "None" not in shown.astype(str).to_numpy()


def test_tonnes_keep_the_decimals_their_size_needs():
    """Tonnes in the grid, value by value: none from 1,000 up, one from 10, two below (1.87 t stays
    1.87, an uploaded 350.5 t stays 350.5); a gap stays a gap."""
    got = labels.tidy(pd.Series([2805.23, 350.5, 186.973, 1.874, 0.0, None]))
    assert got.iloc[:5].tolist() == [2805.0, 350.5, 187.0, 1.87, 0.0] and math.isnan(got.iloc[5])
    # the run-out table's range columns are labelled, not spelled out from their machine names
    assert labels.label("runout_date_low") == "Runs out on, low" and labels.kind("months_high") == "months"


def test_cells_written_as_text_use_the_same_formats():
    assert labels.cell(0.8418, "pct") == "84.2%" and labels.cell(None, "pct") == "—"
    assert labels.cell(float("nan"), "months") == "—" and labels.cell(4.537, "months") == "4.5"
    assert labels.cell(19259.3, "t") == "19,259" and labels.cell("", "text") == "—"


def test_display_drops_the_regime_id_beside_its_name():
    d = pd.DataFrame({"regime": ["a"], "regime_name": ["A regime"], "share": [0.25]})
    shown, kinds, _ = labels.display(d)
    assert list(shown.columns) == ["Regime", "Share (%)"]
    assert shown["Share (%)"].tolist() == [0.25] and kinds["Share (%)"] == "pct"


def test_xlsx_has_human_headers_and_percent_number_format_csv_keeps_machine_names():
    from openpyxl import load_workbook
    d = pd.DataFrame({"supplier": ["CHN"], "share": [0.8418], "value_usd": [1.5e8], "quantity_t": [19259.3]})
    ws = load_workbook(io.BytesIO(export.to_xlsx_bytes(d))).active
    assert [c.value for c in ws[1]] == ["Supplier (ISO3)", "Share (%)", "Value (USD)", "Quantity (t)"]
    share = ws["B2"]
    assert share.value == pytest.approx(0.8418) and share.number_format == "0.0%"   # shows 84.2%
    assert ws["C2"].number_format == "#,##0"
    csv = export.to_csv_bytes(d).decode("utf-8-sig").splitlines()
    assert csv[0] == '"supplier","share","value_usd","quantity_t"' and "0.8418" in csv[1]


@pytest.mark.parametrize("problem, said", [
    ("rules[1].controller: unknown country 'Atlantis'", "Rule 2: controller — unknown country 'Atlantis'"),
    ("rules[0].materials[2]: unknown material", "Rule 1: materials, item 3 — unknown material"),
    ("rules[3].targets.except[0]: unknown country", "Rule 4: targets, except, item 1 — unknown country"),
    ("rules[1]: must be a mapping of rule fields", "Rule 2 — must be a mapping of rule fields"),
    ("sources[0].title: required text", "Source 1: title — required text"),
    ("id: required", "id: required"),
])
def test_regime_problems_read_as_words(problem, said):
    assert labels.human_problem(problem) == said


def test_regime_error_from_the_editor_names_the_rule_in_words():
    with pytest.raises(regimes.RegimeError) as e:
        regimes.parse_regime({"id": "x", "name": "X", "rules": [
            {"controller": "CHN", "materials": ["magnets"], "approval_rate": 0.2},
            {"controller": "Atlantis", "materials": ["magnets"], "approval_rate": 0.2}]})
    assert e.value.problems[0].startswith("Rule 2: controller — ")
    assert "rules[" not in str(e.value)


def test_glossary_has_every_term_the_ui_uses_and_tooltips_link_to_it():
    terms = glossary.terms()
    for needed in ("hhi", "look-through", "row", "thin", "fallback", "extraterritorial", "pp", "horizon",
                   "horizon-plus"):
        assert needed in terms and len(terms[needed].text) > 40, needed
    for ids in labels.GLOSSARY.values():
        assert set(ids) <= set(terms)
    tip = glossary.tip("hhi")
    assert "squared supplier shares" in tip and "(data_methods#glossary)" in tip
    assert glossary.link("thin") == "[Thin (evidence)](data_methods#glossary-thin)"


def test_worked_examples_are_the_models_own_numbers():
    run = exposure.default_runner()
    lt = methods.lookthrough_example(run)
    assert lt.total == pytest.approx(lt.model_total, abs=1e-12)
    assert lt.direct + min(lt.indirect, 1 - lt.direct) == pytest.approx(lt.total)
    assert sum(s * d for _, s, d in lt.terms) + lt.rest == pytest.approx(lt.indirect)
    text = lt.markdown()
    assert f"**{lt.total * 100:.1f}%**" in text and f"{lt.direct * 100:.1f}%" in text
    cv = methods.cover_example(run)
    assert not math.isnan(cv.model_months) and cv.months == pytest.approx(cv.model_months, abs=1e-9)
    assert f"**{cv.months:.2f} months**" in cv.markdown() and f"{cv.stock_t:,.0f} t" in cv.markdown()
