"""pyproject.toml lists the packages (so data/ and queries/ can ride along inside the wheel):
every chokepoint subpackage must be listed, and every file the package reads must be bundled."""
from __future__ import annotations

import fnmatch
import tomllib

from chokepoint import catalog

ROOT = catalog.ROOT
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_chokepoint_package_is_listed():
    """Every folder of chokepoint/ (packages and data folders such as assets/) goes into the wheel."""
    folders = [ROOT / "chokepoint", *(p for p in (ROOT / "chokepoint").rglob("*") if p.is_dir())]
    on_disk = {".".join(p.relative_to(ROOT).parts) for p in folders if p.name != "__pycache__"}
    listed = {p for p in SETUPTOOLS["packages"] if not p.startswith("chokepoint._bundle")}
    assert on_disk == listed


def test_data_and_queries_are_bundled():
    for pkg, folder in (("chokepoint._bundle.data", "data"), ("chokepoint._bundle.queries", "queries")):
        assert SETUPTOOLS["package-dir"][pkg] == folder
        patterns = SETUPTOOLS["package-data"][pkg]
        tracked = [p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts]
        missing = [f for f in tracked if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/")
                                                 for pat in patterns)]
        assert not missing, f"{folder}/ files not in package-data: {missing}"


def test_console_script_points_at_the_cli():
    assert PYPROJECT["project"]["scripts"] == {"chokepoint": "chokepoint.cli:main"}
