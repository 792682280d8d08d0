"""Chokepoint: router, shared sidebar and footer. Run from the repo root: `make run`."""
import streamlit as st

from chokepoint import ui

st.set_page_config(page_title="Chokepoint — critical-minerals dependency", page_icon=":material/link_off:",
                   layout="wide")

PAGES = {
    "Picture": [
        st.Page("pages/overview.py", title="Overview", icon=":material/public:", default=True),
        st.Page("pages/exposure.py", title="Exposure", icon=":material/hub:"),
    ],
    "Reference": [
        st.Page("pages/data_methods.py", title="Data and methods", icon=":material/dataset:"),
    ],
}
page = st.navigation(PAGES)

with st.sidebar:
    st.markdown("### Chokepoint")
    st.caption("Exposure to China's export controls on rare earths, titanium and magnesium, "
               "and how long stocks last under each control regime.")
    ui.dataset_picker()
    st.caption("Built-in dataset: published figures, cited per table. Estimates are labelled as estimates.")

page.run()

st.divider()
st.caption("Chokepoint · every figure traces to the source named under its chart; see *Data and methods* "
           "for provenance, units and caveats. Trade data: CEPII BACI (Etalab 2.0). Production: USGS MCS "
           "(public domain).")
