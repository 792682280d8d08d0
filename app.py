"""Chokepoint: router, shared sidebar and footer. Run from the repo root: `make run`."""
import streamlit as st

from chokepoint import ui

# the tab icon ships with the app (a ":material/..." icon is fetched from an internet font host)
st.set_page_config(page_title="Chokepoint — critical-minerals dependency", page_icon=str(ui.FAVICON),
                   layout="wide")

PAGES = {
    "Picture": [
        st.Page("pages/overview.py", title="Overview", icon=":material/public:", default=True),
        st.Page("pages/exposure.py", title="Exposure", icon=":material/hub:"),
        st.Page("pages/cover.py", title="Months of cover", icon=":material/hourglass_bottom:"),
        st.Page("pages/regimes.py", title="Control regimes", icon=":material/gavel:"),
    ],
    "Company": [
        st.Page("pages/company.py", title="Company stockpiles", icon=":material/warehouse:"),
    ],
    "Outputs": [
        st.Page("pages/briefing.py", title="Briefing", icon=":material/slideshow:"),
    ],
    "Reference": [
        st.Page("pages/data_methods.py", title="Data and methods", icon=":material/dataset:"),
    ],
}
page = st.navigation(PAGES)
ui.app_routes()   # pages served before this line ran once are rerun through here (ui/router.py)

with st.sidebar:
    st.markdown("### Chokepoint")
    st.caption("Exposure to China's export controls on rare earths, titanium and magnesium, "
               "and how long stocks last under each control regime.")
    ui.dataset_picker()
    st.caption("Built-in dataset: published figures, cited per table. Estimates are labelled as estimates.")
    if ui.login_configured():           # [auth] in secrets.toml: company data is per signed-in user
        if st.user.is_logged_in:
            st.caption(f"Signed in as {st.user.get('email') or st.user.get('name') or 'a user'}")
            if st.button("Sign out", key="auth_logout", icon=":material/logout:"):
                st.logout()
        elif st.button("Sign in", key="auth_login", type="primary", icon=":material/login:"):
            st.login()

if not ui.login_configured():     # no [auth]: say so on every page
    st.warning("**Single-user mode** — no sign-in is configured, so anyone who can reach this app shares one "
               "workspace: they can see, open, download, rename and delete every saved snapshot. Configure "
               "[auth] before sharing the address (docs/DEPLOYMENT.md).", icon=":material/group:")

page.run()

st.divider()
st.caption("Chokepoint · every figure traces to the source named under its chart; see *Data and methods* "
           "for provenance, units and caveats. Trade data: CEPII BACI (Etalab 2.0). Production: USGS MCS "
           "(public domain).")
