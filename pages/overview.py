"""Overview: the headline picture of China's hold on rare earths, titanium and magnesium."""
import streamlit as st

from chokepoint import ui
from chokepoint.constants import CONTROLLER, MAGNET_EXPORTS_MATERIAL
from chokepoint.ui import urlstate
from chokepoint.views import overview

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)
urlstate.link()         # the page has no choices: its link is its address

specs = ui.view(overview.page, ui.query)
conc = ui.query("production_concentration")
monthly = ui.query("monthly_exports_series", controller=CONTROLLER, material_id=MAGNET_EXPORTS_MATERIAL)

# ---- headline -----------------------------------------------------------------------------
st.title("China's chokehold on critical minerals")
st.markdown(
    "Since April 2025 China has required export licences for seven medium and heavy rare earths and the "
    "magnets made with them. This page shows how concentrated supply is, how exports reacted, and the "
    "measures so far. Pick a page on the left to go deeper.")

numbers = overview.headline(conc, monthly)
# metric labels wrap instead of ending in "…" in a third of the page
st.html("<style>[data-testid='stMetricLabel'], [data-testid='stMetricLabel'] * "
        "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;"
        " height: auto !important;}</style>")
for col, (f, help_text, delta) in zip(st.columns(len(numbers)), numbers):
    # a fall in China's exports is bad news for importers: red, the colour of decline, never green
    col.metric(f.label, f.value, delta=delta, delta_color="normal", help=help_text)
st.caption("Sources: " + " · ".join(f.source for f, _, _ in numbers))

# ---- concentration, exports, the control timeline ------------------------------------------
for spec in specs:
    ui.chart(spec)

ui.footer(["production", "trade_series", "control_events", "monthly_exports"])
