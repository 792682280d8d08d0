"""Months of cover: how long each country's stock lasts under each control regime."""
import datetime as dt

import streamlit as st

from chokepoint import catalog, constants, cover, embedded, fmt, glossary, regimes, scenarios, ui
from chokepoint.ui import urlstate
from chokepoint.views import cover as view_cover
from chokepoint.views import embedded as view_embedded
from chokepoint.views import regime_dates
from chokepoint.views import stock as view_stock

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

mats = catalog.materials()
library = ui.regime_library()
custom = st.session_state.setdefault("custom_regimes", {})

# ---- title ----------------------------------------------------------------------------------
st.title("Months of cover: how long stocks last under each control regime")
st.markdown(
    "For every importer in the trade data: monthly use, supply shares by origin and a stock made of "
    "industry inventories plus any national stockpile target. Each regime cuts the flows it controls; "
    f"{glossary.link('months-of-cover', 'months of cover')} is when the stock runs out "
    f"({glossary.page_link('method-cover', 'formula and a worked example')}). **All results are ESTIMATES** built on "
    "the assumptions listed beside them.")

# ---- controls: as-of date, material, regimes, industry inventory, start date -------------------
a1, a2 = st.columns([1, 3])
as_of = urlstate.day("as_of", "cov_as_of", dt.date.today())
a1.date_input("As of", key="cov_as_of",
              help="Which measures are in force, suspended or scenarios on this date (from the dated control "
                   "timeline on *Control regimes*). Regimes in force are chosen by default and the headline "
                   "counts only them.")
dates = regime_dates.on(as_of, st.session_state.get("control_events_extra", ()))
a2.caption(dates.caveat)
materials = ui.view(scenarios.country_materials, run=ui.query)
material = urlstate.choice("material", "cov_material", materials,
                           "permanent_magnets" if "permanent_magnets" in materials else materials[0],
                           label=lambda m: mats[m].name)
b1, b2, b3 = st.columns([2, 1.4, 1])
b1.selectbox("Material", materials, key="cov_material", format_func=lambda m: mats[m].name,
             help="Materials with bilateral trade data (the supply lines of each country).")
options = list(library) + [k for k in custom if k not in library]
names = {**{k: dates.name(r) for k, r in library.items()},
         **{k: f"{dates.name(r)} (custom)" for k, r in custom.items()}}
chosen = urlstate.choices("regimes", "cov_regimes", options, dates.defaults(library), label=names.get)
st.pills("Regimes", options, selection_mode="multi", key="cov_regimes", format_func=names.get,
         help="By default the measures in force on the as-of date and the no-controls reference. "
              "Suspended measures and scenarios are labelled as such; custom regimes are built on the "
              "Control regimes page (this session only).")
industry_months = urlstate.number("inventory", "cov_industry", scenarios.DEFAULT_INDUSTRY_MONTHS, 0.0, 12.0, 0.5)
b2.slider("Industry inventory (months of use)", 0.0, 12.0, step=0.5, key="cov_industry",
          help=f"Assumption. Default 3 months: {scenarios.INDUSTRY_CITATION}.")
start = urlstate.day("start", "cov_start", scenarios.DEFAULT_START)
b3.date_input("Start of the controls", key="cov_start",
              help="Month 0 of the regimes already in force by then. Default 4 April 2025 (MOFCOM/GAC "
                   "Announcement No. 18). A regime that comes into force later (such as a suspended one) "
                   "starts on its in-force date, never before it exists.")
inputs = ui.view(scenarios.country_inputs, material, industry_months=industry_months, run=ui.query)
holders = sorted((h for h in inputs["holder"].unique() if h != constants.CONTROLLER), key=catalog.country_name)
target = scenarios.DEFAULT_BAN_TARGET
if any(library[i].has("retargetable") for i in chosen if i in library):
    target = urlstate.choice("target", "cov_ban_target", holders, "USA" if "USA" in holders else holders[0],
                             label=catalog.country_name)
    st.columns([1, 3])[0].selectbox("Ban targets", holders, key="cov_ban_target", format_func=lambda c: f"{catalog.country_name(c)} ({c})",
                 help="The country the 'ban on one country' regime is aimed at.")
else:
    urlstate.drop("target")
country = urlstate.choice("country", "cov_country", holders, "USA" if "USA" in holders else holders[0],
                          label=catalog.country_name)
urlstate.link()

with st.expander("Substitution and demand reduction (optional)"):
    e1, e2, e3, e4 = st.columns(4)
    use_sub = e1.toggle("Other suppliers ramp up", key="cov_sub")
    ramp = e2.number_input("Ramp-up (share of use per month)", 0.0, 1.0, 0.05, 0.01, key="cov_ramp",
                           disabled=not use_sub)
    lead = e3.number_input("Lead time (months)", 0, 36, 3, 1, key="cov_lead", disabled=not use_sub)
    cap = e4.number_input("Ceiling (share of use)", 0.0, 1.0, 0.3, 0.05, key="cov_cap", disabled=not use_sub)
    demand = st.slider("Demand factor (1 = normal use; below 1 = demand reduction)", 0.5, 1.2, 1.0, 0.05,
                       key="cov_demand")
    st.caption("User assumptions, not published figures: they apply to every country and regime on this page.")
substitution = cover.Substitution(ramp, int(lead), cap) if use_sub else None

if not chosen:
    st.info("Pick at least one regime.", icon=":material/info:")
    ui.footer(["consumption", "trade_flows", "stockpiles"])
    st.stop()
regs = dates.labelled(scenarios.choose(library, chosen, target=target, custom=custom))
# results of built-in data and plain choices are computed once and shared; a custom regime (this
# session's own) is computed for this session only
compute = ui.view if not any(r in custom for r in chosen) else (lambda fn, *a, **k: fn(*a, **k))
starts = dates.starts(regs, start)
short = mats[material].short_name.lower()

# ---- heatmap: every country x regime ----------------------------------------------------------
# a stock the user set in tonnes for the detail country (its widget is below; its value is in the session)
user_t = st.session_state.get(f"cov_stock_t_{material}_{country}") or 0.0
stocks = {country: float(user_t)} if user_t > 0 else None
table = compute(scenarios.country_cover, material, regs, industry_months=industry_months, substitution=substitution,
                                demand_factor=demand, stocks=stocks, run=ui.query)
shown = table[table["holder"] != constants.CONTROLLER]
st.selectbox("Country for the detail below", holders, key="cov_country",
             format_func=lambda c: f"{catalog.country_name(c)} ({c})")
every = st.toggle(f"Show every importer ({shown['holder'].nunique()}, down to a few kilograms a year)",
                  key="cov_every", help="By default the heatmap shows the largest importers that together take "
                                        f"{view_cover.MAJOR_SHARE:.0%} of world use.")
ui.chart(compute(view_cover.heatmap, shown, material=short, material_id=material, selected=country,
                 in_force=dates.in_force(regs), as_of=dates.as_of, every_importer=every))
st.caption(f"Cells read months of cover; {glossary.link('horizon-plus', '36+')} = the stock is not exhausted within the "
           f"{glossary.link('horizon', 'horizon')} (36 months unless a regime says otherwise).")
st.markdown("**What each country's stock rests on** (shown beside every result below):\n"
            + "\n".join("- " + line for line in compute(view_stock.lines, shown)))

# ---- one country: run-down curves, run-out dates and the assumptions beside them ----------------
cname = catalog.country_name(country)
st.subheader(f"{cname}: stock run-down under each regime")
stock_t = st.number_input(
    f"Stock of {cname} in tonnes (optional)", min_value=0.0, value=0.0, step=100.0, format="%.0f",
    key=f"cov_stock_t_{material}_{country}",
    help="0 = use the assumption (industry inventory in months of use + any national stockpile target). "
         "A value in tonnes replaces this country's whole stock and is labelled evidence: user-set.")
hold = ui.view(scenarios.holder, country, material, industry_months=industry_months,
                        stocks={country: stock_t} if stock_t > 0 else None, run=ui.query)
mine = table[table["holder"] == country]
if hold.data_hint:
    st.warning(f"{cname}: {hold.data_hint}", icon=":material/warning:")
else:
    curves = compute(scenarios.rundown, hold, regs, start=start, substitution=substitution, demand_factor=demand,
                               starts=starts)
    ui.chart(compute(view_cover.rundown, curves, country=country, material=short, material_id=material,
                     reference_ids=regimes.flagged(library, "reference")))
runout = scenarios.runout_table(mine, start, starts)
st.markdown(f"**Run-out dates** (each regime's start + months of cover × {constants.DAYS_PER_MONTH} days, "
            "the mean month 365.25 / 12; a regime starts on "
            f"{start:%d %b %Y} or, if later, when it comes into force; ESTIMATES)")
# full width, the answer first (months of cover, run-out date): a narrower grid cut the state (why a date
# is missing) off at its edge
ui.table(runout[["regime_name", "months", "runout_date", "state",
                 *[c for c in runout.columns if c not in ("regime", "regime_name", "months", "runout_date", "state")]]],
         key="cov_runout")
st.markdown("#### Assumptions and sources")
left, right = st.columns([1, 1])
with left:
    st.markdown("\n".join("- " + line for line in scenarios.assumption_lines(mine.iloc[0])))
with right:
    ui.table(scenarios.lines_table(hold).drop(columns=["supplier"]), key="cov_lines",
             help={"dependence": "Used by extraterritorial rules (look-through, see the Exposure page).\n\n"
                                 + glossary.tip("dependence", "extraterritorial")})
    st.caption("Regime parameters and their calibration: see *Control regimes*.")

# ---- controlled elements inside the magnet stock (Dy, Tb, Nd, Pr), ESTIMATES ---------------------
if material == embedded.CARRIER and not hold.data_hint:
    inside = compute(view_embedded.in_stock, mine.iloc[0], ui.query)
    st.markdown(f"**Controlled elements in {fmt.possessive(cname)} magnet stock and use — ESTIMATES**")
    ui.table(inside.table, key="cov_elements")
    st.caption(inside.caption)

# ---- sensitivity: what moves the answer most -------------------------------------------------
if not hold.data_hint:
    controlled = [r for r in regs if r.rules] or regs
    which = st.selectbox("Regime for the sensitivity", [r.id for r in controlled], key="cov_tornado_regime",
                         format_func={r.id: r.name for r in regs}.get)
    reg = next(r for r in regs if r.id == which)
    tornado = compute(scenarios.sensitivity, hold, reg, substitution=substitution, demand_factor=demand)
    ui.chart(compute(view_cover.tornado, tornado, country=country, material=short, material_id=material,
                     regime_name=reg.name))

# ---- caveats -----------------------------------------------------------------------------------
st.subheader("Read with care")
st.markdown(
    "- **Derived use is an ESTIMATE**: where no consumption figure is published, use = 2024 imports, so re-exports "
    "and domestic production are ignored.\n"
    "- **Policy stockpiles are targets, not verified holdings** (JOGMEC and KOMIR holdings are secret).\n"
    f"- **Trade origin is the last shipping country**; {glossary.link('extraterritorial', 'extraterritorial')} rules "
    f"reach third countries through their own dependence on China ({glossary.link('look-through', 'look-through')}).\n"
    "- Supply of unknown origin (shares below 100%) keeps arriving and is not cut by any rule.")

ui.footer(["trade_flows", "consumption", "stockpiles", "import_shares", "production"])
