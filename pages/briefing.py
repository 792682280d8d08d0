"""Briefing: a country's or a company's story as a PPTX deck and a PDF, ready for a briefing."""
import datetime as dt

import streamlit as st

from chokepoint import briefing, catalog, company, export, regime_session, scenarios, ui
from chokepoint import workspace as ws
from chokepoint.stockpile_xlsx import parse_stockpile_file
from chokepoint.ui import urlstate
from chokepoint.views import regime_dates

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

mats = catalog.materials()
library = ui.regime_library()
custom = st.session_state.setdefault("custom_regimes", {})     # built or uploaded on Control regimes
regime_options, regime_names = regime_session.regime_options(library, custom)

# ---- title ----------------------------------------------------------------------------------
st.title("Briefing pack")
st.markdown(
    "One file for a ministerial briefing or a board deck: a title slide, the three numbers that matter, one "
    "slide per chart with its source line and speaker notes stating the assumptions, and a methods and "
    "sources slide. The numbers are the ones the other pages show.")

# ---- what the pack is about: a country, or a company snapshot ---------------------------------
KINDS = {"country": "a country", "company": "a company stockpile snapshot"}
subject = urlstate.choice("kind", "brief_subject", list(KINDS), "country", label=KINDS.get)
st.radio("Pack for", list(KINDS), horizontal=True, key="brief_subject", format_func=KINDS.get)
c1, c2 = st.columns(2)
as_of = urlstate.day("as_of", "brief_as_of", dt.date.today())
c2.date_input("As of", key="brief_as_of",
              help="Which measures are in force on this date: chosen by default; the others are labelled.")
dates = regime_dates.on(as_of, st.session_state.get("control_events_extra", ()))
regime_label = {r: dates.name(library[r]) if r in library else regime_names[r] for r in regime_options}
regime_ids = urlstate.choices("regimes", "brief_regimes", regime_options, dates.defaults(library, reference=False),
                              label=regime_label.get)
c2.multiselect("Regimes", regime_options, key="brief_regimes", format_func=regime_label.get,
               help="Months of cover is computed under each; the worst one is a key finding. By "
                    "default the measures in force on the as-of date. Custom regimes built or "
                    "uploaded on *Control regimes* are listed too (this session).")
c2.caption(dates.caveat)
target = regime_session.DEFAULT_BAN_TARGET
if regime_session.needs_target(library, regime_ids):
    isos = company.country_options()
    target = urlstate.choice("target", "brief_ban_target", isos, target if target in isos else isos[0],
                             label=catalog.country_name)
    c2.selectbox("Ban targets", isos, key="brief_ban_target", format_func=lambda c: f"{catalog.country_name(c)} ({c})",
                 help="The country the 'ban on one country' regime is aimed at, for this pack.")
else:
    urlstate.drop("target")
if subject == "country":
    traded = briefing.traded_materials(ui.query)
    materials = urlstate.choices("materials", "brief_materials", traded, traded, label=lambda m: mats[m].name)
    c1.multiselect("Materials", traded, key="brief_materials", format_func=lambda m: mats[m].name,
                   help="Materials with trade data; the first one leads the pack.")
    countries = briefing.countries((materials or traded)[0], ui.query)
    country = urlstate.choice("country", "brief_country", countries, "IND" if "IND" in countries else countries[0],
                              label=catalog.country_name)
    c1.selectbox("Country", countries, key="brief_country", format_func=lambda c: f"{catalog.country_name(c)} ({c})")
    urlstate.link()
    choice = ("country", country, tuple(materials), tuple(regime_ids), target)
else:
    tenant, store = ui.current_tenant(), ui.workspace()
    try:
        snaps, ws_down = store.list(tenant), None
    except ws.WorkspaceUnavailable as e:       # server unreachable: uploads still work
        snaps, ws_down = [], str(e)
    urlstate.drop("materials", "country")
    urlstate.link()                     # the file or snapshot is the user's own: never in the link
    source = c1.radio("Stockpile from", ["snapshot", "upload"], horizontal=True, key="brief_source",
                      index=0 if snaps else 1,
                      format_func={"snapshot": "a saved snapshot", "upload": "a file upload"}.get)
    if source == "snapshot":
        if ws_down:
            st.warning(f"The workspace is unavailable: {ws_down}. Upload the file instead.",
                       icon=":material/cloud_off:")
            st.stop()
        if not snaps:
            st.info("No saved snapshots yet: save one on *Company stockpiles*, or upload a file here.",
                    icon=":material/folder_open:")
            st.stop()
        by_id = {s.snapshot_id: s for s in snaps}
        sid = c1.selectbox("Snapshot", list(by_id), key="brief_snapshot",
                           format_func=lambda i: f"{by_id[i].name} — {by_id[i].created_at:%Y-%m-%d %H:%M}, "
                                                 f"{by_id[i].rows} supply lines")
        try:
            snap = store.open(tenant, sid)
        except ws.WorkspaceError as e:
            st.error(f"The snapshot cannot be opened: {e}", icon=":material/error:")
            st.stop()
        lines, pack_name, ident = snap.lines, snap.info.name, ("snapshot", sid)
    else:
        upload = c1.file_uploader("Company stockpile CSV or Excel workbook", type=["csv", "txt", "xlsx"],
                                  key="brief_upload",
                                  help="Same format as on Company stockpiles: site, material, on_hand, monthly_use, "
                                       "unit, supplier_country, supplier_share, site_country (an .xlsx: its first "
                                       "sheet).")
        if upload is None:
            st.info("Upload a company stockpile file to build its pack.", icon=":material/upload_file:")
            st.stop()
        parsed = parse_stockpile_file(upload.getvalue(), filename=upload.name)
        if not parsed.ok:
            st.error(f"**{upload.name}** cannot be used ({len(parsed.errors)} problem(s)); nothing was read:\n\n"
                     + "\n".join(f"- {e}" for e in parsed.errors), icon=":material/error:")
            st.stop()
        lines, pack_name, ident = parsed.lines, upload.name.rsplit(".", 1)[0], ("upload", upload.file_id)
    default_country = c1.text_input("Country of sites without site_country (optional)", key="brief_company_country")
    choice = ("company", pack_name, ident, default_country, tuple(regime_ids), target)

# ---- build ----------------------------------------------------------------------------------------
problem = export.image_export_problem()
if problem:
    st.warning(f"Packs cannot be written on this server: {problem}", icon=":material/warning:")
if st.button("Build the pack", type="primary", key="brief_build", disabled=not regime_ids,
             icon=":material/slideshow:"):
    with st.spinner("Assembling the pack…"):
        try:
            regs = dates.labelled(scenarios.choose(library, regime_ids, target=target, custom=custom))
            prov = ui.provenance(ui.data_dir())
            if subject == "country":
                pack = briefing.country_briefing(country, materials, regs, run=ui.query, provenance=prov, dates=dates)
            else:
                pack = briefing.company_briefing(lines, regs, name=pack_name,
                                                 default_country=default_country or None, run=ui.query,
                                                 provenance=prov, dates=dates)
        except briefing.BriefingInputError as e:
            st.error(str(e), icon=":material/error:")
            st.stop()
    st.session_state["brief_pack"] = (choice, pack)

stored = st.session_state.get("brief_pack")
if not stored or stored[0] != choice:
    st.caption("Choose, then build: the slides are listed here before you download them.")
    st.stop()
pack = stored[1]

# ---- the pack: key findings, downloads, slide list ------------------------------------------------
st.subheader(pack.title)
cols = st.columns(len(pack.findings) or 1)
for col, f in zip(cols, pack.findings):
    col.metric(f.label, f.value, help=f"Source: {f.source}")
d1, d2 = st.columns(2)
for col, fmt, label in ((d1, "pptx", "Download PPTX deck"), (d2, "pdf", "Download PDF")):
    col.download_button(label, data=lambda fmt=fmt: export.pack_bytes(pack, fmt),
                        file_name=export.file_name(pack.stem, fmt), mime=export.PACK_FORMATS[fmt],
                        key=f"brief-{fmt}", on_click="ignore", disabled=problem is not None, type="primary",
                        icon=":material/download:", help=problem or f"{fmt.upper()}, 16:9, {len(pack.slides)} slides")
st.markdown("**Slides**")
st.markdown("\n".join(f"{i}. {title}" + (" *(chart)*" if kind == "chart" else "")
                      for i, (kind, title) in enumerate(pack.outline(), 1)))
with st.expander("Speaker notes (assumptions) per slide"):
    for i, s in enumerate(pack.slides, 1):
        if s.notes:
            st.markdown(f"**{i}. {s.title}**")
            st.text(s.notes)

ui.footer(sorted({t for c in pack.charts for t in c.tables}))
