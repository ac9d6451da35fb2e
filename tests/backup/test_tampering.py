"""A damaged or hostile archive is refused before anything is restored: a changed byte in a
file, a manifest that does not match the database, members with absolute paths, ``..`` or
links."""

from __future__ import annotations

import io
import json
import shutil
import tarfile

import pytest

from kesu.backup.archive import scan
from kesu.backup.databases import BackupError
from tests.backup.conftest import empty_database, kesu, snapshot
from tests.backup.test_roundtrip import backup
from tests.support.processes import child_env

TRANSACTIONAL = pytest.mark.django_db(transaction=True)


def rewrite(archive, out, change):
    """Copy ``archive`` member by member to ``out``; ``change(info, data)`` returns the
    member to write instead (or None to write it as it was)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for info in src:
            data = src.extractfile(info).read()
            changed = change(info, data)
            if changed is not None:
                info, data = changed
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


@TRANSACTIONAL
def test_one_changed_byte_in_a_file_is_found_and_nothing_is_restored(source, tmp_path):
    archive = backup(source, tmp_path)
    tampered = tmp_path / "tampered.tar"
    shutil.copy(archive, tampered)
    with tarfile.open(tampered) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("files/complaints/"))
    with tampered.open("r+b") as f:  # one byte, in place: sizes and headers unchanged
        f.seek(member.offset_data + 3)
        byte = f.read(1)
        f.seek(member.offset_data + 3)
        f.write(bytes([byte[0] ^ 0x20]))
    rel = member.name.removeprefix("files/")

    verified = kesu("backup", "--verify", str(tampered), env=source.env)
    assert verified.returncode == 1
    assert len([line for line in verified.stdout.splitlines() if "✗" in line and rel in line]) == 1
    checked = kesu("restore", "--check", str(tampered), env=source.env)
    assert checked.returncode == 1 and rel in checked.stdout

    with empty_database(tmp_path) as target:
        env = child_env(target.url, tmp_path / "restored")
        done = kesu("restore", str(tampered), env=env)
        assert done.returncode == 1
        assert rel in done.stdout
        # Nothing restored: no table, no file.
        assert target.database.is_empty_file() or snapshot(target.database) == {}
        assert not (tmp_path / "restored" / "uploads").exists() or not any(
            (tmp_path / "restored" / "uploads").iterdir()
        )
    # The untouched archive still verifies.
    assert kesu("backup", "--verify", str(archive), env=source.env).returncode == 0


@TRANSACTIONAL
def test_a_row_count_that_does_not_match_the_manifest_is_a_difference(source, tmp_path):
    archive = backup(source, tmp_path)

    def one_more_row(info, data):
        if info.name != "manifest.json":
            return None
        manifest = json.loads(data)
        manifest["tables"]["complaints_complaint"]["rows"] += 1
        return info, json.dumps(manifest).encode("ascii")

    tampered = rewrite(archive, tmp_path / "counted.tar", one_more_row)
    with empty_database(tmp_path) as target:
        done = kesu("restore", str(tampered), env=child_env(target.url, tmp_path / "restored"))
        assert done.returncode == 1, done.stdout + done.stderr
        different = [line for line in done.stdout.splitlines() if "✗" in line]
        assert len(different) == 1 and "complaints_complaint" in different[0]


UNSAFE = [
    ("../evil.txt", tarfile.REGTYPE),
    ("/tmp/evil-absolute.txt", tarfile.REGTYPE),
    ("files/../../evil.txt", tarfile.REGTYPE),
    ("files/complaints/../../../evil.txt", tarfile.REGTYPE),
    ("files/link", tarfile.SYMTYPE),
    ("files/hard", tarfile.LNKTYPE),
    ("files/fifo", tarfile.FIFOTYPE),
    ("elsewhere.txt", tarfile.REGTYPE),
]


def hostile(path, name, kind):
    """An archive with one good file, then the member ``name`` of type ``kind``."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("files/complaints/1/ok.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"ok"))
        info = tarfile.TarInfo(name)
        info.type = kind
        data = b"evil" if kind == tarfile.REGTYPE else b""
        if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
            info.linkname = "/etc/passwd"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data) if data else None)
    return path


@pytest.mark.parametrize(("name", "kind"), UNSAFE)
def test_unsafe_members_are_refused(tmp_path, name, kind):
    archive = hostile(tmp_path / "hostile.tar", name, kind)
    staging = tmp_path / "data" / "staging"
    staging.mkdir(parents=True)
    with pytest.raises(BackupError) as refused:
        scan(archive, database_out=tmp_path / "db", files_out=staging)
    assert repr(name) in str(refused.value)
    assert not any(tmp_path.rglob("evil*"))
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_the_commands_refuse_a_hostile_archive(tmp_path):
    with empty_database(tmp_path) as target:
        env = child_env(target.url, tmp_path / "data" / "here")
        for index, (name, kind) in enumerate([UNSAFE[1], UNSAFE[4]]):
            archive = hostile(tmp_path / f"hostile-{index}.tar", name, kind)
            for args in (("backup", "--verify"), ("restore",)):
                done = kesu(*args, str(archive), env=env)
                assert done.returncode == 1, (args, done.stdout, done.stderr)
                assert repr(name) in done.stderr, (args, done.stderr)
        assert target.database.is_empty_file() or snapshot(target.database) == {}
    assert not any(tmp_path.rglob("evil*"))
    assert not (tmp_path / "data" / "here" / "uploads").exists()
    assert not list((tmp_path / "data" / "here").glob(".uploads-restore-*"))
    assert not list((tmp_path / "data" / "here").glob(".kesu-restore-*"))
