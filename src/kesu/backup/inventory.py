"""What a database holds, as numbers that survive a dump and a restore: the rows of every table
and a checksum of their content, and the migrations applied.

A table's checksum is the sha256 of its column names and then of every row, read in primary-key
order through a streaming cursor (never the whole table in memory), each value in a stable,
typed text form. The same database read at backup time and again after the restore gives the
same checksums; any changed, added or removed row changes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FETCH = 2000  # rows fetched at a time

# Filled by ``migrate`` itself on an empty database: rows there do not make it "hold data".
MIGRATE_FILLS = {"django_migrations", "django_content_type", "auth_permission"}


@dataclass(frozen=True)
class Table:
    name: str
    order_by: tuple[tuple[str, bool], ...]  # (column, textual) of the primary key


def model_tables() -> list[Table]:
    """The tables of every installed model (many-to-many tables included) and Django's
    migration record, sorted by name."""
    from django.apps import apps
    from django.db import models

    found: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        pk_fields = list(getattr(meta, "pk_fields", None) or [meta.pk])
        order = tuple(
            (f.column, isinstance(f, (models.CharField, models.TextField))) for f in pk_fields
        )
        found.setdefault(meta.db_table, Table(meta.db_table, order))
    found.setdefault("django_migrations", Table("django_migrations", (("id", False),)))
    return [found[name] for name in sorted(found)]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def value_text(value: Any) -> str:
    """One value as text: a type tag and a form that does not depend on the machine."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "b:1" if value else "b:0"
    if isinstance(value, int):
        return f"i:{value}"
    if isinstance(value, float):
        return f"f:{value!r}"
    if isinstance(value, str):
        # JSON string escaping: tabs, newlines and control characters never split a row.
        return "s:" + json.dumps(value, ensure_ascii=False)[1:-1]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "x:" + bytes(value).hex()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return "t:" + value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return "t:" + value.isoformat()
    if isinstance(value, Decimal):
        return f"n:{value}"
    if isinstance(value, dt.timedelta):
        return f"d:{value.days}:{value.seconds}:{value.microseconds}"
    if isinstance(value, uuid.UUID):
        return f"u:{value}"
    if isinstance(value, (dict, list)):
        return "j:" + json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "r:" + repr(value)


def row_bytes(row: Iterable[Any]) -> bytes:
    return ("\t".join(value_text(v) for v in row) + "\n").encode("utf-8", "surrogatepass")


class Reader:
    """Reads one database: its vendor's SQL for the table list and a streaming cursor."""

    vendor = ""

    def existing_tables(self) -> set[str]:
        raise NotImplementedError

    def stream_cursor(self) -> Any:
        raise NotImplementedError

    def order_clause(self, table: Table) -> str:
        return ", ".join(quote(column) for column, _textual in table.order_by)

    def table_digest(self, table: Table) -> tuple[int, str]:
        digest = hashlib.sha256()
        rows = 0
        cursor = self.stream_cursor()
        try:
            cursor.execute(f"SELECT * FROM {quote(table.name)} ORDER BY {self.order_clause(table)}")
            columns = [d[0] for d in cursor.description]
            digest.update(("\t".join(columns) + "\n").encode("utf-8"))
            while batch := cursor.fetchmany(FETCH):
                for row in batch:
                    digest.update(row_bytes(row))
                rows += len(batch)
        finally:
            cursor.close()
        return rows, digest.hexdigest()

    def has_rows(self, table: str) -> bool:
        cursor = self.stream_cursor()
        try:
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            return cursor.fetchone() is not None
        finally:
            cursor.close()

    def migrations(self) -> dict[str, str]:
        """The latest applied migration of every app."""
        if "django_migrations" not in self.existing_tables():
            return {}
        cursor = self.stream_cursor()
        latest: dict[str, str] = {}
        try:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            while batch := cursor.fetchmany(FETCH):
                for app, name in batch:
                    latest[app] = name
        finally:
            cursor.close()
        return latest

    def tables(self, tables: list[Table]) -> dict[str, dict[str, Any]]:
        """Rows and checksum of each of ``tables`` that exists, by name."""
        existing = self.existing_tables()
        out: dict[str, dict[str, Any]] = {}
        for table in tables:
            if table.name in existing:
                rows, sha = self.table_digest(table)
                out[table.name] = {
                    "rows": rows,
                    "sha256": sha,
                    "order_by": [list(pair) for pair in table.order_by],
                }
        return out

    def tables_with_data(self, tables: list[Table]) -> list[str]:
        existing = self.existing_tables()
        return [
            t.name
            for t in tables
            if t.name in existing and t.name not in MIGRATE_FILLS and self.has_rows(t.name)
        ]


class SqliteReader(Reader):
    vendor = "sqlite"

    def __init__(self, connection: Any) -> None:
        self.connection = connection  # a sqlite3.Connection

    def existing_tables(self) -> set[str]:
        rows = self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def stream_cursor(self) -> Any:
        return self.connection.cursor()  # sqlite3 steps through the rows as they are fetched


class PostgresReader(Reader):
    """Inside the caller's transaction (a snapshot when it is REPEATABLE READ)."""

    vendor = "postgresql"

    def __init__(self, connection: Any) -> None:
        self.connection = connection  # a psycopg.Connection, not in autocommit
        self._cursors = 0

    def existing_tables(self) -> set[str]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))"
            )
            return {name for (name,) in cursor.fetchall()}

    def stream_cursor(self) -> Any:
        # A server-side cursor: rows come FETCH at a time, never the whole table at once.
        self._cursors += 1
        return self.connection.cursor(name=f"kesu_backup_{self._cursors}")

    def order_clause(self, table: Table) -> str:
        # Byte order for text keys: the same on every machine, whatever the database's locale.
        return ", ".join(
            quote(column) + (' COLLATE "C"' if textual else "")
            for column, textual in table.order_by
        )
