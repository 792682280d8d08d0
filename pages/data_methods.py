"""Data and methods: every table with its provenance, column units and caveats."""
import pandas as pd
import streamlit as st

from chokepoint import db, glossary, lookthrough, ui
from chokepoint.views import methods

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

prov = ui.provenance(ui.data_dir())

# ---- what the data is ---------------------------------------------------------------------
st.title("Data and methods")
st.markdown(
    "The built-in dataset encodes published figures only. Each table below says where it comes from, "
    "when it was accessed, its licence, its checksum, and what every column means and is measured in. "
    "Rows marked **derived** or **estimate** are estimates and are labelled as such wherever they appear. "
    "Jump to the [methods](#methods) or the [glossary](#glossary).")

st.subheader("Caveats that change how to read the numbers")
# From the table declarations (data/sources/tables.yml): the tables behind exposure and cover.
st.markdown("\n".join(f"- {c}" for t in ("trade_flows", "hs_codes", "consumption")
                       for c in prov.get(t, {}).get("caveats", [])))

# ---- table by table -----------------------------------------------------------------------
overview = pd.DataFrame([
    {"table": t, "title": p["title"], "rows": p["rows"], "accessed": p["accessed"], "producer": p["producer"],
     "licence": p["licence"]} for t, p in prov.items()])
st.subheader(f"{len(prov)} tables")
ui.table(overview, key="dm_tables")

for table, p in prov.items():
    with st.expander(f"{table} — {p['title']}"):
        st.markdown(f"**Producer:** {p['producer']}  \n**URL:** {p['url']}  \n**Accessed:** {p['accessed']} · "
                    f"**Licence:** {p['licence']}  \n**Rows:** {p['rows']} · **Key:** {', '.join(p['key'])}  \n"
                    f"**sha256:** `{p['sha256']}`  \n**Built from:** {', '.join(p['sources'])}")
        for c in p.get("caveats", []):
            st.markdown(f"- {c}")
        for o in p.get("origins", []):  # source files copied from a public extract
            st.markdown(f"**{o['file']}** — {o['producer']}. Taken from {o['repository']}, `{o['path']}`, "
                        f"commit {o['commit']}; accessed {o['accessed']}; sha256 `{o['sha256']}`.  \n"
                        f"**Licence:** {o['licence']}. {o['attribution']}"
                        + (f"  \n**Units:** {o['units']}" if o.get("units") else ""))
        cols = pd.DataFrame([{"column": c, "type": v.get("type", ""), "description": v["description"],
                              "unit": v["unit"]} for c, v in p["columns"].items()])
        ui.table(cols, key=f"dm_cols_{table}")
        st.caption("First rows (headers in words; the machine names are in the table above)")
        ui.table(ui.view(db.preview, table, 10, data_dir=ui.data_dir()), key=f"dm_preview_{table}")

# ---- methods: the formulas, each with a worked example computed from the built-in data -------------
st.header("Methods", anchor="methods")
st.subheader("Look-through: China's share through third countries", anchor="method-look-through")
st.markdown(lookthrough.METHOD)
st.code(methods.LOOKTHROUGH_FORMULA, language=None)
st.markdown(ui.view(methods.lookthrough_example, run=ui.query).markdown())
st.subheader("Months of cover: how long a stock lasts under a regime", anchor="method-cover")
st.markdown(
    "A holder (a country, or a company site) has a stock S0 (t), a monthly use U (t/month) and supply lines, each "
    "a share s_e of use from origin e. A regime turns each line into a monthly pass fraction pass_e(t): 1 for lines "
    "it does not control, 0 during a rule's licence delay, then its approval rate; rules stack by multiplication; "
    f"an {glossary.link('extraterritorial', 'extraterritorial')} rule also cuts third countries in proportion to "
    "their dependence on China. Use of unknown origin keeps arriving. The simulation runs month by month up to the "
    f"{glossary.link('horizon', 'horizon')} (36 months by default); a stock still there at the end reads "
    f"{glossary.link('horizon-plus', '36+')}. Run-out dates add months × 365.25 / 12 days to the regime's start.")
st.code(methods.COVER_FORMULA, language=None)
st.markdown(ui.view(methods.cover_example, run=ui.query).markdown())

# ---- glossary: one source (chokepoint/assets/glossary.yml), quoted in tooltips on every page --------
# Each term is a heading with its anchor: Streamlit scrolls to a heading whose anchor is the URL's
# #fragment once it is drawn (a plain <span id> is drawn too late for the browser to scroll to it).
st.header("Glossary", anchor="glossary")
for t in glossary.terms().values():
    st.subheader(t.term, anchor=t.anchor)
    st.markdown(t.text)
