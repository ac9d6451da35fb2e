"""The backup archive: one uncompressed tar file (read back compressed too, should the operator
have compressed it) with, in this order,

- ``database.sqlite3`` (SQLite) or ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``),
- ``files/<path>``: every file under MEDIA_ROOT (attachments, improvement evidence, kept
  reports), by its path there,
- ``manifest.json``: kesu's version, the database's vendor, the migrations applied, rows and a
  checksum of every table, size and sha256 of the database member and of every file.

Everything streams: tables through server-side cursors, files and members in chunks; the
archive is written under a temporary name and renamed only once complete. Reading refuses any
member that is not a plain file at a plain relative path (absolute, ``..``, links, devices).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

import kesu
from kesu.backup.databases import (
    BackupError,
    Database,
    pg_env,
    pg_tool,
    run_tool,
    server_major,
    server_version,
    sqlite_connect,
)
from kesu.backup.inventory import SqliteReader, Table, model_tables

FORMAT = "kesu-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES = "files/"
CHUNK = 1024 * 1024

Say = Callable[[str], None]


# --- small pieces ---------------------------------------------------------------------------


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


class _HashingWriter:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def tell(self) -> int:
        return self.raw.tell()

    def flush(self) -> None:
        self.raw.flush()


def sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def walk_files(root: Path, skipped: Callable[[str], None] | None = None) -> Iterator[str]:
    """The regular files under ``root`` as relative POSIX paths, in a stable order; links and
    other special files are left out (and named to ``skipped``)."""
    if not root.is_dir():
        return
    stack = [""]
    while stack:
        prefix = stack.pop()
        directory = root / prefix if prefix else root
        with os.scandir(directory) as entries:
            names = sorted(entries, key=lambda e: e.name, reverse=True)
        for entry in names:
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append(rel)
            elif entry.is_file(follow_symlinks=False):
                yield rel
            elif skipped is not None:
                skipped(rel)


def printable(name: str) -> str:
    """A path for the terminal: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def member_path(name: str) -> PurePosixPath:
    """An archive member's name as a safe relative path, or BackupError."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or any(part == ".." for part in parts)
        or (len(name) > 1 and name[1] == ":")
    ):
        raise BackupError(
            _("The archive holds a member with an unsafe path, refused: %(name)s")
            % {"name": repr(name)}
        )
    clean = [part for part in parts if part not in ("", ".")]
    if not clean:
        raise BackupError(
            _("The archive holds a member with an unsafe path, refused: %(name)s")
            % {"name": repr(name)}
        )
    return PurePosixPath(*clean)


def archive_destination(dest: str | None) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"kesu-backup-{stamp}.tar"
    if not dest:
        return Path.cwd() / name
    path = Path(dest).expanduser()
    if path.is_dir() or dest.endswith(("/", os.sep)):
        return path.resolve() / name
    return path.resolve()


# --- backup ---------------------------------------------------------------------------------


def _dump_sqlite(db: Database, out: Path) -> tuple[dict[str, Any], Any]:
    source_path = db.sqlite_path
    if not source_path.exists():
        raise BackupError(_("The database %(name)s does not exist.") % {"name": source_path})
    source = sqlite_connect(source_path, timeout=20)
    target = sqlite_connect(out)
    try:
        # The online backup API: a consistent copy even while kesu writes (SQLite restarts
        # the copy if another connection changes the database meanwhile).
        source.backup(target, pages=4096)
    finally:
        source.close()
    target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
    target.close()
    copy = sqlite_connect(out)
    try:
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(
                _("SQLite's integrity check of the copy failed: %(detail)s") % {"detail": check}
            )
        reader = SqliteReader(copy)
        tables = reader.tables(model_tables())
        migrations = reader.migrations()
        version = copy.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        copy.close()
    return {"vendor": "sqlite", "server_version": version}, (tables, migrations)


def _dump_postgres(db: Database, out: Path, say: Say) -> tuple[dict[str, Any], Any]:
    import psycopg

    connection = db.pg_connect()
    try:
        major = server_major(connection)
        pg_dump = pg_tool("pg_dump", major)
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            # One snapshot for pg_dump and for the counts and checksums of the manifest.
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        say(_("Dumping the database with %(tool)s…") % {"tool": pg_dump})
        run_tool(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                f"--file={out}",
                f"--dbname={db.settings['NAME']}",
            ],
            pg_env(db.settings),
        )
        from kesu.backup.inventory import PostgresReader

        say(_("Counting rows and computing table checksums…"))
        reader = PostgresReader(connection)
        tables = reader.tables(model_tables())
        migrations = reader.migrations()
        info = {"vendor": "postgresql", "server_version": server_version(connection)}
    finally:
        connection.rollback()
        connection.close()
    return info, (tables, migrations)


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> tuple[int, str]:
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        info = tarfile.TarInfo(name)
        info.size = st.st_size
        info.mtime = int(st.st_mtime)
        info.mode = 0o644
        reader = _HashingReader(f)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    return reader.size, reader.digest.hexdigest()


def backup(dest: str | None, say: Say) -> tuple[Path, dict[str, Any], str]:
    """Write the archive; returns its path, its manifest and its own sha256."""
    db = Database.default()
    target = archive_destination(dest)
    if target.exists():
        raise BackupError(
            _("%(path)s already exists: give another name or folder.") % {"path": target}
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    root = media_root()
    work = Path(tempfile.mkdtemp(prefix=".kesu-backup-", dir=target.parent))
    partial = target.with_name(target.name + ".partial")
    done = False
    try:
        member = DATABASE_MEMBERS[db.vendor]
        dump = work / member
        say(_("Backing up the database %(name)s…") % {"name": db.label})
        if db.vendor == "sqlite":
            info, (tables, migrations) = _dump_sqlite(db, dump)
        else:
            info, (tables, migrations) = _dump_postgres(db, dump, say)
        # Readable by its owner only: the archive holds personal data.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw:
            writer = _HashingWriter(raw)
            with tarfile.open(fileobj=writer, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                size, sha = _add_file(tar, member, dump)
                dump.unlink()
                say(_("Adding the files under %(root)s…") % {"root": root})
                files = []
                total = 0
                skipped: list[str] = []
                for rel in walk_files(root, skipped.append):
                    file_size, file_sha = _add_file(tar, FILES + rel, root / rel)
                    files.append({"path": rel, "size": file_size, "sha256": file_sha})
                    total += file_size
                    tar.members = []  # nothing kept per member: memory stays bounded
                for rel in skipped:
                    say(_("Left out (not a regular file): %(path)s") % {"path": printable(rel)})
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "kesu_version": kesu.__version__,
                    "created_at": timezone.now().isoformat(),
                    "database": {**info, "member": member, "size": size, "sha256": sha},
                    "migrations": migrations,
                    "tables": tables,
                    "files": {"count": len(files), "bytes": total, "entries": files},
                }
                body = json.dumps(manifest, indent=1, ensure_ascii=True).encode("ascii")
                info_m = tarfile.TarInfo(MANIFEST)
                info_m.size = len(body)
                info_m.mtime = int(timezone.now().timestamp())
                info_m.mode = 0o644
                tar.addfile(info_m, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        if target.exists():
            raise BackupError(
                _("%(path)s already exists: give another name or folder.") % {"path": target}
            )
        os.replace(partial, target)
        done = True
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself reaches the disk
        finally:
            os.close(directory)
        return target, manifest, writer.digest.hexdigest()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not done:
            partial.unlink(missing_ok=True)


# --- reading an archive ---------------------------------------------------------------------


@dataclass
class Scan:
    """What one pass over an archive found (hashes computed from the bytes read)."""

    manifest: dict[str, Any] | None = None
    database: tuple[str, int, str] | None = None  # member, size, sha256
    files: dict[str, tuple[int, str]] = field(default_factory=dict)


def scan(
    archive: Path,
    *,
    database_out: Path | None = None,
    files_out: Path | None = None,
) -> Scan:
    """Read ``archive`` once from start to end, checking every member's name and type;
    write the database member to ``database_out`` and the files under ``files_out`` when
    given. Raises BackupError on an unsafe or unexpected member."""
    found = Scan()
    try:
        tar = tarfile.open(archive, mode="r|*")  # noqa: SIM115  (closed by the `with` below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(
            _("%(path)s is not a readable backup archive: %(error)s")
            % {"path": archive, "error": exc}
        ) from None
    with tar:
        try:
            while (member := tar.next()) is not None:
                _scan_member(tar, member, found, database_out, files_out)
                tar.members = []  # nothing kept per member: memory stays bounded
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise BackupError(
                _("%(path)s is damaged or incomplete: %(error)s") % {"path": archive, "error": exc}
            ) from None
    if found.manifest is None:
        raise BackupError(
            _("%(path)s holds no manifest.json: not a complete kesu backup.") % {"path": archive}
        )
    if found.manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not a kesu backup.") % {"path": archive})
    if int(found.manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s was written by a newer kesu (archive format %(version)s): restore"
                " it with that version."
            )
            % {"path": archive, "version": found.manifest.get("format_version")}
        )
    return found


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, out: IO[bytes] | None):
    source = tar.extractfile(member)
    assert source is not None
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return size, digest.hexdigest()


def _scan_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    found: Scan,
    database_out: Path | None,
    files_out: Path | None,
) -> None:
    path = member_path(member.name)
    if member.isdir() and path.parts[0] == "files":
        return
    if not member.isreg():
        raise BackupError(
            _("The archive holds a member that is not a plain file, refused: %(name)s")
            % {"name": repr(member.name)}
        )
    name = str(path)
    if name == MANIFEST:
        if found.manifest is not None:
            raise BackupError(_("The archive holds manifest.json twice."))
        if member.size > 1024 * 1024 * 1024:
            raise BackupError(_("The archive's manifest.json is too large."))
        source = tar.extractfile(member)
        assert source is not None
        try:
            found.manifest = json.loads(source.read().decode("ascii"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(
                _("The archive's manifest.json cannot be read: %(error)s") % {"error": exc}
            ) from None
        return
    if name in DATABASE_MEMBERS.values():
        if found.database is not None:
            raise BackupError(_("The archive holds more than one database."))
        if database_out is None:
            size, sha = _copy_member(tar, member, None)
        else:
            with database_out.open("xb") as out:
                size, sha = _copy_member(tar, member, out)
        found.database = (name, size, sha)
        return
    if path.parts[0] != "files" or len(path.parts) < 2:
        raise BackupError(
            _("The archive holds an unexpected member, refused: %(name)s")
            % {"name": repr(member.name)}
        )
    rel = str(PurePosixPath(*path.parts[1:]))
    if rel in found.files:
        raise BackupError(_("The archive holds the file %(name)s twice.") % {"name": repr(rel)})
    if files_out is None:
        found.files[rel] = _copy_member(tar, member, None)
        return
    target = files_out.joinpath(*path.parts[1:])
    if not target.resolve().is_relative_to(files_out.resolve()):  # belt and braces
        raise BackupError(
            _("The archive holds a member with an unsafe path, refused: %(name)s")
            % {"name": repr(member.name)}
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as out:
        found.files[rel] = _copy_member(tar, member, out)


# --- comparing ------------------------------------------------------------------------------


@dataclass
class Line:
    kind: str  # "database", "table", "files", "file"
    name: str
    expected: str
    actual: str
    ok: bool


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def add(self, kind: str, name: str, expected: Any, actual: Any, ok: bool) -> None:
        self.lines.append(Line(kind, printable(name), str(expected), str(actual), ok))

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def differences(self) -> int:
        return sum(not line.ok for line in self.lines)

    def render(self) -> str:
        head = [_("kind"), _("name"), _("in the backup"), _("found"), _("result")]
        rows = [head] + [
            [
                _kind_label(line.kind),
                line.name,
                line.expected,
                line.actual,
                ("✓ " + _("same")) if line.ok else ("✗ " + _("DIFFERENT")),
            ]
            for line in self.lines
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(head))]
        out = []
        for index, row in enumerate(rows):
            out.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)


def _kind_label(kind: str) -> str:
    return {
        "database": _("database"),
        "table": _("table"),
        "files": _("files"),
        "file": _("file"),
        "migrations": _("migrations"),
    }.get(kind, kind)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "-"


def compare_tables(report: Report, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    for name in sorted(expected):
        want = expected[name]
        got = actual.get(name)
        if got is None:
            report.add(
                "table", name, f"{want['rows']} / {_short(want['sha256'])}", _("missing"), False
            )
            continue
        ok = got["rows"] == want["rows"] and got["sha256"] == want["sha256"]
        report.add(
            "table",
            name,
            f"{want['rows']} / {_short(want['sha256'])}",
            f"{got['rows']} / {_short(got['sha256'])}",
            ok,
        )


def compare_files(
    report: Report, manifest: dict[str, Any], actual: dict[str, tuple[int, str]]
) -> None:
    """One summary line, then a line for each missing, extra or changed file."""
    expected = {e["path"]: (int(e["size"]), e["sha256"]) for e in manifest["files"]["entries"]}
    same = sum(1 for path, item in expected.items() if actual.get(path) == item)
    report.add(
        "files",
        _("%(count)s files") % {"count": len(expected)},
        f"{len(expected)}",
        _("%(found)s found, %(same)s same") % {"found": len(actual), "same": same},
        same == len(expected) == len(actual),
    )
    for path in sorted(set(expected) | set(actual)):
        want, got = expected.get(path), actual.get(path)
        if want == got:
            continue
        report.add(
            "file",
            path,
            f"{want[0]} B / {_short(want[1])}" if want else _("absent"),
            f"{got[0]} B / {_short(got[1])}" if got else _("missing"),
            False,
        )


def check_archive(archive: Path, say: Say) -> Report:
    """Is the archive whole? Every member's size and sha256 against the manifest; the
    database member opened (SQLite: integrity check and every table's checksum again;
    PostgreSQL: pg_restore reads its table of contents)."""
    try:
        work = Path(tempfile.mkdtemp(prefix=".kesu-check-", dir=archive.parent))
    except OSError:  # a read-only folder of archives: the system's temporary folder then
        work = Path(tempfile.mkdtemp(prefix="kesu-check-"))
    try:
        dump = work / "database"
        found = scan(archive, database_out=dump)
        manifest = found.manifest
        assert manifest is not None
        report = Report()
        _compare_database_member(report, manifest, found)
        if found.database is not None:
            vendor = manifest["database"]["vendor"]
            if vendor == "sqlite":
                tables = _sqlite_tables(dump, manifest_tables(manifest), report)
                if tables is not None:
                    compare_tables(report, manifest["tables"], tables)
            elif vendor == "postgresql":
                _pg_list(dump, manifest, report, say)
        compare_files(report, manifest, found.files)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _compare_database_member(report: Report, manifest: dict[str, Any], found: Scan) -> None:
    want = manifest["database"]
    got = found.database
    report.add(
        "database",
        want["member"],
        f"{want['size']} B / {_short(want['sha256'])}",
        f"{got[1]} B / {_short(got[2])}" if got else _("missing"),
        got is not None
        and got[0] == want["member"]
        and (got[1], got[2]) == (want["size"], want["sha256"]),
    )


def _sqlite_tables(path: Path, tables: list[Table], report: Report) -> dict[str, Any] | None:
    connection = sqlite_connect(path)
    try:
        try:
            check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            check = str(exc)
        report.add("database", _("SQLite integrity check"), "ok", check, check == "ok")
        if check != "ok":
            return None
        return SqliteReader(connection).tables(tables)
    finally:
        connection.close()


def manifest_tables(manifest: dict[str, Any]) -> list[Table]:
    """The tables the manifest describes, read in the order it records (so a check does not
    depend on the models of the kesu that runs it)."""
    return [
        Table(name, tuple((str(c), bool(t)) for c, t in item["order_by"]))
        for name, item in sorted(manifest["tables"].items())
    ]


def _pg_list(dump: Path, manifest: dict[str, Any], report: Report, say: Say) -> None:
    version = str(manifest["database"].get("server_version", ""))
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    try:
        pg_restore = pg_tool("pg_restore", major)
    except BackupError as exc:
        say(str(exc))
        report.add("database", "pg_restore --list", "ok", _("not checked"), True)
        return
    try:
        run_tool([pg_restore, "--list", str(dump)], dict(os.environ))
        report.add("database", "pg_restore --list", "ok", "ok", True)
    except BackupError as exc:
        report.add("database", "pg_restore --list", "ok", str(exc).splitlines()[0], False)


def compare_live(manifest: dict[str, Any], say: Say) -> Report:
    """The database and the files as they are now, against the manifest."""
    db = Database.default()
    report = Report()
    if db.vendor != manifest["database"]["vendor"]:
        raise BackupError(
            _("The backup is of a %(archive)s database; this kesu uses %(here)s.")
            % {"archive": manifest["database"]["vendor"], "here": db.vendor}
        )
    say(_("Counting rows and computing table checksums…"))
    with db.reader() as reader:
        tables = reader.tables(manifest_tables(manifest))
        migrations = reader.migrations()
    compare_tables(report, manifest["tables"], tables)
    want = manifest.get("migrations", {})
    report.add(
        "migrations",
        _("latest per app"),
        len(want),
        len(migrations),
        migrations == want,
    )
    say(_("Hashing the files under %(root)s…") % {"root": media_root()})
    root = media_root()
    found = {}
    for rel in walk_files(root):
        found[rel] = sha256_file(root / rel)
    compare_files(report, manifest, found)
    return report


# --- restore --------------------------------------------------------------------------------


def holds_data(db: Database) -> list[str]:
    """What already holds data here: tables with rows, and the uploads folder if not empty."""
    found: list[str] = []
    if not db.is_empty_file():
        with db.reader() as reader:
            found += reader.tables_with_data(model_tables())
    root = media_root()
    if next(walk_files(root), None) is not None:
        found.append(str(root))
    return found


def restore(archive: Path, *, force: bool, say: Say) -> tuple[dict[str, Any], Report]:
    db = Database.default()
    root = media_root()
    existing = holds_data(db)
    if existing and not force:
        raise BackupError(
            _(
                "The database or the uploads folder already holds data (%(what)s). Restore"
                " into an empty database and data folder, or give --force to replace them."
            )
            % {"what": ", ".join(existing[:8]) + (" …" if len(existing) > 8 else "")}
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    if db.vendor == "sqlite":
        db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        work_parent = db.sqlite_path.parent
    else:
        work_parent = root.parent
    work = Path(tempfile.mkdtemp(prefix=".kesu-restore-", dir=work_parent))
    staged = Path(tempfile.mkdtemp(prefix=".uploads-restore-", dir=root.parent))
    try:
        # 1. Read the whole archive, checking it, before anything here changes.
        say(_("Reading and checking %(path)s…") % {"path": archive})
        dump = work / "database"
        found = scan(archive, database_out=dump, files_out=staged)
        manifest = found.manifest
        assert manifest is not None
        vendor = manifest["database"]["vendor"]
        if vendor != db.vendor:
            raise BackupError(
                _("The backup is of a %(archive)s database; this kesu uses %(here)s.")
                % {"archive": vendor, "here": db.vendor}
            )
        check = Report()
        _compare_database_member(check, manifest, found)
        compare_files(check, manifest, found.files)
        if not check.ok:
            raise ArchiveDamaged(check)
        # 2. The database.
        say(_("Restoring the database %(name)s…") % {"name": db.label})
        if db.vendor == "sqlite":
            _restore_sqlite(dump, db)
        else:
            _restore_postgres(dump, db)
        # 3. The files: the old folder (if any) is kept aside, never deleted.
        if root.exists():
            if any(root.iterdir()):
                aside = root.with_name(
                    f"{root.name}.before-restore-{timezone.localtime():%Y%m%d-%H%M%S}"
                )
                root.rename(aside)
                say(_("The previous files were moved to %(path)s.") % {"path": aside})
            else:
                root.rmdir()
        staged.rename(root)
        say(
            _("Restored %(count)s files into %(root)s.") % {"count": len(found.files), "root": root}
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staged, ignore_errors=True)
    # 4. Prove it.
    return manifest, compare_live(manifest, say)


class ArchiveDamaged(BackupError):
    def __init__(self, report: Report) -> None:
        super().__init__(_("The archive does not match its manifest: nothing was restored."))
        self.report = report


def _restore_sqlite(dump: Path, db: Database) -> None:
    source = sqlite_connect(dump)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(
                _("SQLite's integrity check of the archived database failed: %(detail)s")
                % {"detail": check}
            )
        target = sqlite_connect(db.sqlite_path, timeout=20)
        try:
            # Through SQLite's backup API into the target, under its locks: the target
            # becomes the archived database as a whole, and a live -wal file stays coherent.
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise BackupError(
                _("Cannot write the database %(name)s: %(error)s")
                % {"name": db.sqlite_path, "error": exc}
            ) from None
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgres(dump: Path, db: Database) -> None:
    connection = db.pg_connect()
    try:
        major = server_major(connection)
    finally:
        connection.close()
    pg_restore = pg_tool("pg_restore", major)
    run_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={db.settings['NAME']}",
            str(dump),
        ],
        pg_env(db.settings),
    )


def pending_migrations() -> tuple[list[str], list[str]]:
    """After a restore: migrations this kesu has that the database lacks, and migrations the
    database has that this kesu does not know (the backup came from a newer version)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    on_disk = set(loader.disk_migrations)
    pending = sorted(f"{a}.{n}" for a, n in on_disk - applied)
    unknown = sorted(f"{a}.{n}" for a, n in applied - on_disk)
    connection.close()
    return pending, unknown
