"""A private Dovecot IMAP server on loopback for the tests (Debian's dovecot-imapd, installed by
scripts/ensure-dovecot.sh): its own configuration, state and mail under a temporary folder,
never the system's instance. The passwd-file lists many accounts from the start (Dovecot
notices a changed file only by its mtime, in whole seconds), so each test takes a fresh, empty
account from one running server.

Run as root (CI), mail is stored as ``nobody``: Dovecot refuses to access mail as UID 0.
Run as another user, everything runs as that user.
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DOVECOT = os.environ.get("KESU_DOVECOT", "/usr/sbin/dovecot")
ACCOUNTS = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    username: str
    password: str

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.username, self.password)
        return imap

    def append(
        self, raw: bytes, *, folder: str = "INBOX", flags: str = "", when: datetime | None = None
    ) -> None:
        """Deliver a mail the way a mail client stores one: IMAP APPEND."""
        imap = self.client()
        try:
            date = imaplib.Time2Internaldate(when) if when is not None else None
            typ, data = imap.append(folder, f"({flags})" if flags else None, date, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID → the FLAGS list of every mail in ``folder``."""
        imap = self.client()
        try:
            typ, data = imap.select(f'"{folder}"')
            assert typ == "OK", data
            typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
            found: dict[int, str] = {}
            for line in data:
                if not isinstance(line, bytes):
                    continue
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                found[uid] = text.split("FLAGS (")[1].split(")")[0]
            return found
        finally:
            imap.logout()

    def unflag_seen(self, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            imap.select(f'"{folder}"')
            imap.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
        finally:
            imap.logout()

    def settings_entry(self, **extra: object) -> dict[str, object]:
        """This account as one entry of ``KESU_MAILBOXES``."""
        return {
            "name": self.username,
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "ssl": False,
            "starttls": False,
            **extra,
        }


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kesu-dovecot-"))
        self.root.chmod(0o755)  # the mail user must reach its Maildir below
        self.port = free_port()
        self.users = self.root / "users"
        self.log = self.root / "dovecot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            self.login_user, self.internal_user = "dovenull", "dovecot"
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self.uid).pw_name
            self.login_user = self.internal_user = me

    def _config(self) -> str:
        r = self.root
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {self.login_user}
default_internal_user = {self.internal_user}
first_valid_uid = 1
mail_location = maildir:{r}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.users}
}}
userdb {{
  driver = passwd-file
  args = {self.users}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
{self._rootless() if os.geteuid() != 0 else ""}"""

    @staticmethod
    def _rootless() -> str:
        # Without root the master cannot hand sockets to the dovecot group.
        listeners = {
            "stats": "stats-writer",
            "imap-hibernate": "imap-hibernate",
            "dict": "dict",
            "dict-async": "dict-async",
        }
        return "".join(
            f"service {svc} {{\n  unix_listener {name} {{\n    group =\n  }}\n}}\n"
            for svc, name in listeners.items()
        )

    def start(self) -> None:
        if not os.access(DOVECOT, os.X_OK):
            raise FileNotFoundError(DOVECOT)
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, self.uid, self.gid)
        self.users.write_text("".join(self._user_line(n) for n in range(1, ACCOUNTS + 1)))
        conf = self.root / "dovecot.conf"
        conf.write_text(self._config())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited:\n{self.logs()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as s,
            ):
                if s.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on port {self.port}:\n{self.logs()}")

    def logs(self) -> str:
        parts = [
            p.read_text(errors="replace")
            for p in (self.root / "stderr.log", self.log)
            if p.exists()
        ]
        return "\n".join(parts)[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _user_line(self, n: int) -> str:
        home = self.root / "mail" / f"desk{n}"
        return f"desk{n}:{{PLAIN}}pw-desk{n}:{self.uid}:{self.gid}::{home}::\n"

    def new_account(self) -> Account:
        """An account nobody used yet: its INBOX is empty."""
        n = next(self._names)
        if n > ACCOUNTS:
            raise RuntimeError("raise ACCOUNTS: more tests than prepared accounts")
        return Account(
            host="127.0.0.1", port=self.port, username=f"desk{n}", password=f"pw-desk{n}"
        )
