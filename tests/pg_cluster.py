"""A throwaway PostgreSQL cluster for tests and benches (Debian's postgresql package).

``PgCluster.start()`` runs ``initdb`` into a fresh temp dir and ``pg_ctl start`` on a free loopback
port, trust auth for the local superuser ``chokepoint``; ``stop()`` stops it and removes the dir.
As root (CI), the cluster runs as the unprivileged user ``nobody`` (PostgreSQL refuses root): the
temp dir is created outside pytest's private tmp and handed to that user. ``create_database()``
gives each test a database of its own.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

RUN_AS = "nobody"


def pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<ver>/bin with initdb and pg_ctl, or None."""
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if cands:
        return Path(cands[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="chokepoint-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self.user = "chokepoint"
        self._as: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", RUN_AS, "--"]

    def _run(self, *args: str, timeout: float = 120) -> None:
        res = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout,
                             cwd=self.dir, env=dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8"))
        if res.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stderr[-2000:]}\n{log}")

    def start(self) -> PgCluster:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=on -c max_connections=100 -c shared_buffers=32MB")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts,
                  "-w", "-t", "60", "start")
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL."""
        import psycopg
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                          timeout=60)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
