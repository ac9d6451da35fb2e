"""The backup world: a database filled through the services (the improvement world: b2b
preset, a user of every role, complaints with attachments, an improvement action with
evidence files, a kept report), uploads in a temporary data folder, and helpers to run
``kesu backup`` / ``kesu restore`` as an operator would, against another, empty database."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from kesu.backup.archive import walk_files
from kesu.backup.databases import Database, pg_params
from kesu.backup.inventory import model_tables
from tests.console.conftest import console, frozen  # noqa: F401  (fixtures)
from tests.improvement.conftest import imp  # noqa: F401  (fixture)
from tests.support.processes import child_env, database_url_for_children

ROOT = Path(__file__).resolve().parents[2]
ODD_NAMES = [
    "stray/odd name 投诉 #1 -- ;'q'.txt",
    "stray/-leading dash.txt",
    os.fsdecode(b"stray/\xff\xfe not utf-8.bin"),
]


def kesu(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """``kesu ARGS`` in a child process (python -m kesu.cli, the console script's code)."""
    return subprocess.run(
        [sys.executable, "-m", "kesu.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )


def file_hashes(root: Path) -> dict[str, str]:
    return {rel: hashlib.sha256((root / rel).read_bytes()).hexdigest() for rel in walk_files(root)}


def _url(settings: dict, name: str) -> str:
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"


@dataclass
class Target:
    """An empty database for a restore, as a DATABASE_URL and as something to read."""

    url: str
    database: Database


def _admin(settings: dict):
    import psycopg

    params = {**pg_params(settings), "dbname": "postgres"}
    return psycopg.connect(**params, autocommit=True)


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[Target]:
    """A database that does not hold anything yet: a new SQLite file, or a new PostgreSQL
    database on the test server (dropped afterwards)."""
    if connection.vendor == "sqlite":
        path = tmp_path / f"restored-{uuid.uuid4().hex[:8]}.sqlite3"
        yield Target(f"sqlite:///{path}", Database("sqlite", {"NAME": str(path)}))
        return
    settings = dict(connection.settings_dict)
    name = f"kesu_restore_{uuid.uuid4().hex[:12]}"
    with _admin(settings) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Target(_url(settings, name), Database("postgresql", {**settings, "NAME": name}))
    finally:
        with _admin(settings) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def snapshot(database: Database) -> dict[str, tuple[int, str]]:
    """Rows and content checksum of every model table of ``database``."""
    with database.reader() as reader:
        return {
            name: (item["rows"], item["sha256"])
            for name, item in reader.tables(model_tables()).items()
        }


def raw_counts(database: Database) -> dict[str, int]:
    """SELECT count(*) of every model table, computed apart from the checksums."""
    with database.reader() as reader:
        existing = reader.existing_tables()
        return {
            t.name: reader.connection.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            for t in model_tables()
            if t.name in existing
        }


@dataclass
class Source:
    url: str
    data_dir: Path
    env: dict[str, str]

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"


def populate(world) -> None:
    """Complaints with attachments (one with a Chinese name, one internal), notes and
    contacts, a closed complaint, an improvement action with evidence files, notifications
    delivered by the worker, a kept report file."""
    from kesu.complaints.services import records
    from kesu.complaints.states import State
    from kesu.reports.services import report_generate
    from tests.budget import cases

    made = cases.complaints(world, 3)
    records.complaint_add_attachment(
        complaint=made[0],
        actor=world.users["handler"],
        name="签收单 (扫描件).pdf",
        content=b"%PDF-1.4 \x00\xff signed",
        content_type="application/pdf",
        visible_to_customer=False,
    )
    cases.rich_action(world, 2)
    world.build(State.CLOSED)
    cases.deliver()
    report_generate(month=date(2026, 10, 1), fmt="xlsx", source="download")


@pytest.fixture
def source(imp, settings, tmp_path) -> Iterator[Source]:  # noqa: F811
    """The populated database, reachable from child processes, and its data folder."""
    data_dir = tmp_path / "source"
    settings.MEDIA_ROOT = data_dir / "uploads"
    populate(imp)
    for rel in ODD_NAMES:
        path = settings.MEDIA_ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rel.encode("utf-8", "surrogateescape") * 3)
    with database_url_for_children(tmp_path) as url:
        yield Source(url, data_dir, child_env(url, data_dir))


def the_database() -> Database:
    """The test database itself, as backup and restore read it."""
    return Database(connection.vendor, dict(connection.settings_dict))
