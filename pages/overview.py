"""Overview: the headline picture of China's hold on rare earths, titanium and magnesium."""
import streamlit as st

from chokepoint import ui
from chokepoint.constants import CONTROLLER, MAGNET_EXPORTS_MATERIAL
from chokepoint.views import overview

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

specs = overview.page(ui.query)
conc = ui.query("production_concentration")
monthly = ui.query("monthly_exports_series", controller=CONTROLLER, material_id=MAGNET_EXPORTS_MATERIAL)

# ---- headline -----------------------------------------------------------------------------
st.title("China's chokehold on critical minerals")
st.markdown(
    "Since April 2025 China has required export licences for seven medium and heavy rare earths and the "
    "magnets made with them. This page shows how concentrated supply is, how exports reacted, and the "
    "measures so far. Pick a page on the left to go deeper.")

numbers = overview.headline(conc, monthly)
for col, (f, help_text, delta) in zip(st.columns(len(numbers)), numbers):
    col.metric(f.label, f.value, delta=delta, delta_color="inverse" if delta else "normal", help=help_text)
st.caption("Sources: " + " · ".join(f.source for f, _, _ in numbers))

# ---- concentration, exports, the control timeline ------------------------------------------
for spec in specs:
    ui.chart(spec)

ui.footer(["production", "trade_series", "control_events", "monthly_exports"])
