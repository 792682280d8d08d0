"""The one Streamlit shim (ui/router.py): explicit calls from app.py and every page, public API
only, nothing done at import. The end-to-end check (a first-ever request for a page URL gets
app.py's sidebar and menu) is tests/test_browser_overview.py::test_first_visit_to_a_page_url_goes_through_the_router."""
import ast
import importlib
import pathlib
import sys

import pytest

from chokepoint.ui import router

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(router, "_app_ran", False)
    monkeypatch.setattr(router.runpy, "run_path",
                        lambda path, run_name: (seen.append(("run", pathlib.Path(path).name, run_name)),
                                                router.app_routes()))
    monkeypatch.setattr(router.st, "stop", lambda: seen.append(("stop",)))
    return seen


def test_a_page_served_before_app_py_ran_runs_app_py_in_its_place_and_stops(calls):
    router.route_through_app()
    assert calls == [("run", "app.py", "__main__"), ("stop",)]
    assert router.APP == ROOT / "app.py"
    router.route_through_app()                       # once app.py's router is in charge: nothing
    assert len(calls) == 2


def test_nothing_happens_once_app_py_has_routed(calls):
    router.app_routes()
    router.route_through_app()
    assert calls == []


def test_importing_the_ui_changes_nothing(calls):
    for name in [m for m in sys.modules if m == "chokepoint.ui" or m.startswith("chokepoint.ui.")]:
        del sys.modules[name]
    importlib.import_module("chokepoint.ui")
    assert calls == []


def _first_statement(path: pathlib.Path, after: str | None = None) -> str:
    body = [n for n in ast.parse(path.read_text()).body
            if not isinstance(n, (ast.Import, ast.ImportFrom))
            and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]  # docstring
    code = [ast.unparse(n) for n in body]
    return code[code.index(after) + 1] if after else code[0]


def test_every_page_calls_the_shim_first_and_app_py_marks_its_router():
    for page in sorted((ROOT / "pages").glob("*.py")):
        assert _first_statement(page) == "ui.route_through_app()", page.name
    assert _first_statement(ROOT / "app.py", after="page = st.navigation(PAGES)") == "ui.app_routes()"
