"""Overview: the headline picture of China's hold on rare earths, titanium and magnesium."""
import streamlit as st

from chokepoint import charts, constants, ui

# ---- data ---------------------------------------------------------------------------------
conc = ui.query("production_concentration")
series = ui.query("china_export_share_series", hs6_list=["850511", "280530"])
events = ui.query("control_timeline", controller=constants.CONTROLLER)
monthly = ui.query("monthly_exports_series", controller=constants.CONTROLLER,
                   material_id=constants.MAGNET_EXPORTS_MATERIAL)

mine = conc[(conc.material_id == "rare_earth_concentrate") & (conc.stage == "mine")].iloc[0]
mg = conc[(conc.material_id == "magnesium_metal") & (conc.stage == "metal")].iloc[0]
world = monthly[monthly.to_country == "WLD"]
worst = world.loc[world.share_of_ref.idxmin()]

# ---- headline -----------------------------------------------------------------------------
st.title("China's chokehold on critical minerals")
st.markdown(
    "Since April 2025 China has required export licences for seven medium and heavy rare earths and the "
    "magnets made with them. This page shows how concentrated supply is, how exports reacted, and the "
    "measures so far. Pick a page on the left to go deeper.")

k1, k2, k3 = st.columns(3)
k1.metric(f"China's share of rare-earth mining, {mine.year}", charts.pct(mine.china_share),
          help=f"{mine.china_t:,.0f} t of {mine.world_t:,.0f} t REO (estimate). Source: {mine.source}")
k2.metric(f"China's share of primary magnesium, {mg.year}", charts.pct(mg.china_share),
          help=f"{mg.china_t:,.0f} t of {mg.world_t:,.0f} t (estimate; world excludes US). Source: {mg.source}")
k3.metric(f"Magnet exports, {charts.period_label(worst.period_start, worst.months)}, vs 2024 monthly average", charts.pct(worst.share_of_ref),
          delta=f"{worst.yoy_change:+.0%} year on year" if worst.yoy_change == worst.yoy_change else None,
          delta_color="inverse",
          help=f"{worst.quantity_t:,.0f} t against {worst.ref_monthly_t:,.0f} t/month in 2024. Source: {worst.source}")
st.caption("Sources: " + " · ".join([mine.source, mg.source, worst.source]))

# ---- concentration and exports -------------------------------------------------------------
ui.chart(charts.production_concentration(conc), conc, key="production-concentration", tables=["production"])
ui.chart(charts.export_share_series(series), series, key="china-export-share", tables=["trade_series"])

# ---- the control timeline -----------------------------------------------------------------
ui.chart(charts.control_timeline(events), events, key="control-timeline", tables=["control_events"])
ui.chart(charts.monthly_exports(monthly), monthly, key="monthly-magnet-exports", tables=["monthly_exports"])

ui.footer(["production", "trade_series", "control_events", "monthly_exports"])
