"""Control regimes: the real measures, the regime library, and an editor for custom regimes."""
import datetime as dt

import duckdb
import streamlit as st

from chokepoint import catalog, constants, glossary, observed, regime_session, regime_status, regimes, scenarios, ui
from chokepoint.ui import urlstate
from chokepoint.views import cover as view_cover
from chokepoint.views import observed as view_observed
from chokepoint.views import overview as view_overview
from chokepoint.views import regime_dates

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

library = ui.regime_library()
custom = st.session_state.setdefault("custom_regimes", {})
draft = st.session_state.setdefault("regime_draft", {"name": "My regime", "rules": [], "id": None})
mats = catalog.materials()

# ---- title ----------------------------------------------------------------------------------
st.title("Control regimes")
st.markdown(
    "A regime is a named list of rules; each rule cuts the monthly supply of some materials from one "
    "controlling country to some destinations (approval rate after a licence delay, from a start month to an "
    "end month). Below: the real measures so far, the library of regimes with their sources and calibration, "
    "and an editor to build your own.")

# ---- timeline of real measures --------------------------------------------------------------
events = ui.query("control_timeline", controller=constants.CONTROLLER)
ui.chart(ui.view(view_overview.control_timeline, events).with_(id="regimes-timeline"))

# ---- status of each regime on a date, and events the user adds ----------------------------------
st.subheader("Which regimes are in force")
s1, s2 = st.columns([1, 3])
as_of = urlstate.day("as_of", "reg_as_of", dt.date.today())
s1.date_input("As of", key="reg_as_of",
              help="Status of each regime on this date, from the dated control timeline below.")
ev_up = s2.file_uploader(
    "Add control events (CSV or YAML)", type=["csv", "yml", "yaml"], key="reg_events",
    help="Columns: date, regime, action (imposed, suspended or lifted), measure, source; optional until (end of a "
         "suspension or of the measure), url, note. The whole file is checked first: nothing is added if any line "
         "is wrong. Kept for this session; Months of cover uses it too.")
if ev_up is not None and st.session_state.get("reg_events_seen") != ev_up.file_id:
    st.session_state["reg_events_seen"] = ev_up.file_id
    try:
        added = regime_status.load_events_bytes(ev_up.getvalue(), ev_up.name, known=list(library))
    except regime_status.EventsError as e:
        st.session_state["reg_events_errors"] = (ev_up.name, e.problems)
    else:
        st.session_state["reg_events_errors"] = None
        st.session_state["control_events_extra"] = added
if ev_up is None and st.session_state.get("reg_events_seen"):
    st.session_state["reg_events_seen"] = None        # file removed: back to the built-in timeline
    st.session_state["control_events_extra"] = ()
    st.session_state["reg_events_errors"] = None
if st.session_state.get("reg_events_errors"):
    fname, problems = st.session_state["reg_events_errors"]
    st.error(f"{fname} was not added — nothing was applied:\n\n" + "\n".join(f"- {p}" for p in problems))
dates = regime_dates.on(as_of, st.session_state.get("control_events_extra", ()))
if dates.timeline.user_events:
    st.success(f"{len(dates.timeline.user_events)} event(s) of yours merged into the timeline for this session.")
ui.table(dates.table(library).drop(columns=["regime"]).rename(columns={"name": "regime_name", "basis": "why"}),
         key="reg_status")
st.caption(dates.caveat + " A regime named by no event is a scenario; its name says so on every page and slide.")

# ---- the library ------------------------------------------------------------------------------
st.subheader("The regime library")
st.caption("Approval rates and delays are ESTIMATES calibrated on the figures named under each regime.")
for reg in library.values():
    with st.expander(f"{dates.name(reg)} · `{reg.id}` · {dates.status(reg.id).status}"):
        st.markdown(reg.description)
        ui.table(scenarios.rules_table(reg), key=f"reg_rules_{reg.id}")
        st.markdown("**Sources**\n" + "\n".join(f"- {s.title}" + (f" — {s.note}" if s.note else "")
                                                for s in reg.sources))
        st.markdown("**Calibration**")
        st.text(reg.calibration)
        st.download_button("Download YAML", lambda reg=reg: regimes.regime_to_yaml(reg), file_name=f"{reg.id}.yml",
                           mime="application/yaml", key=f"yaml-{reg.id}", icon=":material/download:")

# ---- editor: build, edit a custom regime rule by rule ---------------------------------------------
FORM_DEFAULTS = {"controller": "CHN", "materials": ["permanent_magnets"], "targets": "all", "approval_rate": 0.26,
                 "delay_months": 2, "start_month": 0, "end_month": 0, "extraterritorial": False}
FORM_KEYS = {"controller": "ed_controller", "materials": "ed_materials", "targets": "ed_targets",
             "approval_rate": "ed_approval", "delay_months": "ed_delay", "start_month": "ed_start",
             "end_month": "ed_end", "extraterritorial": "ed_extraterritorial"}


def _store_draft(name: str, rules: list, old_id: str | None) -> str | None:
    """Validate the draft's rules as a regime and keep it in the session; the problems, if any."""
    try:
        reg = scenarios.custom_regime(name, rules, taken=list(library),
                                          horizon_months=draft.get("horizon_months", regimes.DEFAULT_HORIZON))
    except regimes.RegimeError as e:
        return "\n".join(f"- {p}" for p in e.problems)
    if old_id and old_id != reg.id:
        custom.pop(old_id, None)
    draft.update(name=name, rules=rules, id=reg.id)
    custom[reg.id] = reg
    return None


def _edit_regime(rid: str) -> None:
    reg = custom.get(rid) or library[rid]
    st.session_state["regime_draft"] = regime_session.draft_of(reg)
    st.session_state["ed_name"] = st.session_state["regime_draft"]["name"]
    st.session_state.pop("ed_rule_pick", None)
    st.session_state["ed_replace"] = None


def _load_rule(index: int) -> None:
    rule = regimes.parse_regime({"id": "x", "name": "x", "rules": [draft["rules"][index]]}).rules[0]
    for k, v in regime_session.rule_inputs(rule).items():
        st.session_state[FORM_KEYS[k]] = v
    st.session_state["ed_replace"] = index


def _remove_rule(index: int) -> None:
    rules = regime_session.without_rule(draft["rules"], index)
    problem = _store_draft(draft["name"], rules, draft["id"])
    st.session_state["ed_flash"] = (f"Rule {index + 1} removed." if problem is None
                                    else f"Rule {index + 1} was not removed:\n\n{problem}")
    st.session_state["ed_replace"] = None
    st.session_state.pop("ed_rule_pick", None)


def _new_regime() -> None:
    st.session_state["regime_draft"] = {"name": "My regime", "rules": [], "id": None}
    st.session_state["ed_name"] = "My regime"
    st.session_state["ed_replace"] = None
    for k, v in FORM_DEFAULTS.items():
        st.session_state[FORM_KEYS[k]] = v


st.subheader("Build a custom regime")
st.markdown("Fill in a rule and add it; add as many rules as you need. The regime is kept for this session "
            "and appears in the regime choices on *Months of cover*, *Company stockpiles* and *Briefing*. "
            "To change a regime, open it for editing: a library regime is edited as a custom copy.")
pool_ids, pool_names = regime_session.regime_options(library, custom)
e1, e2, e3 = st.columns([3, 1, 1])
to_edit = e1.selectbox("Regime to edit", pool_ids, key="ed_pick", format_func=pool_names.get,
                       index=pool_ids.index(draft["id"]) if draft["id"] in pool_ids else 0)
e2.write("")
e2.button("Edit this regime", key="ed_edit", on_click=_edit_regime, args=(to_edit,), icon=":material/edit:")
e3.write("")
e3.button("Start a new regime", key="ed_new", on_click=_new_regime, icon=":material/add:")
if (flash := st.session_state.pop("ed_flash", None)):
    (st.success if flash.endswith("removed.") else st.error)(flash)
for k, v in FORM_DEFAULTS.items():
    st.session_state.setdefault(FORM_KEYS[k], v)
st.session_state.setdefault("ed_name", draft["name"])
replace = st.session_state.get("ed_replace")
if replace is not None and replace >= len(draft["rules"]):
    replace = st.session_state["ed_replace"] = None
with st.form("regime_editor"):
    name = st.text_input("Regime name", key="ed_name")
    f1, f2, f3 = st.columns([1, 2, 2])
    controller = f1.text_input("Controller (ISO3)", key="ed_controller")
    materials = f2.multiselect("Materials (ids or groups)", catalog.selector_names(), key="ed_materials",
                               help="Element ids cover every form; group names (rare_earths, "
                                    "titanium, magnesium, ...) cover the whole group.")
    targets = f3.text_input("Targets", key="ed_targets",
                            help="'all', a list such as 'USA, DEU', or 'except FRA, ITA'.")
    g1, g2, g3, g4, g5 = st.columns(5)
    approval = g1.slider("Approval rate", 0.0, 1.0, step=0.01, key="ed_approval",
                         help="Share of the normal monthly flow delivered once licences flow.\n\n"
                              + glossary.tip("approval-rate"))
    delay = g2.number_input("Delay (months)", 0, 36, step=1, key="ed_delay")
    start_m = g3.number_input("Start month", 0, 36, step=1, key="ed_start")
    end_m = g4.number_input("End month (0 = never)", 0, 600, step=1, key="ed_end")
    extra = g5.checkbox("Extraterritorial", key="ed_extraterritorial",
                        help="Also cuts third-country supply in proportion to that supplier's dependence on "
                             "the controller.\n\n" + glossary.tip("extraterritorial"))
    label = f"Save changes to rule {replace + 1}" if replace is not None else "Add rule and preview"
    submitted = st.form_submit_button(label, type="primary")
if submitted:
    rule = scenarios.rule_fields(controller, materials, targets, approval, delay, start_m, end_m, extra)
    rules = regime_session.with_rule(draft["rules"], rule, replace)
    problem = _store_draft(name, rules, draft["id"])
    if problem is not None:
        st.error(f"The rule was not {'changed' if replace is not None else 'added'}:\n\n{problem}")
    else:
        st.session_state["ed_replace"] = None

current = custom.get(draft["id"]) if draft["id"] else None
if current is not None:
    st.markdown(f"**{current.name}** · `{current.id}` — {len(current.rules)} rule(s)")
    table = scenarios.rules_table(current)
    table.insert(0, "rule", range(1, len(table) + 1))
    ui.table(table, key="ed_rules")
    b1, b2, b3, b4 = st.columns([2, 1, 1, 1])
    if current.rules:
        n = b1.selectbox("Rule", list(range(len(current.rules))), key="ed_rule_pick",
                         format_func=lambda i: f"Rule {i + 1}: {', '.join(current.rules[i].materials)} "
                                               f"from {current.rules[i].controller}")
        b2.write("")
        b2.button("Change it", key="ed_change_rule", on_click=_load_rule, args=(n,), icon=":material/edit:",
                  help="Loads the rule into the form above; save it from there.")
        b3.write("")
        b3.button(f"Remove rule {n + 1}", key="ed_remove_rule", on_click=_remove_rule, args=(n,),
                  icon=":material/delete:")
    b4.write("")
    b4.download_button("Download YAML", lambda: regimes.regime_to_yaml(current), file_name=f"{current.id}.yml",
                       mime="application/yaml", key="yaml-draft", icon=":material/download:")

# ---- upload a regime as YAML (asks before replacing a regime of the same id) -------------------
up = st.file_uploader("Upload a regime (YAML)", type=["yml", "yaml"], key="ed_upload")
if up is not None and st.session_state.get("ed_upload_seen") != up.file_id:
    st.session_state["ed_upload_seen"] = up.file_id
    st.session_state.pop("ed_upload_pending", None)
    st.session_state.pop("ed_upload_ok", None)
    try:
        loaded = regimes.load_regime_bytes(up.getvalue())   # bounded: 1 MB, no aliases, UTF-8 only
    except regimes.RegimeError as e:
        st.session_state["ed_upload_errors"] = e.problems
    else:
        st.session_state["ed_upload_errors"] = []
        if regime_session.upload_conflict(loaded, library, custom) is None:
            custom[loaded.id] = loaded
            st.session_state["ed_upload_ok"] = loaded.id
        else:
            st.session_state["ed_upload_pending"] = loaded


def _resolve_upload(action: str) -> None:
    loaded = st.session_state.pop("ed_upload_pending", None)
    if loaded is None or action == "cancel":
        st.session_state["ed_upload_ok"] = None
        return
    if action == "copy":
        loaded = regime_session.as_copy(loaded, list(library) + list(custom))
    custom[loaded.id] = loaded
    if draft.get("id") == loaded.id:       # the editor shows the replaced regime
        st.session_state["regime_draft"] = regime_session.draft_of(loaded)
    st.session_state["ed_upload_ok"] = loaded.id


pending = st.session_state.get("ed_upload_pending")
if st.session_state.get("ed_upload_errors"):
    st.error(f"{up.name if up else 'The file'} was not loaded — nothing was applied:\n\n"
             + "\n".join(f"- {p}" for p in st.session_state["ed_upload_errors"]))
elif pending is not None:
    kind = regime_session.upload_conflict(pending, library, custom)
    held = (library.get(pending.id) or custom.get(pending.id))
    where = "the regime library" if kind == "library" else "this session's custom regimes"
    st.warning(f"A regime with id `{pending.id}` is already in {where}: **{held.name if held else pending.id}**. "
               + ("Library regimes are not replaced: load the upload as a copy under a new id, or cancel."
                  if kind == "library" else f"Replace it with the uploaded **{pending.name}**, keep both (the upload "
                                            "gets a new id), or cancel?"), icon=":material/help:")
    a1, a2, a3, _ = st.columns([1, 1, 1, 3])
    if kind == "custom":
        a1.button("Replace it", key="ed_upload_replace", on_click=_resolve_upload, args=("replace",), type="primary")
    a2.button("Load as a copy", key="ed_upload_copy", on_click=_resolve_upload, args=("copy",))
    a3.button("Cancel", key="ed_upload_cancel", on_click=_resolve_upload, args=("cancel",))
elif st.session_state.get("ed_upload_ok") in custom:
    st.success(f"Loaded {custom[st.session_state['ed_upload_ok']].name} "
               f"(`{st.session_state['ed_upload_ok']}`) for this session.")

# ---- preview: a custom regime against a reference on a few countries -------------------------------
if custom:
    st.subheader("Preview the effect on months of cover")
    p1, p2, p3 = st.columns([2, 1, 2])
    ids = list(custom)
    pick = p1.selectbox("Custom regime", ids, index=ids.index(draft["id"]) if draft["id"] in ids else len(ids) - 1,
                        key="pv_regime", format_func=lambda i: custom[i].name)
    reg = custom[pick]
    covered = scenarios.regime_materials(reg, run=ui.query) or scenarios.country_materials(run=ui.query)
    material = p2.selectbox("Material", covered, key=f"pv_material_{pick}", format_func=lambda m: mats[m].name)
    ref = p2.selectbox("Reference", list(library), index=list(library).index(regimes.flagged(library, "reference")[0]), key="pv_ref",
                       format_func=lambda i: library[i].name)
    have = sorted(scenarios.country_inputs(material, run=ui.query)["holder"].unique(), key=catalog.country_name)
    default = [c for c in ("USA", "JPN", "DEU", "KOR", "IND") if c in have]
    countries = p3.multiselect("Countries", have, default=default, key=f"pv_countries_{material}",
                               format_func=catalog.country_name)
    prev = scenarios.preview(material, reg, countries, baseline=library[ref], run=ui.query)
    ui.chart(view_cover.preview(prev, key=f"regimes-preview-{pick}", regime_name=reg.name,
                                material=mats[material].short_name.lower(),
                                reference_ids=regimes.flagged(library, "reference")))
    st.caption("Industry inventory at the default 3 months; change it and see every country on *Months of cover*.")

# ---- observed flows after the controls, and each regime checked against them -----------------------
st.subheader("What importers actually received: observed flows and a backtest of every regime")
st.markdown(
    "Monthly customs data of the importers that publish it (United Kingdom: HMRC; Brazil: Comex Stat), "
    "imports from China and from everyone else against each importer's own pre-control baseline. "
    f"Baselines: the United Kingdom's **Jun–Dec 2024** mean, Brazil's **Jan–Mar 2025** mean (its series starts in "
    f"January 2025; April is left out because the controls took effect on 4 April). Each regime's modelled flow "
    f"from China starts in April 2025 (month 1); its **error** is the mean absolute error of the ratio to baseline "
    f"over the first {observed.ERROR_MONTHS} months (April–September 2025). The **implied approval rate** of a month "
    "is the observed ratio capped at 1.")
try:
    have = observed.observed_reporters(constants.MAGNETS, ui.query)
except duckdb.Error:
    have = []
if not have:
    st.info("The dataset in use has no monthly customs data (the built-in dataset has the UK and Brazil).")
else:
    o1, _ = st.columns([1, 3])
    rep = urlstate.choice("importer", "obs_reporter", have, have[0], label=catalog.country_name)
    o1.selectbox("Importer with monthly data", have, key="obs_reporter",
                 format_func=lambda c: f"{catalog.country_name(c)} ({c})")
    events = ui.query("control_timeline", controller=constants.CONTROLLER)
    ui.chart(ui.view(view_observed.flows, ui.view(observed.flows, rep, constants.MAGNETS, run=ui.query), events,
                     reporter=rep, material=constants.MAGNETS))
    refs = regimes.flagged(library, "reference")
    bt = ui.view(view_observed.backtest_frame, list(library.values()), rep, constants.MAGNETS, run=ui.query)
    ui.chart(ui.view(view_observed.backtest, bt, reporter=rep, material=constants.MAGNETS, reference_ids=refs))
    st.markdown("**Error of every regime against every importer's imports from China** (mean absolute error of "
                f"the ratio to baseline, first {observed.ERROR_MONTHS} months; 0 = the regime matched every month)")
    ui.table(ui.view(view_observed.error_table, {r.id: r for r in dates.labelled(library.values())}, have,
                     constants.MAGNETS, run=ui.query), key="obs_errors",
             kinds={f"{catalog.country_name(h)} ({h})": "ratio" for h in have})
    months = bt.drop_duplicates("period")[["period", "observed_t", "baseline_t", "observed_ratio",
                                           "implied_approval_rate"]]
    st.markdown(f"**Implied approval rate per month, {catalog.country_name(rep)}**")
    ui.table(months, key="obs_months")
    cal = ui.view(observed.calibrated_regime, rep, constants.MAGNETS, run=ui.query, taken=list(library))
    c1, c2, _ = st.columns([2, 1, 2])
    if c1.button(f"Use “{cal.name}” as a regime", key=f"obs_calibrate_{rep}", icon=":material/add:",
                 help="Adds the calibrated regime to this session's custom regimes: Months of cover and the other "
                      "pages that take custom regimes offer it."):
        custom[cal.id] = cal
        st.session_state["obs_calibrated_ok"] = cal.id
    c2.download_button("Download its YAML", lambda: regimes.regime_to_yaml(cal), file_name=f"{cal.id}.yml",
                       mime="application/yaml", key=f"obs_yaml_{rep}", icon=":material/download:")
    if st.session_state.get("obs_calibrated_ok") in custom:
        st.success(f"{custom[st.session_state['obs_calibrated_ok']].name} is in this session's custom regimes "
                   "(see *Months of cover*).")
    dest = ui.view(view_observed.destinations, ui.query)
    if dest is not None:
        ui.chart(dest)

urlstate.link()
ui.footer(["control_events", "trade_flows", "consumption", "stockpiles", "observed_monthly", "monthly_exports"])
