"""Shared fixtures: the repo root, the real-data folder, a live `streamlit run` and Chromium.

Browser tests run against a real `streamlit run app.py` on a free loopback port, in Debian's
Chromium (/usr/bin/chromium) driven by Playwright. They are marked `browser`; when Chromium is
missing they fail loudly in CI (CI=true) and skip elsewhere.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "real"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]



@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip(f"real data folder {REAL} is absent")
    return REAL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `streamlit run serve.py` (app.py, caches warmed at start: what `make run` serves) on a free
    loopback port, started from the repo root."""

    def __init__(self, tmp: Path, env: dict | None = None, *, secrets: str | None = None,
                 args: list[str] | None = None, port: int | None = None):
        """``port``: a given port instead of a free one (a proxy config names it up front). ``secrets``: TOML text (e.g. an [auth] section) written to ``tmp`` and passed with
        ``--secrets.files``, so the repo's own .streamlit/ is never written. ``args``: more CLI options."""
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"streamlit-{self.port}.log"
        env = dict(os.environ, CHOKEPOINT_WORKSPACE=str(tmp / "workspace.duckdb"),
                   CHOKEPOINT_DATA_HOME=str(tmp / "datasets"), **(env or {}))
        extra = list(args or [])
        if secrets is not None:
            secrets_file = tmp / f"secrets-{self.port}.toml"
            secrets_file.write_text(secrets, encoding="utf-8")
            secrets_file.chmod(0o600)
            extra += ["--secrets.files", str(secrets_file)]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", *extra],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.started = time.monotonic()
        deadline = self.started + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"streamlit did not start; log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        self.ready_s = time.monotonic() - self.started

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Base URL of a live `streamlit run app.py` shared by the browser tests."""
    server = Server(tmp_path_factory.mktemp("server"))
    yield server.url
    server.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """A server of the test's own (for tests about what the first request after start sees)."""
    server = Server(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


# ------------------------------------------------------------------ PostgreSQL (workspace server backend)
@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir on a free port) for the session.

    Skips where Debian's postgresql is not installed; fails in CI (CI=true), where `make test`
    installs it."""
    from tests.pg_cluster import PgCluster, pg_bin
    bindir = pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing (apt-get install postgresql): the workspace server tests need it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = PgCluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["duckdb", "postgresql"])
def workspace_target(request, tmp_path) -> str:
    """Where a fresh workspace lives, once per backend: a DuckDB file path or a new database's URL."""
    if request.param == "duckdb":
        return str(tmp_path / "ws" / "workspace.duckdb")
    return request.getfixturevalue("pg_cluster").create_database()


@pytest.fixture
def any_ws(workspace_target):
    """A fresh, empty workspace on each backend (every workspace test runs twice)."""
    from chokepoint.workspace import open_workspace
    ws = open_workspace(workspace_target)
    yield ws
    ws.close()

