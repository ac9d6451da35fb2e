"""The two databases kesu runs on, as backup and restore see them.

SQLite: a consistent copy through SQLite's online backup API (never a copy of the file, which
misses what still sits in the write-ahead log); restored through the same API into the target,
under SQLite's own locks, so no stale ``-wal`` file is ever replayed onto a new database file.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` of the server's own major version,
reached with the DATABASE_URL's parameters in libpq's environment variables (the password
never appears on a command line).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kesu.backup.inventory import PostgresReader, Reader, SqliteReader


def sqlite_connect(path: Path | str, timeout: float = 20) -> sqlite3.Connection:
    """A plain sqlite3 connection that knows Django's SQL functions (kesu's expression
    indexes use them: an integrity check evaluates them)."""
    from django.db.backends.sqlite3._functions import register

    connection = sqlite3.connect(path, timeout=timeout)
    register(connection)
    return connection


class BackupError(Exception):
    """A failure explained to the operator (the message is already translated)."""


@dataclass
class Database:
    vendor: str  # "sqlite" or "postgresql"
    settings: dict[str, Any]

    @classmethod
    def default(cls) -> Database:
        from django.db import connections

        connection = connections["default"]
        if connection.vendor not in ("sqlite", "postgresql"):
            raise BackupError(
                _("Backups support SQLite and PostgreSQL, not %(vendor)s.")
                % {"vendor": connection.vendor}
            )
        connections.close_all()  # backup and restore use connections of their own
        return cls(connection.vendor, dict(connection.settings_dict))

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return str(self.sqlite_path)
        params = pg_params(self.settings)
        return f"{params.get('host', '')}:{params.get('port', '')}/{params['dbname']}"

    # --- SQLite ------------------------------------------------------------------------------

    @property
    def sqlite_path(self) -> Path:
        name = str(self.settings["NAME"])
        if name in ("", ":memory:") or name.startswith("file:"):
            raise BackupError(
                _("The SQLite database %(name)s is not a file: nothing to back up.")
                % {"name": name}
            )
        return Path(name).resolve()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A reader of this database now: one consistent snapshot for all its tables."""
        if self.vendor == "sqlite":
            path = self.sqlite_path
            if not path.exists():
                raise BackupError(_("The database %(name)s does not exist.") % {"name": path})
            connection = sqlite_connect(path)
            try:
                connection.execute("BEGIN")  # one read transaction: one snapshot
                yield SqliteReader(connection)
            finally:
                connection.close()
            return
        connection = self.pg_connect()
        try:
            import psycopg

            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            yield PostgresReader(connection)
        finally:
            connection.rollback()
            connection.close()

    def is_empty_file(self) -> bool:
        return self.vendor == "sqlite" and (
            not self.sqlite_path.exists() or self.sqlite_path.stat().st_size == 0
        )

    # --- PostgreSQL ----------------------------------------------------------------------------

    def pg_connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(**pg_params(self.settings))
        except psycopg.Error as exc:
            raise BackupError(
                _("Cannot connect to the database %(name)s: %(error)s")
                % {"name": self.label, "error": str(exc).strip()}
            ) from None


_LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def pg_params(settings: dict[str, Any]) -> dict[str, str]:
    """libpq connection parameters from Django's settings of a PostgreSQL database."""
    params = {"dbname": str(settings.get("NAME") or "")}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if settings.get(key):
            params[name] = str(settings[key])
    if settings.get("PORT"):
        params["port"] = str(settings["PORT"])
    for key, value in (settings.get("OPTIONS") or {}).items():
        if key in _LIBPQ_ENV and value not in (None, ""):
            params[key] = str(value)
    return params


def pg_env(settings: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({_LIBPQ_ENV[k]: v for k, v in pg_params(settings).items()})
    return env


def _major(version_output: str) -> int | None:
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version_output) or re.search(
        r"\s(\d+)(?:\.\d+)?", version_output
    )
    return int(found.group(1)) if found else None


def pg_tool(name: str, server_major: int) -> str:
    """The path of ``name`` (pg_dump, pg_restore) of the server's major version: from
    KESU_PG_BIN, else PATH, else Debian's /usr/lib/postgresql/MAJOR/bin."""
    candidates: list[str] = []
    if os.environ.get("KESU_PG_BIN"):
        candidates.append(str(Path(os.environ["KESU_PG_BIN"]) / name))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    seen: list[str] = []
    for candidate in candidates:
        if not os.access(candidate, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, timeout=30
            ).stdout
        except OSError:
            continue
        major = _major(out)
        if major == server_major:
            return candidate
        seen.append(f"{candidate} ({out.strip()})")
    if not seen:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL %(major)s client"
                " (Debian: apt-get install postgresql-client-%(major)s) or set KESU_PG_BIN"
                " to the folder that holds it."
            )
            % {"tool": name, "major": server_major}
        )
    raise BackupError(
        _(
            "%(tool)s must be of the server's major version %(major)s; found: %(found)s."
            " Install the PostgreSQL %(major)s client (Debian: apt-get install"
            " postgresql-client-%(major)s) or set KESU_PG_BIN to the folder that holds it."
        )
        % {"tool": name, "major": server_major, "found": "; ".join(seen)}
    )


def run_tool(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-20:]
        raise BackupError(
            _("%(tool)s failed (exit status %(status)s):\n%(detail)s")
            % {
                "tool": Path(args[0]).name,
                "status": result.returncode,
                "detail": "\n".join(detail),
            }
        )


def server_major(connection: Any) -> int:
    return int(connection.info.server_version) // 10000


def server_version(connection: Any) -> str:
    number = int(connection.info.server_version)
    return f"{number // 10000}.{number % 10000}"
