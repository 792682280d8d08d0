"""The one Streamlit shim: explicit (called by each page), never a side effect of an import."""
import ast
import importlib
import pathlib
import sys

import pytest
from streamlit.runtime.pages_manager import PagesManager

from chokepoint.ui import router

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def flag(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    monkeypatch.setattr(router, "_checked", False)
    return monkeypatch


def test_legacy_mode_is_flipped_and_the_page_reruns_through_app(flag):
    reruns = []
    flag.setattr(router.st, "rerun", lambda: reruns.append(1))
    PagesManager.uses_pages_directory = True
    router.route_through_app()
    assert reruns == [1] and PagesManager.uses_pages_directory is False
    PagesManager.uses_pages_directory = True      # Streamlit decides once per process: so do we
    router.route_through_app()
    assert reruns == [1]


@pytest.mark.parametrize("state", [False, None])
def test_no_rerun_once_app_py_routes(flag, state):
    flag.setattr(router.st, "rerun", lambda: pytest.fail("must not rerun"))
    PagesManager.uses_pages_directory = state
    router.route_through_app()
    assert PagesManager.uses_pages_directory is state


def test_importing_the_ui_changes_nothing(flag):
    PagesManager.uses_pages_directory = True
    for name in [m for m in sys.modules if m == "chokepoint.ui" or m.startswith("chokepoint.ui.")]:
        del sys.modules[name]
    importlib.import_module("chokepoint.ui")
    assert PagesManager.uses_pages_directory is True


def test_every_page_calls_the_shim_first():
    for page in sorted((ROOT / "pages").glob("*.py")):
        body = [n for n in ast.parse(page.read_text()).body
                if not isinstance(n, (ast.Import, ast.ImportFrom))
                and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]  # docstring
        assert ast.unparse(body[0]) == "ui.route_through_app()", page.name
