"""The caches of built-in data (chokepoint.ui): one value per process, each caller its own handle.

A caller that adds a column to a query result or to a cached view's table, or writes a cell, must
never change what the next caller (another session) gets; a cached view's figure is drawn once."""
import pandas as pd

from chokepoint import ui
from chokepoint.views.spec import ChartSpec


def test_query_results_are_independent_handles():
    a = ui.query("exposure_trade_coverage")
    n_cols, first, last = list(a.columns), a.iloc[0, 0], a.iloc[-1, 0]
    assert first != last
    a["added_by_a_caller"] = 1
    a.iloc[0, 0] = last
    b = ui.query("exposure_trade_coverage")
    assert list(b.columns) == n_cols
    assert b.iloc[0, 0] == first


def _view(n: int) -> dict:
    calls.append(n)
    data = pd.DataFrame({"x": list(range(n)), "y": [float(i) for i in range(n)]})
    return {"table": data, "specs": [ChartSpec(f"test-{n}", "A title", "A subtitle", "INVENTED source", data,
                                               "exposure_profile")]}


calls: list[int] = []


def test_a_view_is_computed_once_and_each_caller_gets_its_own_copy():
    first = ui.view(_view, 3)
    first["table"]["z"] = 0
    first["table"].loc[0, "x"] = 99
    first["specs"][0].data.loc[0, "y"] = -1.0
    again = ui.view(_view, 3)
    assert calls.count(3) == 1
    assert list(again["table"].columns) == ["x", "y"] and again["table"].loc[0, "x"] == 0
    assert again["specs"][0].data.loc[0, "y"] == 0.0
    assert again["specs"][0] is not first["specs"][0]
    assert again["specs"][0].memo is first["specs"][0].memo    # the drawn figure is shared


def test_equal_arguments_give_one_key_whatever_their_set_order():
    # equal sets built in a different order iterate in a different order: the key must not differ
    # (it did, and every session recomputed Months of cover once)
    names = [f"material_{i}" for i in range(40)]
    a, b = frozenset(names), frozenset(reversed(names))
    assert a == b
    assert ui._plain(a) == ui._plain(b)
    assert ui._plain({"x": a}) == ui._plain({"x": b})


def test_warm_up_leaves_the_overview_computed_and_drawn():
    from chokepoint.ui import warm
    from chokepoint.views import overview
    warm.warm()
    specs = ui.view(overview.page, ui.query)
    assert specs and all("screen" in s.memo for s in specs)    # drawn: the first visitor draws nothing


def test_serve_py_serves_app_py_with_the_warm_up():
    import ast
    from pathlib import Path
    src = (Path(__file__).resolve().parent.parent / "serve.py").read_text(encoding="utf-8")
    call = next(n.value for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "app")
    assert ast.unparse(call) == "st.App('app.py', lifespan=lifespan)"


def test_a_copy_that_draws_the_same_keeps_the_drawn_figure():
    data = pd.DataFrame({"x": [1, 2]})
    spec = ChartSpec("a", "A title", "A subtitle", "INVENTED source", data, "exposure_profile")
    assert spec.with_(id="b", notes=("a note",)).memo is spec.memo
    assert spec.with_(title="Another title").memo is not spec.memo


def test_no_drawer_reads_what_a_copy_may_change_without_redrawing():
    import re
    from pathlib import Path

    from chokepoint.views import spec as spec_mod
    charts = Path(spec_mod.__file__).resolve().parent.parent / "charts"
    text = "\n".join(p.read_text(encoding="utf-8") for p in charts.glob("*.py"))
    for name in spec_mod._NOT_DRAWN:
        assert not re.search(rf"\bspec\.{name}\b", text), f"charts read spec.{name}: drawn figures would go stale"


def test_a_library_regime_is_keyed_once_and_a_spec_with_data_every_time():
    from chokepoint import regimes
    reg = next(iter(regimes.load_library().values()))
    key = ui._plain(reg)
    assert vars(reg)["_plain_key"] == key and ui._plain(reg) == key
    spec = ChartSpec("a", "t", "s", "INVENTED", pd.DataFrame({"x": [1.0]}), "exposure_profile")
    before = ui._plain(spec)
    spec.data.loc[0, "x"] = 2.0
    assert ui._plain(spec) != before and "_plain_key" not in vars(spec)
