"""Control regimes: the real measures, the regime library, and an editor for custom regimes."""
import datetime as dt

import duckdb
import streamlit as st

from chokepoint import catalog, constants, observed, regime_status, regimes, scenarios, ui
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
ui.chart(view_overview.control_timeline(events).with_(id="regimes-timeline"))

# ---- status of each regime on a date, and events the user adds ----------------------------------
st.subheader("Which regimes are in force")
s1, s2 = st.columns([1, 3])
as_of = s1.date_input("As of", dt.date.today(), key="reg_as_of",
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
    st.error(f"{fname} was not added — nothing was applied:\n\n" + "\n".join(f"- `{p}`" for p in problems))
dates = regime_dates.on(as_of, st.session_state.get("control_events_extra", ()))
if dates.timeline.user_events:
    st.success(f"{len(dates.timeline.user_events)} event(s) of yours merged into the timeline for this session.")
st.dataframe(dates.table(library), hide_index=True, width="stretch",
             column_config={"effective_from": st.column_config.DateColumn("effective from"),
                            "effective_to": st.column_config.DateColumn("effective to"),
                            "suspended_until": st.column_config.DateColumn("suspended until"),
                            "in_force_from": st.column_config.DateColumn("in force from (per the timeline)"),
                            "basis": st.column_config.TextColumn("why", width="large")})
st.caption(dates.caveat + " A regime named by no event is a scenario; its name says so on every page and slide.")

# ---- the library ------------------------------------------------------------------------------
st.subheader("The regime library")
st.caption("Approval rates and delays are ESTIMATES calibrated on the figures named under each regime.")
for reg in library.values():
    with st.expander(f"{dates.name(reg)} · `{reg.id}` · {dates.status(reg.id).status}"):
        st.markdown(reg.description)
        st.dataframe(scenarios.rules_table(reg), hide_index=True, width="stretch",
                     column_config={"approval_rate": st.column_config.NumberColumn("approval rate", format="%.2f")})
        st.markdown("**Sources**\n" + "\n".join(f"- {s.title}" + (f" — {s.note}" if s.note else "")
                                                for s in reg.sources))
        st.markdown("**Calibration**")
        st.text(reg.calibration)
        st.download_button("Download YAML", regimes.regime_to_yaml(reg), file_name=f"{reg.id}.yml",
                           mime="application/yaml", key=f"yaml-{reg.id}", icon=":material/download:")

# ---- editor: build a custom regime rule by rule ------------------------------------------------
st.subheader("Build a custom regime")
st.markdown("Fill in a rule and add it; add as many rules as you need. The regime is kept for this session "
            "and appears in the regime choices on *Months of cover*.")
with st.form("regime_editor"):
    name = st.text_input("Regime name", draft["name"], key="ed_name")
    f1, f2, f3 = st.columns([1, 2, 2])
    controller = f1.text_input("Controller (ISO3)", "CHN", key="ed_controller")
    materials = f2.multiselect("Materials (ids or groups)", catalog.selector_names(), default=["permanent_magnets"],
                               key="ed_materials", help="Element ids cover every form; group names (rare_earths, "
                                                        "titanium, magnesium, ...) cover the whole group.")
    targets = f3.text_input("Targets", "all", key="ed_targets",
                            help="'all', a list such as 'USA, DEU', or 'except FRA, ITA'.")
    g1, g2, g3, g4, g5 = st.columns(5)
    approval = g1.slider("Approval rate", 0.0, 1.0, 0.26, 0.01, key="ed_approval",
                         help="Share of the normal monthly flow delivered once licences flow.")
    delay = g2.number_input("Delay (months)", 0, 36, 2, 1, key="ed_delay")
    start_m = g3.number_input("Start month", 0, 36, 0, 1, key="ed_start")
    end_m = g4.number_input("End month (0 = never)", 0, 600, 0, 1, key="ed_end")
    extra = g5.checkbox("Extraterritorial", key="ed_extraterritorial",
                        help="Also cuts third-country supply in proportion to that supplier's dependence on "
                             "the controller.")
    submitted = st.form_submit_button("Add rule and preview", type="primary")
if submitted:
    rule = scenarios.rule_fields(controller, materials, targets, approval, delay, start_m, end_m, extra)
    try:
        reg = scenarios.custom_regime(name, draft["rules"] + [rule], taken=list(library))
    except regimes.RegimeError as e:
        st.error("The rule was not added:\n\n" + "\n".join(f"- `{p}`" for p in e.problems))
    else:
        if draft["id"] and draft["id"] != reg.id:
            custom.pop(draft["id"], None)
        draft.update(name=name, rules=draft["rules"] + [rule], id=reg.id)
        custom[reg.id] = reg

current = custom.get(draft["id"]) if draft["id"] else None
if current is not None:
    st.markdown(f"**{current.name}** · `{current.id}` — {len(current.rules)} rule(s)")
    st.dataframe(scenarios.rules_table(current), hide_index=True, width="stretch")
    b1, b2, _ = st.columns([1, 1, 3])
    b1.download_button("Download YAML", regimes.regime_to_yaml(current), file_name=f"{current.id}.yml",
                       mime="application/yaml", key="yaml-draft", icon=":material/download:")
    if b2.button("Start a new regime", key="ed_new"):
        st.session_state["regime_draft"] = {"name": "My regime", "rules": [], "id": None}
        st.rerun()

# ---- upload a regime as YAML -----------------------------------------------------------------
up = st.file_uploader("Upload a regime (YAML)", type=["yml", "yaml"], key="ed_upload")
if up is not None and st.session_state.get("ed_upload_seen") != up.file_id:
    st.session_state["ed_upload_seen"] = up.file_id
    try:
        loaded = regimes.load_regime_bytes(up.getvalue())   # bounded: 1 MB, no aliases, UTF-8 only
    except regimes.RegimeError as e:
        st.session_state["ed_upload_errors"] = e.problems
    else:
        st.session_state["ed_upload_errors"] = []
        if loaded.id in library:
            loaded = scenarios.custom_regime(loaded.name, regimes.regime_to_dict(loaded)["rules"], taken=list(library),
                                             horizon_months=loaded.horizon_months, description=loaded.description)
        custom[loaded.id] = loaded
        st.session_state["ed_upload_ok"] = loaded.id
if st.session_state.get("ed_upload_errors"):
    st.error(f"{up.name if up else 'The file'} was not loaded — nothing was applied:\n\n"
             + "\n".join(f"- `{p}`" for p in st.session_state["ed_upload_errors"]))
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
    rep = o1.selectbox("Importer with monthly data", have, key="obs_reporter",
                       format_func=lambda c: f"{catalog.country_name(c)} ({c})")
    events = ui.query("control_timeline", controller=constants.CONTROLLER)
    ui.chart(view_observed.flows(observed.flows(rep, constants.MAGNETS, run=ui.query), events, reporter=rep,
                                 material=constants.MAGNETS))
    refs = regimes.flagged(library, "reference")
    bt = view_observed.backtest_frame(list(library.values()), rep, constants.MAGNETS, run=ui.query)
    ui.chart(view_observed.backtest(bt, reporter=rep, material=constants.MAGNETS, reference_ids=refs))
    st.markdown("**Error of every regime against every importer's imports from China** (mean absolute error of "
                f"the ratio to baseline, first {observed.ERROR_MONTHS} months; 0 = the regime matched every month)")
    st.dataframe(view_observed.error_table(library, have, constants.MAGNETS, run=ui.query), hide_index=True,
                 width="stretch", column_config={c: st.column_config.NumberColumn(c, format="%.2f")
                                                 for c in (f"{catalog.country_name(h)} ({h})" for h in have)})
    months = bt.drop_duplicates("period")[["period", "observed_t", "baseline_t", "observed_ratio",
                                           "implied_approval_rate"]]
    st.markdown(f"**Implied approval rate per month, {catalog.country_name(rep)}**")
    st.dataframe(months, hide_index=True, width="stretch",
                 column_config={"observed_t": st.column_config.NumberColumn("imports from China (t)", format="%.1f"),
                                "baseline_t": st.column_config.NumberColumn("baseline (t/month)", format="%.1f"),
                                "observed_ratio": st.column_config.NumberColumn("ratio to baseline", format="%.2f"),
                                "implied_approval_rate": st.column_config.NumberColumn("implied approval rate",
                                                                                       format="%.2f")})
    cal = observed.calibrated_regime(rep, constants.MAGNETS, run=ui.query, taken=list(library))
    c1, c2, _ = st.columns([2, 1, 2])
    if c1.button(f"Use “{cal.name}” as a regime", key=f"obs_calibrate_{rep}", icon=":material/add:",
                 help="Adds the calibrated regime to this session's custom regimes: Months of cover and the other "
                      "pages that take custom regimes offer it."):
        custom[cal.id] = cal
        st.session_state["obs_calibrated_ok"] = cal.id
    c2.download_button("Download its YAML", regimes.regime_to_yaml(cal), file_name=f"{cal.id}.yml",
                       mime="application/yaml", key=f"obs_yaml_{rep}", icon=":material/download:")
    if st.session_state.get("obs_calibrated_ok") in custom:
        st.success(f"{custom[st.session_state['obs_calibrated_ok']].name} is in this session's custom regimes "
                   "(see *Months of cover*).")
    dest = view_observed.destinations(ui.query)
    if dest is not None:
        ui.chart(dest)

ui.footer(["control_events", "trade_flows", "consumption", "stockpiles", "observed_monthly", "monthly_exports"])
