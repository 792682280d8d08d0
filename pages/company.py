"""Company stockpiles: upload a stockpile CSV, keep it in the workspace, stress-test it.

Session state (uploads live here and in the workspace, never in a global cache):
``company_uploads`` {file_id: {"raw", "result" (ParseResult), "name"}} holds the current upload
only; ``company_active`` is ("upload", file_id) or ("snapshot", snapshot_id); ``company_snapshot``
{"id", "name", "lines"} is the opened snapshot; ``company_flash`` a message for the next run.
"""
import datetime as dt

import pandas as pd
import streamlit as st

from chokepoint import (
    catalog,
    company,
    constants,
    cover,
    export,
    glossary,
    regime_session,
    regimes,
    scenarios,
    stockpile_xlsx,
    ui,
)
from chokepoint import workspace as ws
from chokepoint.ui import urlstate
from chokepoint.views import company as view_company
from chokepoint.views import regime_dates

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

TEMPLATE = catalog.ROOT / "data" / "templates" / "stockpile_template.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ss = st.session_state
tenant = ui.current_tenant()
store = ui.workspace()
library = ui.regime_library()
custom = ss.setdefault("custom_regimes", {})     # built or uploaded on Control regimes (this session)
DEFAULT_REGIMES = regimes.flagged(library, "default") + regimes.flagged(library, "retargetable")
REGIME_IDS, REGIME_NAMES = regime_session.regime_options(library, custom)


def downloads(df: pd.DataFrame, key: str, notes: list[str] | None = None) -> None:
    """CSV and XLSX of a table (formula-safe)."""
    row = st.container(horizontal=True, gap="small")
    row.download_button("CSV", export.to_csv_bytes(df), file_name=export.file_name(key, "csv"), mime="text/csv",
                        key=f"csv-{key}", on_click="ignore", icon=":material/table:", help="Formula-safe CSV")
    row.download_button("XLSX", lambda: export.to_xlsx_bytes(df, notes=notes), file_name=export.file_name(key, "xlsx"),
                        mime=XLSX, key=f"xlsx-{key}", on_click="ignore", icon=":material/table:",
                        help="Formula-safe XLSX")


def chart(spec, source: str) -> None:
    """A chart of company data with its exports (no built-in dataset behind it)."""
    ui.chart(spec, data_note=source)


# ---- callbacks: open, save, rename, delete (run before the page redraws) ----------------------
def _flash(kind: str, text: str) -> None:
    ss["company_flash"] = (kind, text)


def _open(snapshot_id: str) -> None:
    try:
        snap = store.open(tenant, snapshot_id)
    except ws.WorkspaceError as e:
        return _flash("error", str(e))
    ss["company_snapshot"] = {"id": snap.info.snapshot_id, "name": snap.info.name, "lines": snap.lines}
    ss["company_active"] = ("snapshot", snap.info.snapshot_id)
    _flash("success", f"Opened snapshot '{snap.info.name}' ({snap.info.rows} supply lines).")


def _save(file_id: str) -> None:
    up = ss["company_uploads"].get(file_id)
    try:
        info = store.save(tenant, ss.get("company_save_name", ""), up["result"], up["raw"])
    except ws.WorkspaceError as e:
        return _flash("error", f"Not saved: {e}")
    _flash("success", f"Saved to the workspace as '{info.name}' ({info.rows} supply lines).")


def _rename(snapshot_id: str) -> None:
    try:
        info = store.rename(tenant, snapshot_id, ss.get("company_rename", ""))
    except ws.WorkspaceError as e:
        return _flash("error", f"Not renamed: {e}")
    if ss.get("company_snapshot", {}).get("id") == snapshot_id:
        ss["company_snapshot"]["name"] = info.name
    ss["company_pick"] = snapshot_id         # the selection follows the renamed snapshot
    ss["company_confirm_delete"] = False
    _flash("success", f"Renamed to '{info.name}'.")


def _delete(snapshot_id: str, name: str) -> None:
    try:
        store.delete(tenant, snapshot_id)
    except ws.WorkspaceError as e:
        return _flash("error", f"Not deleted: {e}")
    if ss.get("company_active") == ("snapshot", snapshot_id):
        ss.pop("company_active", None)
        ss.pop("company_snapshot", None)
    ss["company_confirm_delete"] = False
    ss.pop("company_pick", None)
    _flash("success", f"Snapshot '{name}' deleted.")


# ---- comparing two snapshots: months of cover under each regime, the change, the inputs -------
@st.fragment
def compare_snapshots(snaps: list, by_id: dict) -> None:
    # keyed and tracked: it stays open while the list above changes (a save moves it down the page), and a
    # closed comparison computes nothing
    box = st.expander("Compare two snapshots: months of cover and what changed", icon=":material/compare_arrows:",
                      key="company_cmp_open", on_change="rerun")
    with box:
        if not box.open:
            return
        c1, c2, c3 = st.columns([2, 2, 3])
        ids = list(by_id)
        a = c1.selectbox("From (older)", ids, index=1, key="company_cmp_a", format_func=lambda i: by_id[i].name)
        b = c2.selectbox("To (newer)", ids, index=0, key="company_cmp_b", format_func=lambda i: by_id[i].name)
        cmp_ids = c3.multiselect("Regimes", REGIME_IDS, default=[r for r in DEFAULT_REGIMES if r in library],
                                 format_func=REGIME_NAMES.get, key="company_cmp_regimes")
        if a == b:
            st.info("Pick two different snapshots.", icon=":material/info:")
            return
        if not cmp_ids:
            st.warning("Pick at least one regime.")
            return
        try:
            sa, sb = store.open(tenant, a), store.open(tenant, b)
        except ws.WorkspaceError as e:
            st.error(f"Cannot compare: {e}")
            return
        target = ss.get("company_ban_target") or regime_session.DEFAULT_BAN_TARGET
        regs = scenarios.choose(library, cmp_ids, target=target, custom=custom)
        default_country = ss.get("company_country")
        dep = ((lambda ln: company.dependence_map(ln, ui.query)) if company.needs_dependence(regs) else None)
        na, nb = sa.info.name, sb.info.name
        result = view_company.snapshot_cover(sa.lines, sb.lines, regs, name_a=na, name_b=nb,
                                             key=f"snapshot-cover-{a}-{b}", default_country=default_country,
                                             dependence=dep)
        chart(result.spec, source=f"workspace snapshots '{na}' and '{nb}'")
        st.markdown("**Months of cover per site, material and regime in each snapshot** (ESTIMATES; "
                    f"{glossary.link('horizon-plus', '36+')} = not exhausted within the "
                    f"{glossary.link('horizon', 'horizon')}; a change with 'or more' is capped by the horizon)")
        ui.table(result.cover_display(na, nb), key="company_cmp_cover")
        downloads(result.cover, f"snapshot-cover-table-{a}-{b}", notes=[f"From '{na}' to '{nb}'"])
        st.markdown("**What changed in the inputs** (stock, use, site country and supply lines per holding)")
        ui.table(result.inputs_display(na, nb), key="company_cmp_inputs")
        downloads(result.inputs, f"snapshot-inputs-{a}-{b}", notes=[f"From '{na}' to '{nb}'"])


# ---- title -------------------------------------------------------------------------------------
st.title("Company stockpiles: how long does your inventory last?")
st.markdown(
    "Upload your stockpile CSV or Excel workbook — one row per site, material and supplier — and see, site by site and material "
    "by material, how many months your stock lasts under each control regime, which supplier lines drive the "
    "risk, and what a safety stock or a new supplier would change. The file stays in this session until you "
    "save it to your workspace.")
flash = ss.pop("company_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

# ---- the CSV format and the template ---------------------------------------------------------------
with st.expander("The CSV format: columns, units, dialects", icon=":material/description:"):
    st.markdown(
        "One row per (site, material, supplier line). Headers are case-insensitive and in any order.\n\n"
        "| column | required | meaning |\n|---|---|---|\n"
        "| material | yes | catalogue id, name or synonym (\"Dysprosium oxide\", \"NdFeB magnets\", \"titanium sponge\") |\n"
        "| on_hand | yes | stock at the site, >= 0 |\n"
        "| monthly_use | yes | consumption per month, >= 0 |\n"
        "| unit | no | t (default), kg, g, lb — applies to on_hand and monthly_use |\n"
        "| supplier_country | no | ISO2, ISO3 or English name (\"NA\" is Namibia) |\n"
        "| supplier_share | no | share of monthly_use from that supplier: 0–1 or \"80%\"; default 1 |\n"
        "| site | no | free label; default \"main\" |\n"
        "| site_country | no | ISO2/ISO3/name of the site's country (destination for targeted regimes) |\n\n"
        "Several rows with the same site and material are that material's supply lines: on_hand and monthly_use "
        "come from the first row (later rows leave them blank or repeat them); shares sum to at most 1. "
        "Encodings UTF-8 (with or without BOM), UTF-16 and Windows-1252; delimiters comma, semicolon or tab; "
        "decimal commas and thousands separators are read exactly. Anything that cannot be read exactly is "
        "rejected with its row and column — never guessed, never partly saved.\n\n"
        "**Excel workbooks (.xlsx)**: the same columns in the first sheet (or the sheet you choose), header in "
        "row 1; rows are numbered as Excel numbers them. Cells stored as numbers need no decimal convention; "
        "formulas are read as the value Excel saved with them and never run (a formula saved without a value "
        "is an error naming its cell).")
st.download_button("Download the template (CSV with example rows)", TEMPLATE.read_bytes(),
                   file_name="chokepoint-stockpile-template.csv", mime="text/csv", key="company_template",
                   icon=":material/download:", on_click="ignore")

# ---- upload --------------------------------------------------------------------------------------
st.subheader("1 · Upload a stockpile file")
up = st.file_uploader("Stockpile CSV or Excel workbook (max 25 MB)", type=["csv", "txt", "tsv", "xlsx"],
                      key="company_upload",
                      help="An .xlsx is read from its first sheet (choose another below); the same columns and "
                           "checks as a CSV, row numbers as Excel shows them. Formulas are read as the values "
                           "Excel saved, never run.")
uploads = ss.setdefault("company_uploads", {})
if up is not None and up.file_id not in uploads:
    raw = up.getvalue()
    uploads.clear()     # keep only the current upload in the session
    sheets = stockpile_xlsx.sheet_names(raw) if stockpile_xlsx.is_workbook(raw) else []
    uploads[up.file_id] = {"raw": raw, "name": up.name, "sheets": sheets, "sheet": sheets[0] if sheets else None,
                           "result": stockpile_xlsx.parse_stockpile_file(raw, filename=up.name)}
    ss["company_active"] = ("upload", up.file_id)
elif up is None and ss.get("company_active", ("",))[0] == "upload":
    uploads.clear()
    ss.pop("company_active", None)
if up is not None and len(uploads.get(up.file_id, {}).get("sheets") or []) > 1:   # a workbook: which sheet
    cur = uploads[up.file_id]
    # keyed by the upload: a new workbook gets a fresh picker (a reused key could keep showing the previous
    # file's sheet in the browser while the server reads the first sheet, so picking it again did nothing)
    sheet = st.selectbox("Sheet of the workbook", cur["sheets"], key=f"company_sheet_{up.file_id}",
                         help="The sheet that holds the stockpile table (header in row 1).")
    if sheet != cur["sheet"]:
        cur.update(sheet=sheet, result=stockpile_xlsx.parse_stockpile_file(cur["raw"], filename=cur["name"],
                                                                           sheet=sheet))

# ---- workspace: list, open, rename, delete, compare ---------------------------------------------------
st.subheader("2 · Or open a saved snapshot")
try:
    snaps, ws_down = store.list(tenant), None
except ws.WorkspaceUnavailable as e:     # server unreachable: the page goes on read-only
    snaps, ws_down = [], str(e)
if ws_down:
    st.warning(f"The workspace is unavailable: {ws_down}. Uploads, results and the built-in data still work; "
               "saving is off until it is back.", icon=":material/cloud_off:")
elif not snaps:
    st.caption("No saved snapshots yet: upload a file and save it to your workspace.")
else:
    by_id = {s.snapshot_id: s for s in snaps}
    listing = pd.DataFrame({"Name": [s.name for s in snaps],
                            "Saved (UTC)": [s.created_at.strftime("%Y-%m-%d %H:%M") for s in snaps],
                            "Supply lines": [s.rows for s in snaps], "File": [s.filename for s in snaps]})
    ui.table(listing, key="company_snapshots")
    w1, w2 = st.columns([3, 2])
    if ss.get("company_pick") not in by_id:
        ss.pop("company_pick", None)
    sid = w1.selectbox("Snapshot", list(by_id), key="company_pick",
                       format_func=lambda i: f"{by_id[i].name} — {by_id[i].created_at:%Y-%m-%d %H:%M}",
                       on_change=lambda: ss.update(company_confirm_delete=False))  # a confirmation is per snapshot
    with w2:
        st.write("")
        bar = st.container(horizontal=True, gap="small")
        bar.button("Open", key="company_open", on_click=_open, args=(sid,), icon=":material/folder_open:",
                   type="primary")
        bar.download_button("Original file", lambda: store.raw(tenant, sid), file_name=by_id[sid].filename,
                            mime=XLSX if by_id[sid].filename.lower().endswith(".xlsx") else "text/csv", key="company_raw", on_click="ignore", icon=":material/download:")
    r1, r2, r3 = st.columns([3, 1, 2])
    r1.text_input("New name", key="company_rename", max_chars=ws.NAME_MAX, placeholder=by_id[sid].name)
    r2.write("")
    r2.button("Rename", key="company_rename_btn", on_click=_rename, args=(sid,))
    r3.checkbox(f"Yes, delete '{by_id[sid].name}' ({by_id[sid].created_at:%Y-%m-%d %H:%M}, "
                f"{by_id[sid].rows} supply lines)", key="company_confirm_delete")
    r3.button(f"Delete '{by_id[sid].name}'", key="company_delete", on_click=_delete, args=(sid, by_id[sid].name),
              icon=":material/delete:", disabled=not ss.get("company_confirm_delete"))
    if len(snaps) >= 2:
        compare_snapshots(snaps, by_id)

# ---- preview of the upload: dialect, resolved materials, errors or warnings ---------------------------
active = ss.get("company_active")
lines, subject = None, None
if active and active[0] == "upload" and active[1] in uploads:
    cur = uploads[active[1]]
    res = cur["result"]
    st.subheader(f"Preview of {cur['name']}" + (f" (sheet '{cur['sheet']}')" if cur.get("sheets") else ""))
    st.markdown(f"Detected: **{res.dialect.describe()}** · {res.data_rows:,} data rows")
    if res.dialect.inferred():
        st.caption(f"Number format: {res.dialect.inferred()}; every cell of this file is read that way.")
    if not res.ok:
        shown = "\n".join(f"- {e}" for e in res.errors[:5])
        more = f"\n\n…and {len(res.errors) - 5} more in the table below." if len(res.errors) > 5 else ""
        st.error(f"**{len(res.errors)} error(s)** — the file was not read and nothing was saved. Fix these rows "
                 f"and upload the file again.\n\n{shown}{more}", icon=":material/error:")
        errs = pd.DataFrame([{"row": e.row, "column": e.column, "message": e.message, "suggestion": e.suggestion}
                             for e in res.errors]).astype({"row": "Int64"})
        ui.table(errs, key="company_errors")
        downloads(errs, "stockpile-errors")
    else:
        lines, subject = res.lines, cur["name"]
        mats = res.lines.drop_duplicates(["material_input", "material_id"])
        resolved = pd.DataFrame({"In the file": mats["material_input"], "Material id": mats["material_id"],
                                 "Catalogue name": mats["material_id"].map(lambda m: catalog.materials()[m].name)})
        p1, p2 = st.columns([2, 3])
        p1.markdown("**Materials resolved**")
        with p1:
            ui.table(resolved, key="company_resolved")
        p2.markdown(f"**Holdings** ({len(res.holdings)} site × material, {len(res.lines)} supply lines, tonnes)")
        with p2:
            ui.table(res.holdings[["site", "site_country", "material_id", "on_hand_t", "monthly_use_t", "n_lines",
                                   "unknown_share"]], key="company_holdings")
        s1, s2 = st.columns([3, 1])
        s1.text_input("Snapshot name", value=cur["name"].rsplit(".", 1)[0][:ws.NAME_MAX], key="company_save_name",
                      max_chars=ws.NAME_MAX)
        s2.write("")
        s2.button("Save to workspace", key="company_save", on_click=_save, args=(active[1],), type="primary",
                  icon=":material/save:", disabled=ws_down is not None)
    if res.warnings:
        with st.expander(f"{len(res.warnings)} warning(s) — read, not blocking", expanded=not res.ok,
                         icon=":material/warning:"):
            ui.table(pd.DataFrame([{"row": w.row, "column": w.column, "message": w.message,
                                    "suggestion": w.suggestion} for w in res.warnings]).astype({"row": "Int64"}),
                     key="company_warnings")
elif active and active[0] == "snapshot" and ss.get("company_snapshot", {}).get("id") == active[1]:
    snap = ss["company_snapshot"]
    lines, subject = snap["lines"], snap["name"]
    st.info(f"Showing saved snapshot **{snap['name']}** ({len(lines)} supply lines).", icon=":material/folder_open:")

if lines is None:
    st.stop()

# ---- results: settings --------------------------------------------------------------------------------
st.subheader(f"3 · Months of cover: {subject}")
o1, o2, o3 = st.columns([3, 2, 1])
reg_ids = urlstate.choices("regimes", "company_regimes", REGIME_IDS, [r for r in DEFAULT_REGIMES if r in library],
                           label=REGIME_NAMES.get)
o1.multiselect("Regimes", REGIME_IDS, format_func=REGIME_NAMES.get, key="company_regimes",
               help="The regime library, plus custom regimes built or uploaded on *Control regimes* "
                    "(this session).")
isos = company.country_options()
default_country = o2.selectbox("Country of sites without a site_country", isos, index=None,
                               format_func=lambda c: f"{catalog.country_name(c)} ({c})", key="company_country",
                               placeholder="none (destination unknown)")
start = o3.date_input("Start of controls", value=dt.date.today(), key="company_start",
                      help="From this date (default today). A regime not in force on it (suspended, not yet in "
                           "force) starts when the control timeline says it comes into force; scenarios start here.")
target = regime_session.DEFAULT_BAN_TARGET
if regime_session.needs_target(library, reg_ids):
    target = urlstate.choice("target", "company_ban_target", isos, target if target in isos else isos[0],
                             label=catalog.country_name)
    o2.selectbox("Ban targets", isos, key="company_ban_target", format_func=lambda c: f"{catalog.country_name(c)} ({c})",
                 help="The country the 'ban on one country' regime is aimed at, for this run.")
else:
    urlstate.drop("target")
urlstate.link()                         # the choices only: the stockpile itself stays in the session
if not reg_ids:
    st.warning("Pick at least one regime.")
    st.stop()
reg_dates = regime_dates.on(start, ss.get("control_events_extra", ()))
regs = reg_dates.labelled(scenarios.choose(library, reg_ids, target=target, custom=custom))
reg_starts = reg_dates.starts(regs, start)
reg_by_id = {r.id: r for r in regs}
st.caption(reg_dates.caveat)
dep = company.dependence_map(lines, ui.query) if company.needs_dependence(regs) else None
res_all = company.results(lines, regs, default_country=default_country, dependence=dep, start=start,
                          starts=reg_starts)
scope = f"{subject}, start {start:%d %b %Y}"

# ---- results: earliest run-out and the heatmap ---------------------------------------------------------
first = company.earliest_runout(res_all)
m1, m2, m3 = st.columns(3)
if first:
    m1.metric("Earliest run-out", f"{first['months']:.1f} months", f"on {first['runout_date']:%d %b %Y}",
              delta_color="off", delta_arrow="off", help="Across every site, material and selected regime. ESTIMATE.")
    m1.caption(f"{first['site']} · {first['material_name']} under {first['regime_name']}")
else:
    m1.metric("Earliest run-out", "none", "nothing runs out within the horizon", delta_color="off")
holdings = res_all.drop_duplicates(["site", "material_id"])
m2.metric("Sites · holdings", f"{holdings['site'].nunique()} · {len(holdings)}")
runs_out = res_all[res_all["state"] == cover.EXHAUSTED].drop_duplicates(["site", "material_id"])
m3.metric("Holdings that run out under some regime", f"{len(runs_out)} of {len(holdings)}")
for n in company.notes(lines, res_all, default_country):
    st.info(n, icon=":material/info:")

focus_ids = list(reg_by_id)
if ss.get("company_focus") not in focus_ids:
    ss.pop("company_focus", None)
focus = st.segmented_control("Regime for the charts", focus_ids, default=focus_ids[0], key="company_focus",
                             format_func=lambda r: reg_by_id[r].name) or focus_ids[0]
res_focus = res_all[res_all["regime"] == focus]
chart(view_company.site_heatmap(res_focus, key=f"company-heatmap-{focus}", regime_name=reg_by_id[focus].name,
                               scope=scope),
      source=f"{subject} (your upload); regime library")

# ---- results: the table per site x material x regime -------------------------------------------------------
st.markdown("**Every site, material and regime** — months of cover, state, run-out date and the share of use "
            "under control (ESTIMATES).")
table = res_all[["site", "material_name", "regime", "months", "state", "runout_date", "controlled_share",
                 "extraterritorial_share", "unknown_share", "on_hand_t", "monthly_use_t", "destination",
                 "destination_basis", "dependence_missing"]]
ui.table(table, key="company_results", regime_names={r: reg.name for r, reg in reg_by_id.items()})
downloads(res_all, "company-cover", notes=[f"Data: {subject}", f"Start of controls {start}"]
          + company.notes(lines, res_all, default_country))

# ---- drivers of risk: which supplier lines are cut -------------------------------------------------------
st.subheader("4 · Which supplier lines drive the risk")
drv_all = company.drivers(lines, regs, default_country=default_country, dependence=dep)
drv = drv_all[drv_all["regime"] == focus]
chart(view_company.drivers(drv, key=f"company-drivers-{focus}", regime_name=reg_by_id[focus].name),
      source=f"{subject} (your upload); regime library")
ui.table(drv[["rank", "site", "material_name", "supplier_name", "supplier_share", "cut_kind", "cut_share_12m",
              "cut_t_per_month_12m", "cut_t_per_month_peak", "cut_share_peak", "dependence", "note",
              "supplier_country"]], key="company_drivers")
downloads(drv_all, "company-drivers")


# ---- what-if: safety stock, supplier switch, regime (recomputes this panel only) ------------------------------
@st.fragment
def what_if(lines: pd.DataFrame, default_country: str | None, start: dt.date, subject: str, target: str) -> None:
    st.subheader("5 · What if…")
    st.caption("Change one thing and see the months of cover move. Nothing here changes your file or workspace.")
    hold = lines.drop_duplicates(["site", "material_id"])
    labels = {f"{s}\x1f{m}": company.holding_label(s, m) for s, m in zip(hold["site"], hold["material_id"])}
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Add safety stock**")
        where = st.selectbox("To", ["*"] + list(labels), key="wi_stock_scope",
                             format_func=lambda k: "every holding" if k == "*" else labels[k])
        unit = st.radio("In", ["months of use", "tonnes"], horizontal=True, key="wi_stock_unit")
        amount = st.number_input("Amount", min_value=0.0, value=0.0, step=1.0, key="wi_stock_amount")
    with c2:
        st.markdown("**Switch supplier share**")
        pick = st.selectbox("Holding", list(labels), key="wi_switch_holding", format_func=labels.get)
        site, mat = pick.split("\x1f")
        suppliers = company.suppliers_of(lines, site, mat)
        src = st.selectbox("From", suppliers, key=f"wi_switch_from_{pick}", format_func=catalog.country_name,
                           index=suppliers.index(constants.CONTROLLER) if constants.CONTROLLER in suppliers else 0) if suppliers else None
        to_opts = company.country_options(exclude=[constants.CONTROLLER, src or ""])
        dst = st.selectbox("To", to_opts, key="wi_switch_to", format_func=catalog.country_name,
                           index=to_opts.index("AUS") if "AUS" in to_opts else 0)
        pts = st.slider("Percentage points of monthly use", 0, 100, 0, key="wi_switch_pp", disabled=src is None)
    with c3:
        st.markdown("**Change the regime**")
        first = next((r for r in ss.get("company_regimes") or DEFAULT_REGIMES if r in REGIME_IDS), REGIME_IDS[0])
        reg_id = st.selectbox("Regime", REGIME_IDS, key="wi_regime", format_func=REGIME_NAMES.get,
                              index=REGIME_IDS.index(first))
    reg = scenarios.choose(library, [reg_id], target=target, custom=custom)[0]
    changed, wl = [], lines
    try:
        if amount > 0:
            s, m = (None, None) if where == "*" else where.split("\x1f")
            wl = company.add_safety_stock(wl, site=s, material_id=m, **({"months": amount} if unit == "months of use"
                                                                       else {"tonnes": amount}))
            changed.append(f"+{amount:g} {'months' if unit == 'months of use' else 't'} of stock")
        if pts > 0 and src is not None:
            wl = company.switch_share(wl, from_country=src, to_country=dst, points=pts, site=site, material_id=mat)
            changed.append(f"{pts} percentage points from {catalog.country_name(src)} to {catalog.country_name(dst)}")
    except company.WhatIfError as e:
        st.error(str(e))
        return
    dep_b = company.dependence_map(lines, ui.query) if company.needs_dependence([reg]) else None
    dep_w = company.dependence_map(wl, ui.query) if company.needs_dependence([reg]) else None
    base = company.results(lines, [reg], default_country=default_country, dependence=dep_b, start=start)
    after = company.results(wl, [reg], default_country=default_country, dependence=dep_w, start=start)
    cmp = company.compare(base, after)
    label = "; ".join(changed) or "No change"
    fb, fa = company.earliest_runout(base), company.earliest_runout(after)
    k1, k2 = st.columns(2)
    k1.metric("Earliest run-out, as uploaded", f"{fb['months']:.1f} months" if fb else "none")
    k2.metric("Earliest run-out, what-if", f"{fa['months']:.1f} months" if fa else "none",
              f"{fa['months'] - fb['months']:+.1f} months" if fa and fb else None)
    chart(view_company.what_if(cmp, key=f"company-what-if-{reg_id}", change=label),
          source=f"{subject} (your upload) with the what-if changes; regime library")
    ui.table(cmp.drop(columns=["material_id", "regime", "regime_name", "horizon_months"]), key="wi_table")
    downloads(cmp, "company-what-if", notes=[f"What-if: {label}", f"Regime: {reg.name}"])


what_if(lines, default_country, start, subject, target)

# ---- how it is computed --------------------------------------------------------------------------------------
with st.expander("How these numbers are computed", icon=":material/functions:"):
    st.markdown(
        "Each site and material is simulated month by month: inflow = use × Σ supplier share × "
        "the share the regime still lets through; the shortfall is drawn from stock; months of cover is when the "
        "stock reaches zero (linear within the month). A regime's rules target destinations by the **site's "
        "country**. Supply of unknown origin (no supplier_country, or shares below 100%) keeps arriving and is "
        "reported as unknown share. Extraterritorial rules also cut third-country suppliers in proportion to "
        "their own dependence on China, taken from the Exposure page's look-through where the material maps to a "
        "traded line (magnets, magnesium, titanium); elsewhere it is unknown and listed. Run-out dates add "
        f"months × {constants.DAYS_PER_MONTH} days (365.25 / 12) to the start. Driver cuts: worst month and the average of the first 12 months.")
