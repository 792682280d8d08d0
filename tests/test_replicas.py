"""Two replicas, one PostgreSQL workspace, one nginx proxy, end to end.

Set-up (all local, all started and stopped by the test): a throwaway PostgreSQL cluster
(conftest ``pg_cluster``), the local OIDC provider of tests/oidc_mock.py, two `streamlit run app.py`
replicas on their own ports with the same ``[auth] cookie_secret`` and ``server.cookieSecret`` and
``CHOKEPOINT_WORKSPACE_URL`` on one database, and nginx in front with sticky sessions by route
cookie (tests/nginx_proxy.py; the config docs/DEPLOYMENT.md shows).

* User A signs in through the proxy, lands on replica 1 and saves a snapshot. A's next session
  (a new browser context) lands on replica 2 and sees it; user B, also on replica 2, never does.
* Replica 1 is SIGKILLed right after A clicks "Save" on it a second time: that snapshot is whole or
  absent; the proxy sends A's route to replica 2, which serves on and still shows the first save.
* 20 savers driving the workspace layer in a subprocess against the same database are SIGKILLed
  mid-save (tests/fault_harness.py): every snapshot is whole or absent, none duplicated, none of
  the reported saves lost; replica 2 still answers afterwards.

The stockpile values are INVENTED.
"""
from __future__ import annotations

import os
import secrets
import signal
import urllib.request
from pathlib import Path

import pytest

from tests import fault_harness as fh
from tests.nginx_proxy import NGINX, ROUTE_COOKIE, Nginx
from tests.oidc_mock import login, mock_provider

pytestmark = [pytest.mark.replicas, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SNAP = "REPLICA-SNAP-1"
SNAP2 = "REPLICA-SNAP-KILLED"
CSV = ("site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
       "INVENTED replica plant,DE,Dysprosium oxide,300,100,CN,80%\n"
       "INVENTED replica plant,DE,Dysprosium oxide,,,AU,20%\n").encode()
KILLS = 20


def _secrets(issuer: str, proxy_url: str, cookie_secret: str) -> str:
    """[auth] for every replica: the same cookie secret, the redirect back through the proxy."""
    return ("[auth]\n"
            f'redirect_uri = "{proxy_url}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\n'
            'client_id = "chokepoint-test"\n'
            f'client_secret = "{secrets.token_hex(16)}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')


@pytest.fixture(scope="module")
def stack(pg_cluster, tmp_path_factory):
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing (apt-get install nginx): the replica test needs it")
        pytest.skip("nginx is not installed")
    from tests.conftest import Server, _free_port
    url = pg_cluster.create_database("replicas")
    cookie_secret = secrets.token_hex(32)
    # the proxy's port must be known before the replicas start (it is in their redirect_uri)
    ports = [_free_port(), _free_port()]
    proxy = Nginx(ports)
    servers = []
    with mock_provider() as issuer:
        try:
            for k, port in enumerate(ports):
                tmp = tmp_path_factory.mktemp(f"replica{k + 1}")
                s = Server(tmp, env={"CHOKEPOINT_WORKSPACE_URL": url, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret},
                           port=port, secrets=_secrets(issuer, proxy.url, cookie_secret))
                servers.append(s)
            proxy.start()
            routes = proxy.routes()
            assert len(routes) == 2, f"the proxy never routed to both replicas: {routes}"
            yield {"url": url, "proxy": proxy, "servers": servers, "issuer": issuer,
                   "route": [routes[f"127.0.0.1:{p}"] for p in ports], "upstream": [f"127.0.0.1:{p}" for p in ports]}
        finally:
            proxy.stop()
            for s in servers:
                s.stop()


def _session(browser, proxy: Nginx, route: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 2400})
    ctx.add_cookies([{"name": ROUTE_COOKIE, "value": route, "url": proxy.url}])
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, page


def _company(page, proxy: Nginx) -> str:
    """Open the Company page through the proxy; the replica that answered."""
    resp = page.goto(proxy.url + "/company")
    page.get_by_role("heading", name="Company stockpiles").first.wait_for(timeout=90_000)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")"
        " || !/Running/.test(document.querySelector(\"[data-testid='stStatusWidget']\").innerText)",
        timeout=90_000)
    return resp.headers.get("x-chokepoint-upstream", "")


def _sees(page, name: str) -> None:
    """The snapshot is in the page's listing (a grid whose cells are attached but not "visible")."""
    page.get_by_text(name, exact=True).first.wait_for(state="attached", timeout=30_000)


def _upload_and_name(page, name: str) -> None:
    page.locator("input[type=file]").set_input_files(files=[{"name": "replica.csv", "mimeType": "text/csv",
                                                             "buffer": CSV}])
    page.get_by_text("Detected:").first.wait_for()
    box = page.get_by_label("Snapshot name")
    box.fill(name)
    box.press("Enter")
    page.wait_for_timeout(800)


def _db_problems(url: str) -> list[str]:
    """Every snapshot of every tenant whole (lines = rows), none duplicated, no orphan line."""
    import psycopg
    with psycopg.connect(url) as con:
        bad = con.execute("SELECT s.snapshot_id, s.rows, (SELECT count(*) FROM snapshot_lines l "
                          "WHERE l.snapshot_id = s.snapshot_id) n FROM snapshots s").fetchall()
        dups = con.execute("SELECT tenant, name, count(*) FROM snapshots GROUP BY tenant, name "
                           "HAVING count(*) > 1").fetchall()
        orphans = con.execute("SELECT count(*) FROM snapshot_lines l WHERE NOT EXISTS "
                              "(SELECT 1 FROM snapshots s WHERE s.snapshot_id = l.snapshot_id)").fetchone()[0]
    out = [f"{sid}: {n} lines, rows says {rows}" for sid, rows, n in bad if rows != n]
    out += [f"duplicated: {d}" for d in dups]
    out += [f"{orphans} orphan lines"] if orphans else []
    return out


def _names(url: str, name: str) -> int:
    import psycopg
    with psycopg.connect(url) as con:
        return con.execute("SELECT count(*) FROM snapshots WHERE name = %s", (name,)).fetchone()[0]


@pytest.mark.browser
def test_two_replicas_share_one_workspace_and_survive_kills(browser, stack):
    proxy, (r1, r2), up = stack["proxy"], stack["route"], stack["upstream"]

    # 1. user A saves on replica 1
    ctx, a = _session(browser, proxy, r1)
    login(a, proxy.url, "alice@example.org")
    assert _company(a, proxy) == up[0], "A's first session did not land on replica 1"
    _upload_and_name(a, SNAP)
    a.get_by_role("button", name="Save to workspace").click()
    a.get_by_text(f"Saved to the workspace as '{SNAP}'").wait_for()
    ctx.close()

    # 2. A's next session lands on replica 2 and sees the snapshot
    ctx, a2 = _session(browser, proxy, r2)
    login(a2, proxy.url, "alice@example.org")
    assert _company(a2, proxy) == up[1], "A's second session did not land on replica 2"
    _sees(a2, SNAP)
    ctx.close()

    # 3. user B, on the same replica, never sees it
    ctx, b = _session(browser, proxy, r2)
    login(b, proxy.url, "bob@example.org")
    assert _company(b, proxy) == up[1]
    b.get_by_text("No saved snapshots yet").wait_for(timeout=30_000)
    assert SNAP not in b.content() and b.get_by_text(SNAP).count() == 0
    ctx.close()

    # 4. replica 1 is killed right after A clicks Save on it: whole or absent, and replica 2 serves on
    ctx, a3 = _session(browser, proxy, r1)
    login(a3, proxy.url, "alice@example.org")
    assert _company(a3, proxy) == up[0]
    _upload_and_name(a3, SNAP2)
    a3.get_by_role("button", name="Save to workspace").click()
    stack["servers"][0].proc.send_signal(signal.SIGKILL)
    stack["servers"][0].proc.wait(10)
    ctx.close()
    assert _names(stack["url"], SNAP2) in (0, 1)
    assert not _db_problems(stack["url"])
    ctx, a4 = _session(browser, proxy, r1)                 # A's route points at the dead replica
    login(a4, proxy.url, "alice@example.org")
    assert _company(a4, proxy).endswith(up[1]), "the proxy did not fail over to replica 2"
    _sees(a4, SNAP)
    ctx.close()

    # 5. 20 savers on the shared database killed mid-save (workspace layer, subprocesses)
    saved, runs = 0, []
    for seed in range(KILLS):
        out = fh.kill_saver(stack["url"], seed=1400 + seed, max_delay_s=1.0)
        assert not out.problems, (seed, out.killed_after_s, out.problems)
        saved += len(out.saved)
        runs.append(out)
    assert saved > 0, "the savers never saved anything: the kills tested nothing"
    assert not _db_problems(stack["url"])
    with urllib.request.urlopen(f"http://{up[1]}/_stcore/health", timeout=10) as r:
        assert r.status == 200
    print(f"\n{KILLS}/{KILLS} kills: {saved} saves reported, all whole, none lost or duplicated; "
          f"{runs[-1].listed} snapshots ({runs[-1].rows_checked} lines) checked; replica 2 serving")
