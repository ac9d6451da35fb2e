"""A private PostgreSQL cluster for fault tests: initdb into a temporary directory, started on a
free loopback port, stopped and started at will, removed at the end.

The shared server (DATABASE_URL) serves other test runs at the same time and must never be
restarted; this one belongs to one test module. PostgreSQL refuses to run as root, so as root
the server programs run as the ``postgres`` OS user, in a directory that user owns.
A crash of the *machine* is not under test, so fsync and full-page writes are off (faster);
a crash of the *server* is, so ``synchronous_commit`` stays on: a commit it acknowledged has
reached the kernel and survives ``stop -m immediate``. (With it off, the fault test rightly
finds an acknowledged complaint missing after the crash.)
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def server_bin_dir() -> Path:
    """The newest PostgreSQL server programs on this machine (Debian's layout, or PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(
            "The PostgreSQL fault tests need the server programs (initdb, pg_ctl): "
            "apt-get install postgresql"
        )
    return versions[-1].parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = server_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="kesu-pgfault-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [*self._as_user, str(self.bin / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}\n{tail}")

    def init(self) -> PrivateCluster:
        self._run(
            "initdb",
            "-D", str(self.data),
            "-A", "trust",
            "-U", "postgres",
            "-E", "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: backends are told to end (57P01) and transactions roll back; ``immediate``:
        they are killed, as in a crash, and the next start recovers from the WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str, **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.url(database), connect_timeout=5, **kwargs)  # type: ignore[arg-type]

    def create_database(self, name: str) -> None:
        with self.connect("postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        """Never leaves a server behind, whatever state the test left it in."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
