"""Back up a populated database with `kesu backup`, restore it with `kesu restore` into
another, empty database and data folder, and compare every table and every file with the
original — as an operator would run it, in child processes."""

from __future__ import annotations

import hashlib

import pytest

from kesu.backup.archive import walk_files
from kesu.complaints.models import Attachment
from kesu.improvement.models import ActionAttachment
from kesu.reports.models import ReportRun
from tests.backup.conftest import (
    ODD_NAMES,
    empty_database,
    file_hashes,
    kesu,
    raw_counts,
    snapshot,
    the_database,
)
from tests.support.processes import child_env

pytestmark = pytest.mark.django_db(transaction=True)


def backup(source, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    done = kesu("backup", f"{out}/", env=source.env)
    assert done.returncode == 0, done.stderr
    [archive] = list(out.iterdir())
    assert archive.name.startswith("kesu-backup-") and archive.suffix == ".tar"
    return archive


def test_a_backup_restored_elsewhere_is_the_same_database_and_files(source, tmp_path):
    original = the_database()
    tables = snapshot(original)
    counts = raw_counts(original)
    files = file_hashes(source.uploads)
    # What was made through the services is really there (so the test proves something).
    assert counts["complaints_complaint"] >= 4 and counts["complaints_event"] > 10
    assert Attachment.objects.count() == 6 and ActionAttachment.objects.count() == 2
    assert ReportRun.objects.count() == 1 and counts["outbox_outboxmessage"] > 0
    assert len(files) == 6 + 2 + 1 + len(ODD_NAMES)

    archive = backup(source, tmp_path)
    checked = kesu("backup", "--verify", str(archive), env=source.env)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    with empty_database(tmp_path) as target:
        restored_dir = tmp_path / "restored"
        env = child_env(target.url, restored_dir)
        done = kesu("restore", str(archive), env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "✗" not in done.stdout

        # Every table: the same rows (counted on their own) and the same content.
        assert raw_counts(target.database) == counts
        assert snapshot(target.database) == tables
        # Every file, odd names included, byte for byte, and the database's own record of
        # each attachment's checksum matches the restored file.
        restored = file_hashes(restored_dir / "uploads")
        assert restored == files
        for row in list(Attachment.objects.all()) + list(ActionAttachment.objects.all()):
            assert restored[row.file.name] == row.sha256
        run = ReportRun.objects.get()
        assert restored[run.file.name] == run.sha256

        # A second restore into what now holds data is refused, and changes nothing.
        again = kesu("restore", str(archive), env=env)
        assert again.returncode != 0
        assert "--force" in again.stderr
        assert snapshot(target.database) == tables
        # With --force it replaces the data; the files already there are kept aside.
        (restored_dir / "uploads" / "stray" / "added later.txt").write_text("x")
        forced = kesu("restore", "--force", str(archive), env=env)
        assert forced.returncode == 0, forced.stdout + forced.stderr
        assert snapshot(target.database) == tables
        assert file_hashes(restored_dir / "uploads") == files
        [aside] = [p for p in restored_dir.iterdir() if p.name.startswith("uploads.before-")]
        assert (aside / "stray" / "added later.txt").exists()


def test_a_changed_restored_database_or_file_is_reported(source, tmp_path):
    archive = backup(source, tmp_path)
    with empty_database(tmp_path) as target:
        restored_dir = tmp_path / "restored"
        env = child_env(target.url, restored_dir)
        assert kesu("restore", str(archive), env=env).returncode == 0
        same = kesu("restore", "--compare", str(archive), env=env)
        assert same.returncode == 0, same.stdout + same.stderr

        # One row less in one table, one row changed in another, one file changed.
        with target.database.reader() as reader:
            c = reader.connection
            c.execute("SET TRANSACTION READ WRITE") if reader.vendor == "postgresql" else None
            c.execute(
                "DELETE FROM complaints_attachment WHERE id = (SELECT max(id) FROM"
                " complaints_attachment)"
            )
            c.execute("UPDATE accounts_department SET name = name || '!'")
            c.commit()
        some_file = sorted(walk_files(restored_dir / "uploads"))[0]
        path = restored_dir / "uploads" / some_file
        data = bytearray(path.read_bytes())
        data[0] ^= 1
        path.write_bytes(bytes(data))

        changed = kesu("restore", "--compare", str(archive), env=env)
        assert changed.returncode == 1, changed.stdout + changed.stderr
        different = [line for line in changed.stdout.splitlines() if "✗" in line]
        named = " ".join(different)
        assert "complaints_attachment" in named and "accounts_department" in named
        assert some_file in named
        assert "complaints_complaint" not in named
        # The row count itself is shown: one less than in the backup.
        [line] = [d for d in different if "complaints_attachment" in d]
        counts = [int(part.split("/")[0]) for part in line.split("  ") if "/" in part]
        assert counts[0] == counts[1] + 1


def test_the_archive_holds_database_files_and_manifest(source, tmp_path):
    import json
    import tarfile

    archive = backup(source, tmp_path)
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data: its owner's only
    assert not list(archive.parent.glob(".kesu-*")) and not list(archive.parent.glob("*.partial"))
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    vendor = the_database().vendor
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[vendor]
    assert names[0] == member and names[-1] == "manifest.json"
    assert manifest["database"]["vendor"] == vendor
    assert manifest["kesu_version"]
    assert manifest["migrations"]["complaints"].startswith("00")
    assert manifest["tables"]["complaints_complaint"]["rows"] >= 4
    entries = {e["path"]: e["sha256"] for e in manifest["files"]["entries"]}
    assert entries == file_hashes(source.uploads)
    assert {f"files/{p}" for p in entries} == set(names[1:-1])
    for path, sha in entries.items():
        assert hashlib.sha256((source.uploads / path).read_bytes()).hexdigest() == sha
