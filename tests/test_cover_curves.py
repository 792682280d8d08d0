"""Run-down curves: regimes whose curves coincide are found, named and drawn so both show.
The curves are INVENTED fixtures (three regimes, two with the same central curve)."""
import pandas as pd

from chokepoint.views import cover as view_cover


def _curves() -> pd.DataFrame:
    rows = []
    for rid, stock, state in (("a", [100, 50, 0], "exhausted"), ("b", [100, 80, 60], "not exhausted"),
                              ("c", [100, 50.2, 0], "exhausted")):
        for m, s in enumerate(stock):
            rows.append({"regime": rid, "regime_name": f"Regime {rid.upper()}", "month": m,
                         "date": pd.Timestamp("2025-04-04") + pd.DateOffset(months=m), "stock_t": s,
                         "stock_low_t": s * 0.8, "stock_high_t": s * 1.2, "state": state,
                         "months": 2.0 if state == "exhausted" else None, "months_high": None, "band": "test band"})
    return pd.DataFrame(rows)


def test_coinciding_curves_are_grouped_within_half_a_tonne():
    assert view_cover.coinciding(_curves()) == [["a", "c"]]
    assert view_cover.coinciding(_curves().query("regime != 'c'")) == []


def test_the_subtitle_names_them_and_the_second_is_dashed_with_one_band():
    spec = view_cover.rundown(_curves(), country="JPN", material="magnets", material_id="m")
    assert "Regime A = Regime C" in spec.subtitle
    fig = spec.figure()
    lines = {t.name.split(":")[0]: t for t in fig.data if t.mode == "lines"}
    assert lines["Regime A"].line.dash == "solid" and lines["Regime C"].line.dash == "dash"
    bands = [t for t in fig.data if t.fill == "toself"]
    assert [b.legendgroup for b in bands] == ["a"]       # one band for the pair; B does not run out
