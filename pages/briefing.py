"""Briefing: a country's or a company's story as a PPTX deck and a PDF, ready for a briefing."""
import datetime as dt

import streamlit as st

from chokepoint import briefing, catalog, export, ui
from chokepoint.stockpile_csv import parse_stockpile_csv
from chokepoint.views import regime_dates

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

mats = catalog.materials()
library = ui.regime_library()

# ---- title ----------------------------------------------------------------------------------
st.title("Briefing pack")
st.markdown(
    "One file for a ministerial briefing or a board deck: a title slide, the three numbers that matter, one "
    "slide per chart with its source line and speaker notes stating the assumptions, and a methods and "
    "sources slide. The numbers are the ones the other pages show.")

# ---- what the pack is about: a country, or a company snapshot ---------------------------------
subject = st.radio("Pack for", ["country", "company"], horizontal=True, key="brief_subject",
                   format_func={"country": "a country", "company": "a company stockpile snapshot"}.get)
c1, c2 = st.columns(2)
as_of = c2.date_input("As of", dt.date.today(), key="brief_as_of",
                      help="Which measures are in force on this date: chosen by default; the others are labelled.")
dates = regime_dates.on(as_of, st.session_state.get("control_events_extra", ()))
regime_ids = c2.multiselect("Regimes", list(library), default=dates.defaults(library, reference=False),
                            key="brief_regimes", format_func=lambda r: dates.name(library[r]),
                            help="Months of cover is computed under each; the worst one is a key finding. By "
                                 "default the measures in force on the as-of date.")
c2.caption(dates.caveat)
if subject == "country":
    traded = briefing.traded_materials(ui.query)
    materials = c1.multiselect("Materials", traded, default=traded, key="brief_materials",
                               format_func=lambda m: mats[m].name,
                               help="Materials with trade data; the first one leads the pack.")
    countries = briefing.countries((materials or traded)[0], ui.query)
    country = c1.selectbox("Country", countries, index=countries.index("IND") if "IND" in countries else 0,
                           key="brief_country", format_func=lambda c: f"{catalog.country_name(c)} ({c})")
    choice = ("country", country, tuple(materials), tuple(regime_ids))
else:
    upload = c1.file_uploader("Company stockpile CSV", type=["csv", "txt"], key="brief_upload",
                              help="Same format as the template on the Months of cover page: site, material, "
                                   "on_hand, monthly_use, unit, supplier_country, supplier_share, site_country.")
    default_country = c1.text_input("Country of sites without site_country (optional)", key="brief_company_country")
    if upload is None:
        st.info("Upload a company stockpile CSV to build its pack.", icon=":material/upload_file:")
        st.stop()
    raw = upload.getvalue()
    parsed = parse_stockpile_csv(raw, filename=upload.name)
    if not parsed.ok:
        st.error(f"**{upload.name}** cannot be used ({len(parsed.errors)} problem(s)); nothing was read:\n\n"
                 + "\n".join(f"- {e}" for e in parsed.errors), icon=":material/error:")
        st.stop()
    choice = ("company", upload.name, upload.file_id, default_country, tuple(regime_ids))

# ---- build ----------------------------------------------------------------------------------------
problem = export.image_export_problem()
if problem:
    st.warning(f"Packs cannot be written on this server: {problem}", icon=":material/warning:")
if st.button("Build the pack", type="primary", key="brief_build", disabled=not regime_ids,
             icon=":material/slideshow:"):
    with st.spinner("Assembling the pack…"):
        try:
            regs = briefing.resolve_regimes(regime_ids, library, dates=dates)
            prov = ui.provenance(ui.data_dir())
            if subject == "country":
                pack = briefing.country_briefing(country, materials, regs, run=ui.query, provenance=prov, dates=dates)
            else:
                pack = briefing.company_briefing(parsed.lines, regs, name=upload.name.rsplit(".", 1)[0],
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
