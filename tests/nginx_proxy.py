"""A local nginx (Debian package) in front of several `streamlit run` replicas, for tests and benches.

The config is the one docs/DEPLOYMENT.md describes (sticky sessions by a route cookie, websocket
upgrade for /_stcore/stream), written to a temp dir and run in the foreground with its own pid,
log and temp paths on a free loopback port; ``stop()`` ends it. Test-only addition: the header
``X-Chokepoint-Upstream`` names the replica that answered, so a test can tell where it landed.

Stickiness: the first response sets ``chokepoint_route`` to a random id ($request_id) and every
request is routed by ``hash $route consistent``: a browser stays on one replica for as long as it
keeps the cookie; if that replica is down, nginx retries the next one (proxy_next_upstream).
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

NGINX = "/usr/sbin/nginx"
ROUTE_COOKIE = "chokepoint_route"

CONF = """\
worker_processes 1;
daemon off;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # sticky sessions: a route id per browser (cookie), set on its first response
    map $cookie_{cookie} $route {{ "" $request_id; default $cookie_{cookie}; }}

    upstream chokepoint {{
        hash $route consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 30m;
        location / {{
            proxy_pass http://chokepoint;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_next_upstream error timeout;
            add_header Set-Cookie "{cookie}=$route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Chokepoint-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self, upstream_ports: list[int]):
        self.dir = Path(tempfile.mkdtemp(prefix="chokepoint-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstreams = [f"127.0.0.1:{p}" for p in upstream_ports]
        (self.dir / "tmp").mkdir()
        user = ""
        if os.geteuid() == 0:           # workers drop to nobody: give them the temp dirs
            pw = pwd.getpwnam("nobody")
            os.chown(self.dir / "tmp", pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o755)
            user = "user nobody nogroup;"
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=10s;" for u in self.upstreams)
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(CONF.format(dir=self.dir, port=self.port, servers=servers, cookie=ROUTE_COOKIE,
                                         user=user))
        self.proc: subprocess.Popen | None = None

    def start(self) -> Nginx:
        test = subprocess.run([NGINX, "-t", "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.dir / "error.log")],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx config rejected: {test.stderr}")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.conf), "-e",
                                      str(self.dir / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: {(self.dir / 'error.log').read_text(errors='replace')[-2000:]}")

    def upstream_for(self, route: str) -> str:
        """The replica (host:port) the proxy sends a browser with this route cookie to."""
        req = urllib.request.Request(self.url + "/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.headers["X-Chokepoint-Upstream"]
        except urllib.error.HTTPError as e:          # an error page still names its upstream
            return e.headers["X-Chokepoint-Upstream"]

    def routes(self, tries: int = 64) -> dict[str, str]:
        """One route cookie value per replica: {upstream host:port: route}."""
        found: dict[str, str] = {}
        for k in range(tries):
            found.setdefault(self.upstream_for(f"route-{k}"), f"route-{k}")
            if len(found) == len(self.upstreams):
                break
        return found

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
