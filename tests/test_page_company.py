"""AppTest: the Company stockpiles page from app.py — upload (valid and invalid), results, what-if,
workspace (save, list, open, rename, compare, delete).

Uploads go through AppTest's own ``file_uploader(...).set_value((name, bytes, mime))`` (Streamlit
1.67 supports it), so the page's upload handling runs as in the browser: it parses the bytes and
keeps {raw, result, name} in ``st.session_state["company_uploads"]`` keyed by the upload's file_id.
The stockpile files are INVENTED test data."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from chokepoint import regimes
from chokepoint.labels import label
from chokepoint.views import regime_dates

APP = str(Path(__file__).resolve().parent.parent / "app.py")

# INVENTED: S0 = 300 t, U = 100 t/month, 80% China -> 4.4 months under April 2025 licensing
GOOD = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
        "INVENTED plant,DE,Dysprosium oxide,300,100,CN,80%\n"
        "INVENTED plant,DE,Dysprosium oxide,,,AU,20%\n"
        "INVENTED US plant,US,NdFeB magnets,40000,8000,CN,0.9\n").encode()
# INVENTED: semicolons and decimal commas, a later snapshot with more stock
GOOD_EU = ("site;site_country;material;on_hand;monthly_use;supplier_country;supplier_share\n"
           "INVENTED plant;DE;Dysprosium oxide;350,5;100;CN;80%\n"
           "INVENTED plant;DE;Dysprosium oxide;;;AU;20%\n").encode()
BAD = ("site,material,on_hand,monthly_use,supplier_country\n"
       "a,unobtainium,1,1,CN\n"
       "b,NdFeB magnets,-4,1,CN\n").encode()


@pytest.fixture
def at(tmp_path, monkeypatch, request) -> AppTest:
    """The Company page; on the embedded workspace, or on PostgreSQL when parametrised indirectly."""
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "ws.duckdb"))
    monkeypatch.delenv("CHOKEPOINT_WORKSPACE_URL", raising=False)
    if getattr(request, "param", "duckdb") == "postgresql":
        monkeypatch.setenv("CHOKEPOINT_WORKSPACE_URL", request.getfixturevalue("pg_cluster").create_database())
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page("pages/company.py").run()
    assert not app.exception, app.exception
    return app


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="company_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict:
    return {m.label: (m.value, m.delta) for m in at.metric}


#: AppTest's Dataframe elements carry no key: tables are found by a column only they have. The page
#: shows labels (``chokepoint.labels``), so columns are looked up by ``label(machine name)``.
TABLES = {"company_resolved": "Catalogue name", "company_results": label("runout_date"),
          "company_drivers": label("cut_kind"), "company_errors": label("suggestion"),
          "wi_table": label("months_what_if"), "company_snapshots": "Supply lines"}


def regime_name(regime_id: str) -> str:
    """The name the page shows for a library regime today (with its status prefix when not in force)."""
    return regime_dates.on().name(regimes.load_library()[regime_id])


def frame(at: AppTest, key: str):
    for d in at.dataframe:
        if TABLES[key] in d.value.columns:
            return d.value
    raise KeyError(key)


def text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_page_before_upload_offers_template_and_format(at):
    assert at.title[0].value.startswith("Company stockpiles")
    assert "supplier_share" in text(at) and "site_country" in text(at)
    assert not at.metric                                 # no results without a file


def test_valid_upload_shows_dialect_materials_and_results(at):
    upload(at, "stock.csv", GOOD)
    assert "Detected: **UTF-8, comma-separated, decimal point**" in text(at)
    resolved = frame(at, "company_resolved")
    assert set(resolved["Material id"]) == {"dysprosium_oxide", "ndfeb_magnet"}
    # the upload lives in session state, keyed by its file_id
    ups = at.session_state["company_uploads"]
    (fid, entry), = ups.items()
    assert entry["raw"] == GOOD and entry["result"].ok and at.session_state["company_active"] == ("upload", fid)
    # results: default regimes apr-2025, oct-2025, ban-one-country
    res = frame(at, "company_results")
    assert "apr-2025-licensing" not in set(res[label("regime")])          # regimes by name, not id
    apr = res[(res[label("site")] == "INVENTED plant") & (res[label("regime")] == regime_name("apr-2025-licensing"))]
    assert apr[label("months")].iloc[0] == pytest.approx(2 + 140 / 59.2)
    # earliest run-out: the Dy plant (the US magnets, 5 months of use on hand, last longer)
    assert metrics(at)["Earliest run-out"][0] == "4.4 months"
    drv = frame(at, "company_drivers")
    assert drv[label("supplier_country")].iloc[0] == "CHN" and drv[label("rank")].iloc[0] == 1


def test_preview_names_the_cell_a_decimal_comma_was_inferred_from(at):
    """Issue 15: "50.000" beside "12,0" and "0,8" is accepted as 50000, and the preview says why."""
    upload(at, "eu.csv", ("site;material;on_hand;monthly_use;supplier_country;supplier_share\n"
                          "INVENTED Werk;Dysprosium oxide;50.000;12,0;CN;0,8\n").encode())
    res = next(iter(at.session_state["company_uploads"].values()))["result"]
    assert res.ok and res.lines.loc[0, "on_hand_t"] == 50000.0
    captions = " ".join(c.value for c in at.caption)
    assert "Number format: decimal comma inferred from row 2, column monthly_use ('12,0')" in captions
    assert "Detected: **UTF-8, semicolon-separated, decimal comma, thousands separator point**" in text(at)


def test_invalid_upload_lists_every_error_and_offers_no_save(at):
    upload(at, "bad.csv", BAD)
    assert at.error and "2 error(s)" in at.error[0].value
    errs = frame(at, "company_errors")
    assert list(errs.columns) == [label(c) for c in ("row", "column", "message", "suggestion")]
    assert set(zip(errs[label("row")], errs[label("column")])) == {(2, "material"), (3, "on_hand")}
    assert not [b for b in at.button if b.key == "company_save"]
    assert not at.metric


def test_what_if_safety_stock_share_switch_and_regime(at):
    upload(at, "stock.csv", GOOD)
    at.selectbox(key="wi_regime").set_value("apr-2025-licensing").run()
    assert metrics(at)["Earliest run-out, as uploaded"][0] == "4.4 months"
    # +2 months of use everywhere: the Dy plant 300 + 200 t: 2 + 340 / 59.2 = 7.7 months
    at.number_input(key="wi_stock_amount").set_value(2.0).run()
    assert not at.exception, at.exception
    cmp = frame(at, "wi_table")
    row = cmp[cmp[label("site")] == "INVENTED plant"].iloc[0]
    assert row[label("months_what_if")] == pytest.approx(2 + 340 / 59.2)
    assert row[label("change_months")] == pytest.approx(200 / 59.2)
    assert metrics(at)["Earliest run-out, what-if"][0] == "7.7 months"
    # then move 30 pp of the Dy plant's China share to Japan: 300 + 200 = 500 t; delay 2 x 50 t,
    # then 100 x 0.5 x 0.74 = 37 t/month -> 2 + 400 / 37 = 12.8 months
    at.selectbox(key="wi_switch_holding").set_value("INVENTED plant\x1fdysprosium_oxide").run()
    at.selectbox(key="wi_switch_to").set_value("JPN").run()
    at.slider(key="wi_switch_pp").set_value(30).run()
    cmp = frame(at, "wi_table")
    assert cmp.loc[cmp[label("site")] == "INVENTED plant", label("months_what_if")].iloc[0] == pytest.approx(2 + 400 / 37)
    # a regime that spares Germany and leaves the US magnets uncut by the Dy rule: ban on the USA
    at.selectbox(key="wi_regime").set_value("ban-one-country").run()
    cmp = frame(at, "wi_table")
    assert (cmp.loc[cmp[label("site")] == "INVENTED plant", label("state_what_if")].iloc[0]
            == "not exhausted within horizon")
    assert not at.exception


@pytest.mark.parametrize("at", ["duckdb", "postgresql"], indirect=True)
def test_workspace_save_list_open_rename_compare_delete(at):
    upload(at, "stock.csv", GOOD)
    at.text_input(key="company_save_name").set_value("March").run()
    at.button(key="company_save").click().run()
    assert "Saved to the workspace as 'March'" in at.success[0].value
    upload(at, "stock-eu.csv", GOOD_EU)
    assert "semicolon-separated, decimal comma" in text(at)
    at.text_input(key="company_save_name").set_value("April").run()
    at.button(key="company_save").click().run()
    listing = frame(at, "company_snapshots")
    assert listing["Name"].tolist() == ["April", "March"]
    # compare (defaults: older -> newer): dysprosium oxide +50.5 t, magnets removed (the inputs table
    # of the comparison, in human headers; months of cover per regime: tests/test_page_company_flow.py)
    assert not any("What changed" in d.value.columns for d in at.dataframe)   # closed: nothing computed
    at.session_state["company_cmp_open"] = True                                 # the user opens it
    at.run()
    cmp = next(d.value for d in at.dataframe if "What changed" in d.value.columns)
    stock = cmp["Stock (t): April"].fillna(0) - cmp["Stock (t): March"].fillna(0)
    change = dict(zip(zip(cmp["Site"], cmp["Material"]), zip(stock, cmp["Status"])))
    assert change[("INVENTED plant", "Dysprosium oxide")] == (pytest.approx(50.5), "changed")
    assert change[("INVENTED US plant", "NdFeB permanent magnets")] == (pytest.approx(-40000.0), "removed")
    # open March
    sid = next(v for v in _ids(at) if _name(at, v) == "March")
    at.selectbox(key="company_pick").set_value(sid).run()
    at.button(key="company_open").click().run()
    assert "Opened snapshot 'March'" in at.success[0].value
    assert at.session_state["company_active"] == ("snapshot", sid)
    res = frame(at, "company_results")
    assert set(res[label("site")]) == {"INVENTED plant", "INVENTED US plant"}
    # rename
    at.text_input(key="company_rename").set_value("March (final)").run()
    at.button(key="company_rename_btn").click().run()
    assert frame(at, "company_snapshots")["Name"].tolist() == ["April", "March (final)"]
    # delete needs the confirmation
    assert at.button(key="company_delete").disabled
    at.checkbox(key="company_confirm_delete").check().run()
    at.button(key="company_delete").click().run()
    assert frame(at, "company_snapshots")["Name"].tolist() == ["April"]
    assert not at.exception


def _ids(at: AppTest) -> list[str]:
    return [s.snapshot_id for s in _store(at).list("local")]


def _name(at: AppTest, sid: str) -> str:
    return _store(at).open("local", sid).info.name


def _store(at: AppTest):
    from chokepoint.workspace import Workspace
    return Workspace.default()


def test_unreachable_workspace_server_leaves_the_page_working_read_only(tmp_path, monkeypatch):
    """CHOKEPOINT_WORKSPACE_URL points at a port nobody listens on: one warning, no traceback, the upload
    and its results still work, saving is off."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE_URL", f"postgresql://chokepoint:pw@127.0.0.1:{port}/gone")
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page("pages/company.py").run()
    assert not app.exception, app.exception
    warn = " ".join(w.value for w in app.warning)
    assert f"127.0.0.1:{port}/gone is unreachable" in warn and "saving is off" in warn and "pw@" not in warn
    upload(app, "stock.csv", GOOD)
    assert not app.exception
    assert app.button(key="company_save").disabled
    assert frame(app, "company_results") is not None
