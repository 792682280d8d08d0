"""Data and methods: every table with its provenance, column units and caveats."""
import pandas as pd
import streamlit as st

from chokepoint import db, ui

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

prov = ui.provenance(ui.data_dir())

# ---- what the data is ---------------------------------------------------------------------
st.title("Data and methods")
st.markdown(
    "The built-in dataset encodes published figures only. Each table below says where it comes from, "
    "when it was accessed, its licence, its checksum, and what every column means and is measured in. "
    "Rows marked **derived** or **estimate** are estimates and are labelled as such wherever they appear.")

st.subheader("Caveats that change how to read the numbers")
# From the table declarations (data/sources/tables.yml): the tables behind exposure and cover.
st.markdown("\n".join(f"- {c}" for t in ("trade_flows", "hs_codes", "consumption")
                       for c in prov.get(t, {}).get("caveats", [])))

# ---- table by table -----------------------------------------------------------------------
overview = pd.DataFrame([
    {"table": t, "title": p["title"], "producer": p["producer"], "rows": p["rows"],
     "licence": p["licence"], "accessed": p["accessed"]} for t, p in prov.items()])
st.subheader(f"{len(prov)} tables")
st.dataframe(overview, hide_index=True, width="stretch")

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
        st.dataframe(cols, hide_index=True, width="stretch")
        st.caption("First rows")
        st.dataframe(ui.view(db.preview, table, 10, data_dir=ui.data_dir()), hide_index=True, width="stretch")
