"""The pieces on their own: safe member names, the stable text of values, finding pg_dump of
the server's version."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal

import pytest

from kesu.backup.archive import archive_destination, member_path
from kesu.backup.databases import BackupError, pg_tool
from kesu.backup.inventory import row_bytes, value_text


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../x", "files/../../x", "a/../b", "files/..", "", "C:/x", "a\\..\\b", "/"],
)
def test_unsafe_member_names(name):
    with pytest.raises(BackupError):
        member_path(name)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("files/a/b.txt", "files/a/b.txt"),
        ("./files//a/./b", "files/a/b"),
        ("files/投诉 ..名.txt", "files/投诉 ..名.txt"),
        ("files/..x", "files/..x"),
    ],
)
def test_safe_member_names(name, path):
    assert str(member_path(name)) == path


def test_values_have_one_unambiguous_text():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    moment = dt.datetime(2026, 11, 16, 10, 0, tzinfo=shanghai)
    assert value_text(moment) == value_text(moment.astimezone(dt.UTC))
    assert value_text(None) != value_text("\\N") != value_text("")
    assert value_text(1) != value_text("1") != value_text(True) != value_text(1.0)
    assert value_text(Decimal("1.10")) == "n:1.10"
    assert value_text({"b": 1, "a": [1, "二"]}) == value_text({"a": [1, "二"], "b": 1})
    assert value_text(b"\x00\xff") == value_text(memoryview(b"\x00\xff")) == "x:00ff"
    assert value_text(uuid.UUID(int=1)).startswith("u:")
    # A tab or a newline inside a value cannot be mistaken for the next column or row.
    assert row_bytes(["a\tb"]) != row_bytes(["a", "b"])
    assert row_bytes(["a\nb"]).count(b"\n") == 1


def test_archive_name(tmp_path):
    assert archive_destination(str(tmp_path)).parent == tmp_path
    assert archive_destination(str(tmp_path)).name.startswith("kesu-backup-")
    assert archive_destination(str(tmp_path / "x.tar")) == tmp_path / "x.tar"


def test_pg_dump_of_another_major_version_is_refused_clearly(tmp_path, monkeypatch):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.11'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KESU_PG_BIN", str(tmp_path))
    with pytest.raises(BackupError) as refused:
        pg_tool("pg_dump", 99)
    message = str(refused.value)
    assert "14.11" in message and "99" in message and "postgresql-client-99" in message
    assert pg_tool("pg_dump", 14) == str(fake)
    monkeypatch.setenv("PATH", os.devnull)
    monkeypatch.delenv("KESU_PG_BIN")
    with pytest.raises(BackupError, match="postgresql-client-98"):
        pg_tool("pg_dump", 98)
