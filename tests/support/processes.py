"""Real ``kesu worker`` processes against the test database.

``database_url_for_children()`` makes the database this test uses reachable from a child
process and returns its ``DATABASE_URL``. PostgreSQL: pytest-django's test database, by name.
SQLite: the test database is in memory unless ``KESU_TEST_SQLITE`` names a file; then it is
copied to a file and this process's connection moves onto that file for the test's duration,
so both processes see the same rows. Use it in ``django_db(transaction=True)`` tests only:
a child cannot see rows an open test transaction has not committed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection


@contextmanager
def database_url_for_children(tmp_dir: Path) -> Iterator[str]:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings.get("USER") or "", safe="")
        password = quote(settings.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or 5432
        yield f"postgres://{auth}{host}:{port}/{quote(settings['NAME'], safe='')}"
        return
    if connection.vendor != "sqlite":  # pragma: no cover - only the two supported databases
        raise NotImplementedError(connection.vendor)
    if not connection.is_in_memory_db():
        yield f"sqlite:///{Path(settings['NAME']).resolve()}"
        return
    # In memory: copy it (schema and all) to a file and work on the file meanwhile.
    connection.ensure_connection()
    memory = connection.connection
    path = (tmp_dir / "shared.sqlite3").resolve()
    target = sqlite3.connect(path)
    try:
        memory.backup(target)
    finally:
        target.close()
    original = settings["NAME"]
    connection.connection = None  # kept open in `memory`: closing would drop the database
    settings["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        settings["NAME"] = original
        connection.connection = memory


def child_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KESU_", "DATABASE_URL", "DJANGO_"))
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="kesu.settings",
        DATABASE_URL=database_url,
        KESU_DATA_DIR=str(data_dir),
        KESU_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class WorkerProcess:
    """``python -m kesu.cli worker`` (the ``kesu worker`` console script) as a child process."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, poll: float = 0.1):
        self.name = name
        self.env = env
        self.poll = poll
        self.log_path = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kesu.cli",
                    "worker",
                    "--worker-id",
                    self.name,
                    "--poll",
                    str(self.poll),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL: no handler runs, nothing is released."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=10)

    def sigterm(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGTERM)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait for the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def cleanup(self) -> None:
        """Teardown: never leave a child behind (it holds database connections)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_events(self) -> list[dict]:
        events = []
        if not self.log_path.exists():
            return events
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
        return events

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if check():
            return True
        time.sleep(interval)
    return check()
