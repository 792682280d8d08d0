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
st.markdown(
    "- **HS 850511** covers all metal permanent magnets (NdFeB, SmCo, AlNiCo): it overstates rare-earth magnets.\n"
    "- **HS 810411** is unwrought magnesium ≥ 99.8% only; alloys (810419) are not in the 2024 extract.\n"
    "- **HS 810820** mixes titanium sponge, ingot and powder: sponge has no HS6 line of its own.\n"
    "- **Trade origin is the last shipping country**, not where the ore was mined or separated: a magnet "
    "from Japan may be made from Chinese metal.\n"
    "- HS 280530 and 284690 lump the rare-earth elements together, so element-specific controls "
    "(Dy, Tb, ...) cannot be seen in trade data.\n"
    "- *Derived* consumption = 2024 imports from all suppliers, without production or re-export netting.")

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
        cols = pd.DataFrame([{"column": c, "description": v["description"], "unit": v["unit"]}
                             for c, v in p["columns"].items()])
        st.dataframe(cols, hide_index=True, width="stretch")
        st.caption("First rows")
        st.dataframe(db.preview(table, 10, data_dir=ui.data_dir()), hide_index=True, width="stretch")
