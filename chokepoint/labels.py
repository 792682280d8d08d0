"""How a machine table is shown to people: one place for column labels (with units), regime
names, "—" for missing values and the number formats of each kind of column.

Pages show :func:`display` frames (through ``ui.table``); XLSX exports get the same labels and
number formats (:func:`label`, :func:`kind`). CSV and JSON keep machine ids and raw fractions.
Pure: no streamlit here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

MISSING = "—"

#: machine column -> (label with its unit, kind). Kinds: pct (a fraction shown as a percentage),
#: t (tonnes), usd, months, ratio (two decimals), int (counts and years, no separators), date, text.
COLUMNS: dict[str, tuple[str, str]] = {
    # who and what
    "material_name": ("Material", "text"), "material_id": ("Material id", "text"), "material": ("Material", "text"),
    "supplier": ("Supplier (ISO3)", "text"), "supplier_name": ("Supplier", "text"),
    "supplier_country": ("Supplier country (ISO3)", "text"), "importer": ("Importer (ISO3)", "text"),
    "exporter": ("Exporter (ISO3)", "text"), "country": ("Country (ISO3)", "text"), "holder": ("Holder", "text"),
    "holder_type": ("Holder type", "text"), "site": ("Site", "text"), "site_country": ("Site country (ISO3)", "text"),
    "destination": ("Destination (ISO3)", "text"), "destination_basis": ("Destination from", "text"),
    "controller": ("Controller (ISO3)", "text"), "regime": ("Regime", "text"), "regime_name": ("Regime", "text"),
    "name": ("Name", "text"), "element": ("Element", "text"), "hs6": ("HS code", "text"),
    "hs_vintage": ("HS edition", "text"), "native_code": ("National code", "text"), "reporter": ("Reporter (ISO3)", "text"),
    "partner": ("Partner (ISO3)", "text"), "to_country": ("To (ISO3)", "text"), "flow": ("Flow", "text"),
    # shares (fractions shown as percentages)
    "share": ("Share (%)", "pct"), "china_share": ("China share (%)", "pct"),
    "china_share_direct": ("China share, direct (%)", "pct"), "china_share_total": ("China share, total (%)", "pct"),
    "china_export_share": ("China's export share (%)", "pct"), "share_of_world": ("Share of world (%)", "pct"),
    "share_of_use": ("Share of use (%)", "pct"), "supplier_share": ("Supplier share (%)", "pct"),
    "dependence": ("Dependence on China (%)", "pct"), "dependence_low": ("Dependence, low (%)", "pct"),
    "dependence_high": ("Dependence, high (%)", "pct"), "indirect_share": ("Through this supplier (%)", "pct"),
    "import_reliance": ("Import reliance (%)", "pct"), "controlled_share": ("Controlled share (%)", "pct"),
    "extraterritorial_share": ("Extraterritorial share (%)", "pct"), "unknown_share": ("Unknown origin (%)", "pct"),
    "cut_share_12m": ("Cut, 12-month average (%)", "pct"), "cut_share_peak": ("Cut, worst month (%)", "pct"),
    "approval_rate": ("Approval rate (%)", "pct"), "implied_approval_rate": ("Implied approval rate (%)", "pct"),
    "yoy_change": ("Change on a year earlier (%)", "pct"),
    # quantities and values
    "value_usd": ("Value (USD)", "usd"), "world_value_usd": ("World value (USD)", "usd"),
    "quantity_t": ("Quantity (t)", "t"), "world_quantity_t": ("World quantity (t)", "t"),
    "apparent_consumption_t": ("Consumption (t/year)", "t"), "net_imports_t": ("Net imports (t)", "t"),
    "production_t": ("Production (t)", "t"), "on_hand_t": ("Stock on hand (t)", "t"),
    "monthly_use_t": ("Use (t/month)", "t"), "on_hand_t_base": ("Stock, as uploaded (t)", "t"),
    "on_hand_t_what_if": ("Stock, what-if (t)", "t"), "observed_t": ("Imports from China (t)", "t"),
    "baseline_t": ("Baseline (t/month)", "t"), "cut_t_per_month_12m": ("Cut, 12-month average (t/month)", "t"),
    "cut_t_per_month_peak": ("Cut, worst month (t/month)", "t"),
    "use_t_per_month_low": ("Use, low (t/month)", "t"), "use_t_per_month_high": ("Use, high (t/month)", "t"),
    "stock_t_low": ("Stock, low (t)", "t"), "stock_t_high": ("Stock, high (t)", "t"),
    "days_of_use": ("Days of use", "int"),
    # months of cover and dates
    "months": ("Months of cover", "months"), "months_base": ("Months of cover, as uploaded", "months"),
    "months_what_if": ("Months of cover, what-if", "months"), "change_months": ("Change (months)", "months"),
    "horizon_months": ("Horizon (months)", "int"), "delay_months": ("Delay (months)", "int"),
    "start_month": ("Start month", "int"), "end_month": ("End month", "int"),
    "state": ("State", "text"), "state_base": ("State, as uploaded", "text"), "state_what_if": ("State, what-if", "text"),
    "runout_date": ("Runs out on", "date"), "runout_date_base": ("Runs out on, as uploaded", "date"),
    "runout_date_what_if": ("Runs out on, what-if", "date"),
    "months_low": ("Months of cover, low", "months"), "months_high": ("Months of cover, high", "months"),
    "state_low": ("State, low", "text"), "state_high": ("State, high", "text"),
    "runout_date_low": ("Runs out on, low", "date"), "runout_date_high": ("Runs out on, high", "date"), "start_date": ("Controls start", "date"),
    "effective_from": ("Effective from", "date"), "effective_to": ("Effective to", "date"),
    "suspended_until": ("Suspended until", "date"), "in_force_from": ("In force from (per the timeline)", "date"),
    "period_start": ("Period start", "date"), "date": ("Date", "date"),
    # ratios and counts
    "hhi": ("Supplier concentration (HHI, 0–1)", "ratio"), "export_hhi": ("Exporter concentration (HHI, 0–1)", "ratio"),
    "observed_ratio": ("Ratio to baseline", "ratio"), "year": ("Year", "int"), "evidence_year": ("Evidence year", "int"),
    "rows": ("Rows", "int"), "n_lines": ("Supply lines", "int"), "n_flows": ("Flows", "int"), "rank": ("Rank", "int"),
    "months_in_period": ("Months", "int"),
    # words
    "import_reliance_state": ("Reliance shown?", "text"), "reliance_basis": ("How reliance is computed", "text"),
    "consumption_basis": ("Consumption figure", "text"), "evidence": ("Evidence", "text"),
    "thin": ("Thin evidence", "bool"), "dependence_basis": ("How dependence was obtained", "text"),
    "dependence_source": ("Dependence source", "text"), "dependence_missing": ("Dependence unknown for", "text"),
    "cut_kind": ("Cut", "text"), "extraterritorial": ("Extraterritorial", "bool"), "basis": ("Basis", "text"),
    "source": ("Source", "text"), "note": ("Note", "text"), "label": ("Label", "text"), "content": ("Content", "text"),
    "targets": ("Targets", "text"), "materials": ("Materials", "text"), "status": ("Status", "text"),
    "period": ("Period", "text"), "unit_note": ("Unit", "text"), "estimate": ("Estimate", "bool"),
    "description": ("Description", "text"), "unit": ("Unit", "text"), "column": ("Column", "text"),
    "type": ("Type", "text"), "title": ("Title", "text"), "producer": ("Producer", "text"),
    "licence": ("Licence", "text"), "accessed": ("Accessed", "text"), "table": ("Table", "text"),
    "message": ("Problem", "text"), "suggestion": ("Suggestion", "text"), "row": ("Row", "int"),
    "rule": ("Rule", "int"), "why": ("Why", "text"),
}
#: columns whose header tooltip quotes glossary terms (ids of assets/glossary.yml)
GLOSSARY: dict[str, tuple[str, ...]] = {
    "hhi": ("hhi",), "export_hhi": ("hhi",), "thin": ("thin", "fallback"), "evidence": ("dependence", "fallback"),
    "dependence": ("dependence", "look-through"), "dependence_low": ("dependence",), "dependence_high": ("dependence",),
    "indirect_share": ("look-through",), "extraterritorial": ("extraterritorial",),
    "extraterritorial_share": ("extraterritorial",), "horizon_months": ("horizon",),
    "months": ("months-of-cover", "horizon-plus"), "approval_rate": ("approval-rate",), "delay_months": ("delay",),
    "import_reliance": ("import-reliance",), "unknown_share": ("unknown-origin",), "hs6": ("hs-code",),
}
#: cell words that are machine codes, said in words (by column)
VALUES: dict[str, dict[str, str]] = {
    "evidence": {"world_fallback": "world fallback", "china": "China itself", "own_imports": "its own imports",
                 "own_product_imports": "its own imports of the product", "row_bucket": "rest of world (ROW)",
                 "no_mapping": "no upstream mapping"},
    "destination_basis": {"site_country": "the site's country", "default_country": "the default country"},
}
_MACHINE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")   # a machine name: lowercase words joined by _


def label(col: str) -> str:
    """The column's label with its unit; an unknown machine name in plain words, never snake_case."""
    if col in COLUMNS:
        return COLUMNS[col][0]
    if _MACHINE.fullmatch(col):
        words = col.replace("_t", " (t)").replace("_usd", " (USD)").replace("_", " ")
        return words[:1].upper() + words[1:]
    return col


def kind(col: str) -> str:
    """The column's kind (see ``COLUMNS``); 'text' when unknown."""
    return COLUMNS.get(col, ("", "text"))[1]


def tidy(s: pd.Series) -> pd.Series:
    """Tonnes, dollars or plain numbers rounded by size, value by value: none from 1,000 up
    (2,805 t), one from 10 (186.9 t, an uploaded 350.5 t), two below (1.87 t). The grid then
    writes them with thousands separators and no trailing zeros."""
    x = pd.to_numeric(s, errors="coerce")
    size = x.abs()
    return x.round(2).mask(size >= 10, x.round(1)).mask(size >= 1000, x.round(0))


def is_missing(v: object) -> bool:
    """None, NaN, NaT, pd.NA or an empty string."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):   # an array or list in a cell: not missing
        return False


def cell(v: object, k: str) -> str:
    """One value as text in its kind's format, "—" when missing (the fallback of a numeric
    column that has gaps, and of every text column)."""
    if is_missing(v):
        return MISSING
    if k == "pct":
        return f"{float(v) * 100:.1f}%"  # type: ignore[arg-type]
    if k in ("t", "usd"):
        x = float(v)  # type: ignore[arg-type]
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"
    if k == "months":
        return f"{float(v):.1f}"  # type: ignore[arg-type]
    if k == "ratio":
        return f"{float(v):.2f}"  # type: ignore[arg-type]
    if k == "int":
        return f"{int(v)}"  # type: ignore[call-overload]
    if k == "number":
        x = float(v)  # type: ignore[arg-type]
        return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}"
    if k == "date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
        return ", ".join(str(x) for x in list(v))  # type: ignore[call-overload]
    return str(v)


def display(df: pd.DataFrame, regime_names: Mapping[str, str] | None = None, kinds: Mapping[str, str] | None = None
            ) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """(the frame as people read it, {label: kind}, {label: machine name}).

    Columns get their labels; regime ids become names (the id column is dropped when a name
    column is beside it); machine codes in cells become words (``VALUES``); text gaps read "—".
    Numbers stay numbers as the model gave them (shares as fractions), so a grid sorts them right;
    the grid writes them by kind (84.2%, 4.5) with "—" for a gap (``ui.table``).
    ``kinds`` sets the kind of columns by machine name (e.g. a table's own per-country columns);
    a numeric column of no known kind is 'number'."""
    out = df.copy()
    if "regime" in out.columns and "regime_name" in out.columns:
        out = out.drop(columns=["regime"])
    elif "regime" in out.columns and regime_names:
        out["regime"] = out["regime"].map(lambda r: regime_names.get(r, r))
    shown: dict[str, str] = {}
    machine: dict[str, str] = {}
    cols: dict[str, pd.Series] = {}
    for col in out.columns:
        k, s = (kinds or {}).get(str(col)) or kind(str(col)), out[col]
        if col in VALUES:
            s = s.map(lambda v, m=VALUES[col]: m.get(v, v) if isinstance(v, str) else v)
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if numeric:
            k = "number" if k in ("text", "bool", "date") else k
        elif not (k in ("bool", "date") and not s.map(is_missing).any()):
            s, k = s.map(lambda v, k=k: cell(v, k)), "text"
        name = label(str(col))
        while name in cols:   # two machine columns with one label (material, material_name)
            name += " "
        cols[name], shown[name], machine[name] = s, k, str(col)
    return pd.DataFrame(cols, index=out.index), shown, machine


def human_path(path: str) -> str:
    """'rules[1].materials[0]' -> 'Rule 2: materials, item 1' (1-based, in words); other paths as given."""
    m = re.fullmatch(r"(rules|sources)\[(\d+)\](.*)", path)
    if not m:
        return path
    head = f"{'Rule' if m[1] == 'rules' else 'Source'} {int(m[2]) + 1}"
    parts = [name or f"item {int(idx) + 1}" for name, idx in re.findall(r"\.(\w+)|\[(\d+)\]", m[3])]
    return head + (": " + ", ".join(parts) if parts else "")


def human_problem(problem: str) -> str:
    """'rules[1].controller: unknown country' -> 'Rule 2: controller — unknown country'."""
    m = re.match(r"((?:rules|sources)\[\d+\](?:\.\w+|\[\d+\])*): (.*)", problem, re.S)
    return f"{human_path(m[1])} — {m[2]}" if m else problem
