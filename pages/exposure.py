"""Exposure: how exposed is a country to China, directly and through third countries."""
import streamlit as st

from chokepoint import catalog, embedded, export, exposure, fmt, glossary, lookthrough, ui
from chokepoint.ui import urlstate
from chokepoint.views import embedded as view_embedded
from chokepoint.views import exposure as view_exposure
from chokepoint.views import overview as view_overview

ui.route_through_app()  # a first-ever request for a page URL goes through app.py (see ui/router.py)

GROUPS = {"rare_earths": "Rare earths", "titanium": "Titanium", "magnesium": "Magnesium"}

# ---- title ----------------------------------------------------------------------------------
st.title("Exposure: who depends on China, directly and through third countries")
st.markdown(
    "How much of a country's imports come from China, and how much more arrives through third "
    f"countries whose own supply depends on China (**{glossary.link('look-through', 'look-through')}**). "
    "Pick a material and a country.")

# ---- filters: material group, material, HS code, year, basis, country -----------------------
coverage = ui.query("exposure_trade_coverage")
traded = set(coverage["hs6"])
mats = catalog.materials()

f1, f2, f3 = st.columns([1, 2, 1])
group_ids = list(GROUPS)
group = urlstate.choice("group", "exp_group", group_ids, "rare_earths", label=GROUPS.get)
f1.selectbox("Material group", group_ids, format_func=GROUPS.get, key="exp_group")
in_group = [m for m in mats.values() if m.group == group and m.form != "element"]
in_group.sort(key=lambda m: (not set(m.hs6) & traded, m.name))  # materials with trade data first
ids = [m.material_id for m in in_group]
mat_label = {i: mats[i].name + ("" if set(mats[i].hs6) & traded else " — no trade data") for i in ids}
material = urlstate.choice("material", "exp_material", ids, ids[0], label=mat_label.get)
f2.selectbox("Material", ids, key="exp_material", format_func=mat_label.get)
hs_opts = ["all"] + list(mats[material].hs6)
hs_choice = urlstate.choice("hs", "exp_hs", hs_opts, "all")
f3.selectbox("HS code", hs_opts, key="exp_hs",
             format_func=lambda h: "all lines of the material" if h == "all"
             else f"{h} {catalog.hs_codes().get(h, {}).get('description', '')[:40]}")
hs6 = tuple(mats[material].hs6) if hs_choice == "all" else (hs_choice,)
key = material if hs_choice == "all" else f"hs:{hs_choice}"
label = exposure.material_label(key, hs6)
short = mats[material].short_name.lower() if hs_choice == "all" else f"HS {hs_choice}"

have = coverage[coverage["hs6"].isin(hs6)]
if have.empty:
    lines = ", ".join(f"HS {r.hs6} ({mats[r.material_id].name})" for r in coverage.drop_duplicates("hs6").itertuples())
    st.info(f"**No bilateral trade data for {label}** in this dataset, so no shares can be shown (not a zero). "
            f"The dataset has bilateral import flows for {lines}. Pick one of those materials, or see *Data and methods*.",
            icon=":material/info:")
    urlstate.drop("year", "basis")      # the country stays in the link: it is kept for the next material
    urlstate.link()
    ui.footer(["trade_flows", "hs_codes", "materials"])
    st.stop()

g1, g2, g3 = st.columns([1, 1, 2])
years = sorted(set(have["year"].astype(int)), reverse=True)
year = urlstate.choice("year", "exp_year", years, years[0])
g1.selectbox("Year", years, key="exp_year")
has_quantity = int(have.loc[have["year"] == year, "n_quantity"].sum()) > 0
bases = list(exposure.BASES) if has_quantity else ["value"]
basis = urlstate.choice("basis", "exp_basis", bases, "value")
g2.radio("Basis", bases, horizontal=True, key="exp_basis",
         format_func=lambda b: "value (USD)" if b == "value" else "quantity (t)",
         help=None if has_quantity else f"Quantity is not available for {year}: its flows give value only.")
if not has_quantity:
    g2.caption(f"quantity: not available for {year} (value only)")
by_imp = ui.query("exposure_china_share_by_importer", hs6_list=list(hs6), year=year, basis=basis)
countries = sorted(by_imp["importer"], key=catalog.country_name)
country = urlstate.choice("country", "exp_country", countries, "IND" if "IND" in countries else countries[0],
                          label=catalog.country_name)
g3.selectbox("Country (importer)", countries, key="exp_country",
             format_func=lambda c: f"{catalog.country_name(c)} ({c})")
urlstate.link()
cname = catalog.country_name(country)
sel = exposure.Selection(country, key, hs6, int(year), basis)

# ---- headline: direct, indirect, total for the selected country --------------------------------
view = ui.view(view_exposure.country, sel, ui.query, short=short)
exp = view.exposure
s = exp.summary
st.subheader(f"{cname}: {label}, {year}, by {basis}")
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("China, direct", fmt.pct(s["china_share_direct"], 1), help="China's share of imports (last shipping country).")
m2.metric("China, through third countries", fmt.pct(s["china_share_indirect"], 1),
          help="Sum over non-Chinese suppliers of their share × their own dependence on China for the upstream "
               "input.\n\n" + glossary.tip("look-through"))
m3.metric("China, total (look-through)", fmt.pct(s["china_share_total"], 1),
          help=f"Range {fmt.pct(s['china_share_total_low'], 1)}–{fmt.pct(s['china_share_total_high'], 1)} as the "
               "evidence allows (low: fallback suppliers at 0; high: at China's world share).\n\n"
               + glossary.tip("look-through", "fallback"))
m4.metric("Supplier concentration (HHI)", f"{s['hhi']:.2f}",
          help="Over every supplier recorded (exact).\n\n" + glossary.tip("hhi"))
m5.metric("Top supplier", catalog.country_name(s["top_supplier"]) if s["top_supplier"] else "—",
          fmt.pct(s["top_share"], 1) if s["top_share"] is not None else None, delta_color="off")
for note in exp.notes:
    st.warning(note, icon=":material/warning:")

# ---- controlled elements carried by these magnets (Dy, Tb, Nd, Pr), ESTIMATES ----------------------
if embedded.CARRIER in mats and set(mats[embedded.CARRIER].hs6) <= set(hs6):
    elements = ui.view(view_embedded.imports, country, ui.query, year=int(year))
    if elements.findings:
        st.markdown(f"**Controlled elements carried by {fmt.possessive(cname)} magnet imports — ESTIMATES** "
                    "(China's April 2025 licences name Dy and Tb; trade data has no line per element)")
        for col, f, name in zip(st.columns(len(elements.findings)), elements.findings,
                                elements.table["material_name"]):
            col.metric(f"{name} (ESTIMATE)", f.value, help=f"{f.label}, {f.unit}: {f.basis}. Source: {f.source}")
        st.caption(elements.caption)

# ---- country profile card: every material at a glance ------------------------------------------
prof = view.profile.data
ui.chart(view.profile)
rel = ui.query("exposure_import_reliance", country=country, year=int(year))
if not rel.empty:
    rel["reliance_basis"] = rel.apply(exposure.reliance_label, axis=1)
    rel = exposure.reliance_states(rel)  # a share only where consumption and trade have one scope
    st.markdown(f"**Import reliance of {cname}** — net imports / apparent consumption, shown only where the "
                "consumption figure and the HS line have the same scope; otherwise the state says why.")
    # the figures first, the long explanations after them (a grid cuts long text at the window's edge)
    ui.table(rel[["material_name", "import_reliance", "apparent_consumption_t", "net_imports_t", "production_t",
                  "import_reliance_state", "reliance_basis", "consumption_basis", "source"]], key="exp_reliance")
    st.download_button("Import reliance (CSV)", lambda: export.to_csv_bytes(rel), file_name=f"chokepoint-reliance-{country}.csv",
                       mime="text/csv", key=f"csv-reliance-{country}", icon=":material/download:")

# ---- world view: map and ranking ------------------------------------------------------------------
ui.chart(view.map)
ui.chart(view.ranking)

# ---- suppliers of the selected country --------------------------------------------------------------
lines = tuple(zip(prof["hs6"].astype(str), prof["material_name"].astype(str)))
ui.chart(ui.view(view_exposure.suppliers_of, country, lines, year=int(year), basis=basis, run=ui.query))
ui.chart(view.sankey)

# ---- look-through: how each supplier's dependence was obtained --------------------------------------
up = exposure.UPSTREAM.get(hs6[0])
st.markdown(
    "**How the look-through works.** "
    + (f"For HS {hs6[0]} the upstream input is **{up.input_label}**. " if up else
       f"No upstream mapping exists for HS {hs6[0]}: indirect exposure is not available. ")
    + lookthrough.METHOD + f" Rows marked *{glossary.link('thin', 'thin')}* rest on the world "
    f"{glossary.link('fallback', 'fallback')} or an old figure; formulas and a worked example are under "
    f"{glossary.page_link('method-look-through', 'Data and methods')}.")
dep = exp.suppliers.assign(supplier_name=lambda d: d["supplier"].map(catalog.country_name))[
    ["supplier_name", "share", "indirect_share", "dependence", "dependence_low", "dependence_high", "thin",
     "evidence", "evidence_year", "dependence_basis", "dependence_source", "value_usd", "quantity_t", "supplier"]]
ui.table(dep, key="exp_lookthrough")
st.download_button("Look-through table (CSV)", lambda: export.to_csv_bytes(dep),
                   file_name=f"chokepoint-lookthrough-{country}-{hs6[0]}.csv", mime="text/csv",
                   key=f"csv-dep-{country}-{key}", icon=":material/download:")

# ---- what changed between the years with data -------------------------------------------------------
if view.change is not None:
    st.subheader(f"What changed, {view.change.options['first']} → {view.change.options['last']} (by value)")
    st.markdown("\n".join(f"- {f.label}: **{f.value}**" for f in view.change_findings))
    st.caption(f"{glossary.link('pp', 'pp')} = percentage points: the difference between two percentages.")
    ui.chart(view.change)

# ---- China's export share over time and production concentration -----------------------------------
series = ui.query("exposure_china_export_share_series", hs6_list=list(hs6))
if not series.empty:
    ui.chart(ui.view(view_exposure.export_share_lines, series, key=key, material=short))
conc = ui.query("production_concentration")
conc = conc[conc["material_group"] == group]
if not conc.empty:
    ui.chart(ui.view(view_overview.production_concentration, conc).with_(id=f"production-{group}"))

# ---- caveats ---------------------------------------------------------------------------------------
caveat = catalog.hs_codes().get(hs6[0], {}).get("caveat", "")
st.subheader("Read with care")
st.markdown(
    (f"- **HS {hs6[0]} {'includes non-rare-earth magnets' if hs6[0] == '850511' else 'scope'}**: {caveat}.\n"
     if caveat else "")
    + ("" if "850511" in hs6 else "- **HS 850511 includes non-rare-earth magnets** (AlNiCo and other metal "
                                  "magnets): magnet figures elsewhere in the app overstate rare-earth magnets.\n")
    + "- **Trade origin is the last shipping country**, not where the ore was mined or separated: that is why the "
    "look-through exists; it goes one level deep (a supplier's suppliers are not chained).\n"
    "- **Every supplier is counted**: shares and HHI are over every bilateral flow BACI records; charts name the "
    "largest suppliers and draw the others together as *all other suppliers*.\n"
    "- **2022 has value only** (BACI HS17 edition; 2024 is the HS92 edition): quantity shares exist for 2024 only, "
    "and the change between years is by value.\n"
    "- Quantity shares leave out suppliers that reported no quantity; value and quantity shares differ when "
    "unit prices differ.")

ui.footer(["trade_flows", "import_shares", "production", "consumption", "trade_series", "hs_codes"])
