"""Fault tests on PostgreSQL (issue 7): the database restarted during a run of requests, a
request killed in the middle of a transition, the worker across a database restart.

kesu runs as in production (docs/deployment.md): gunicorn with ``kesu.gunicorn_conf`` (two
sync workers) and ``kesu worker``, as child processes, against a private PostgreSQL cluster
(``tests.security.pgcluster``) that these tests stop, crash and start; the shared server of
the test run is never touched. Requests are real HTTP. Faults:

- ``pg_ctl stop -m fast``, then ``-m immediate`` (a crash, recovered from the WAL at the next
  start), each with one request held inside its transaction, others arriving while the
  database is down and a steady load throughout. Every answer is a success or a 503 with
  ``Retry-After`` in the reader's language, never a 500; once the database is back the next
  requests succeed with no process restarted; creations answered 503, sent again with their
  Idempotency-Key, make exactly one complaint each; every complaint is whole.
- A solution proposal blocked inside its transaction after it wrote its solution and event
  (the test holds a row lock the transaction needs next): its web worker killed with SIGKILL,
  then its database backend terminated. The complaint's rows stay exactly as they were; the
  next proposal succeeds.
- ``kesu worker`` across a restart: it logs one line per failed loop, backs off, and delivers
  the next message without being restarted.

Each test records its figures (``tests.support.figures``): requests sent, answers by status,
faults injected, complaints lost or duplicated (must be 0). Which database errors count as
"try again" is checked on its own, on both databases.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import psycopg.errors
import pytest
from django import db
from django.utils import translation

from kesu.web.dbdown import RETRY_AFTER_SECONDS, unavailable_message, unavailable_reason
from tests.security.pgcluster import PrivateCluster, free_port
from tests.support import figures
from tests.support.processes import WorkerProcess, child_env, wait_until

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "kesu_fault"
ALLOWED = {200, 201, 503}
# Generous: the machine may be busy with other test runs; a healthy answer takes milliseconds.
PATIENCE = 60.0


# ---- which errors mean "try again" -------------------------------------------------------------


def _as_django(kind: type[db.Error], cause: BaseException) -> db.Error:
    """The error as Django raises it: its own class, the driver's error as the cause."""
    error = kind(str(cause))
    error.__cause__ = cause
    return error


PG = psycopg.errors
ERRORS = {
    # name: (the error as raised, whether it means "try again")
    "refused": (_as_django(db.OperationalError, psycopg.OperationalError("refused")), True),
    "connection-lost": (_as_django(db.OperationalError, PG.ConnectionFailure("lost")), True),
    "terminated": (_as_django(db.OperationalError, PG.AdminShutdown("terminating")), True),
    "starting-up": (_as_django(db.OperationalError, PG.CannotConnectNow("starting")), True),
    "too-many-clients": (_as_django(db.OperationalError, PG.TooManyConnections("full")), True),
    "deadlock": (_as_django(db.OperationalError, PG.DeadlockDetected("deadlock")), True),
    "serialization": (_as_django(db.OperationalError, PG.SerializationFailure("retry")), True),
    "closed": (_as_django(db.InterfaceError, psycopg.InterfaceError("closed")), True),
    "sqlite-locked": (
        _as_django(db.OperationalError, sqlite3.OperationalError("database is locked")),
        True,
    ),
    "statement-timeout": (_as_django(db.OperationalError, PG.QueryCanceled("timeout")), False),
    "sqlite-no-table": (
        _as_django(db.OperationalError, sqlite3.OperationalError("no such table: x")),
        False,
    ),
    "unique": (_as_django(db.IntegrityError, PG.UniqueViolation("duplicate")), False),
    "no-table": (_as_django(db.ProgrammingError, PG.UndefinedTable("no table")), False),
    "not-the-database": (ValueError("bad value"), False),
}


@pytest.mark.parametrize(("error", "retry"), ERRORS.values(), ids=ERRORS.keys())
def test_which_database_errors_mean_try_again(error: BaseException, retry: bool) -> None:
    """A connection lost or refused, a server going down or starting, a transaction the
    database undid: 503, send it again. Anything else is not the database being away."""
    assert (unavailable_reason(error) is not None) is retry


# ---- the web server and its HTTP --------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class WebServer:
    """gunicorn with ``kesu.gunicorn_conf`` and two sync workers, as a child process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **self.env,
            "KESU_BIND": f"127.0.0.1:{self.port}",
            "KESU_WEB_WORKERS": "2",
        }
        # --preload with the URLs imported (tests.security.warmwsgi): the application is
        # loaded once, in the master, so a web worker the test kills is replaced by a fork
        # that answers at once, not by a Django start-up.
        command = [
            *(sys.executable, "-m", "gunicorn", "-c", "python:kesu.gunicorn_conf"),
            *("--preload", "tests.security.warmwsgi:application"),
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        if not wait_until(self._healthy, timeout=PATIENCE, interval=0.2):
            raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
        try:
            return self.request("GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = PATIENCE,
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data, sent = None, {}
            if body is not None:
                data = json.dumps(body, ensure_ascii=False).encode()
                sent = {"Content-Type": "application/json"}
            elif form is not None:
                data = urlencode(form).encode()
                sent = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request(method, path, body=data, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            found = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, found, response.read())
        finally:
            conn.close()

    def worker_pids(self) -> set[int]:
        """The master's live children: the web workers."""
        assert self.process is not None
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            if int(parent) == self.process.pid and state != "Z":
                pids.add(int(stat.parent.name))
        return pids

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        """At the end of the module: nothing left to finish, so no graceful shutdown."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in self.worker_pids():
            os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=20)


# ---- the site: cluster, database, server ------------------------------------------------------


@dataclass
class Site:
    cluster: PrivateCluster
    web: WebServer
    env: dict[str, str]
    tokens: dict[str, str]
    session: str
    handler_id: int
    tmp: Path

    def api(self, method: str, path: str, who: str = "agent", **kwargs: Any) -> Reply:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        return self.web.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    def console(self, **headers: str) -> Reply:
        cookie = {"Cookie": f"sessionid={self.session}"}
        return self.web.request("GET", "/console/", headers={**cookie, **headers})

    def portal(self, **headers: str) -> Reply:
        return self.web.request("GET", "/portal/", headers=headers)

    def new_complaint(self, key: str | None = None, **headers: str) -> tuple[Reply, str]:
        """POST a complaint with an Idempotency-Key (new, or ``key`` again)."""
        key = key or uuid.uuid4().hex
        body = {
            "customer_name": "王女士",
            # A customer per complaint: no repeat links between the load's complaints.
            "customer_phone": f"139{uuid.UUID(key).int % 10**8:08d}",
            "customer_email": f"c{key[:12]}@example.cn",
            "channel": "email",
            "category": "delay",
            "description": "货物延误三天,影响我们的生产安排,请尽快处理。",
        }
        headers = {"Idempotency-Key": key, **headers}
        return self.api("POST", "/complaints", body=body, headers=headers), key

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with self.cluster.connect(DATABASE, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def complaint_id(self, number: str) -> int:
        return self.sql("SELECT id FROM complaints_complaint WHERE number = %s", number)[0][0]

    def locked(self, query: str, *params: Any) -> psycopg.Connection:
        """A connection holding ``SELECT … FOR UPDATE`` row locks in an open transaction."""
        conn = self.cluster.connect(DATABASE)
        conn.execute(query, params)
        return conn

    def waiting_on(self, holder: psycopg.Connection) -> list[int]:
        """Backends waiting for a lock ``holder`` holds."""
        rows = self.sql(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            holder.info.backend_pid,
        )
        return [pid for (pid,) in rows]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("pgfaults")
    cluster = PrivateCluster()
    web: WebServer | None = None
    world: subprocess.Popen[str] | None = None
    try:
        cluster.init()
        cluster.start()
        cluster.create_database(DATABASE)
        env = child_env(
            cluster.url(DATABASE),
            tmp / "data",
            KESU_DEBUG="0",  # as in production: no debug page, whatever goes wrong
            KESU_LOG_FORMAT="text",
            KESU_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            # The load is one client's; the API's per-token limits are not under test here.
            KESU_API_RATE="100000/min",
            KESU_API_WRITE_RATE="100000/min",
        )
        # The database and the web server are prepared side by side: gunicorn's start-up
        # needs no table (its probe is a SELECT 1).
        world = subprocess.Popen(
            [sys.executable, "-m", "tests.security.faultworld"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        web = WebServer(env, tmp / "web.log")
        web.start()
        out, err = world.communicate(timeout=300)
        assert world.returncode == 0, out + err
        made = json.loads(out.strip().splitlines()[-1])
        yield Site(
            cluster=cluster,
            web=web,
            env=env,
            tokens=made["tokens"],
            session=made["session"],
            handler_id=made["handler_id"],
            tmp=tmp,
        )
    finally:
        if world is not None and world.poll() is None:
            world.kill()
            world.wait(timeout=20)
        if web is not None:
            web.stop()
        cluster.destroy()


def in_background(send: Callable[[], Reply]) -> tuple[threading.Thread, dict[str, Any]]:
    """Send a request from a thread; ``outcome`` gets its ``reply`` or its ``error``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["reply"] = send()
        except OSError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def unavailable_text(language: str) -> str:
    with translation.override(language):
        return unavailable_message()


def assert_unavailable(reply: Reply, language: str, *, api: bool) -> None:
    """A 503 saying, in the reader's language, to try again shortly; no traceback."""
    assert reply.status == 503, (reply.status, reply.text[:500])
    assert reply.headers.get("retry-after") == str(RETRY_AFTER_SECONDS)
    assert reply.headers.get("content-language") == language
    assert "Traceback" not in reply.text
    message = unavailable_text(language)
    if api:
        assert reply.json() == {"code": "unavailable", "message": message, "errors": {}}
    else:
        assert html.escape(message) in reply.text


def assert_complaints_whole(site: Site) -> int:
    """No half-written complaint: each has its creation event, its first round and its
    milestones; each day's numbers run 1..N with no gap or repeat, N its counter; the audit
    chain verifies (``kesu audit verify``). Returns the number of complaints."""
    rows = site.sql(
        """
        SELECT c.number,
               EXISTS (SELECT 1 FROM complaints_event e
                       WHERE e.complaint_id = c.id AND e.kind = 'created'),
               EXISTS (SELECT 1 FROM complaints_handlinground r
                       WHERE r.complaint_id = c.id AND r.number = 1),
               EXISTS (SELECT 1 FROM complaints_milestone m WHERE m.complaint_id = c.id)
        FROM complaints_complaint c
        """
    )
    assert rows
    assert [row for row in rows if not all(row[1:])] == []
    by_day: dict[str, list[int]] = {}
    for number, *_ in rows:
        _prefix, day, seq = number.rsplit("-", 2)
        by_day.setdefault(day, []).append(int(seq))
    counters = dict(site.sql("SELECT to_char(day, 'YYYYMMDD'), last FROM complaints_dailysequence"))
    for day, seqs in by_day.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), day
        assert counters[day] == len(seqs), day
    verified = subprocess.run(
        [sys.executable, "-m", "kesu.cli", "audit", "--skip-checks", "verify"],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return len(rows)


# ---- the database restarted during a run of requests ------------------------------------------


@dataclass
class Load:
    """Requests sent back to back by threads until stopped, each kind in turn."""

    site: Site
    replies: list[tuple[str, int, float, float]] = field(default_factory=list)  # …, start, end
    creations: dict[str, int] = field(default_factory=dict)  # Idempotency-Key → status
    problems: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, kind: str) -> Reply:
        if kind == "create":
            reply, key = self.site.new_complaint()
            with self.lock:
                self.creations[key] = reply.status
            return reply
        if kind == "list":
            return self.site.api("GET", "/complaints?limit=5")
        if kind == "console":
            return self.site.console()
        return self.site.portal()

    def run(self) -> None:
        kinds = ("create", "list", "console", "portal")
        n = 0
        while not self.stop.is_set():
            kind = kinds[n % len(kinds)]
            n += 1
            begun = time.monotonic()
            try:
                reply = self.send(kind)
            except OSError as exc:  # gunicorn answers every request it accepted
                with self.lock:
                    self.problems.append(f"{kind}: {exc!r}")
                continue
            with self.lock:
                self.replies.append((kind, reply.status, begun, time.monotonic()))
                if reply.status not in ALLOWED:
                    self.problems.append(f"{kind}: {reply.status} {reply.text[:300]}")
            time.sleep(0.05)


def requests_while_down(site: Site, number: str) -> tuple[int, list[str]]:
    """Every kind of request, in both languages, while the database is down: 503 each.
    Returns how many were sent and the Idempotency-Keys of the refused creations."""
    keys = []
    sent = 0
    for language in ("zh-hans", "en"):
        accept = {"Accept-Language": language}
        reply, key = site.new_complaint(**accept)
        keys.append(key)
        assert_unavailable(reply, language, api=True)
        assert_unavailable(site.api("GET", "/complaints", headers=accept), language, api=True)
        note = site.api(
            "POST", f"/complaints/{number}/notes", body={"text": "稍后回电"}, headers=accept
        )
        assert_unavailable(note, language, api=True)
        assert_unavailable(site.console(**accept), language, api=False)
        fragment = site.console(**accept, **{"HX-Request": "true"})
        assert_unavailable(fragment, language, api=False)
        assert fragment.headers.get("hx-reswap") == "innerHTML"
        assert "<html" not in fragment.text
        assert_unavailable(site.portal(**accept), language, api=False)
        # A sign-in reads its network's failure counter in a middleware, before any view.
        signin = site.web.request(
            "POST", "/accounts/login/", form={"username": "x", "password": "y"}, headers=accept
        )
        assert_unavailable(signin, language, api=False)
        sent += 7
    return sent, keys


@pytest.mark.postgres_only
def test_database_restart_during_requests(site: Site, request: pytest.FixtureRequest) -> None:
    started = time.monotonic()
    first, _ = site.new_complaint()
    assert first.status == 201, first.text
    number = first.json()["number"]
    for _ in range(4):  # both web workers have a connection to lose
        assert site.api("GET", "/complaints").status == 200
        assert site.console().status == 200
    workers = site.web.worker_pids()
    assert len(workers) == 2
    sent = 9
    refused_keys: list[str] = []
    database_up = [time.monotonic()]  # when the database came back, and when it went

    load = Load(site)
    threads = [threading.Thread(target=load.run, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for mode in ("fast", "immediate"):
            time.sleep(0.3)
            database_up.append(time.monotonic())
            # In flight: a note waiting for the complaint's row lock (held by the test)
            # inside its transaction when the database goes.
            holder = site.locked(
                "SELECT id FROM complaints_complaint WHERE number = %s FOR UPDATE", number
            )
            thread, outcome = in_background(
                lambda: site.api("POST", f"/complaints/{number}/notes", body={"text": "处理中"})
            )
            assert wait_until(lambda h=holder: site.waiting_on(h), timeout=PATIENCE)
            site.cluster.stop(mode)
            thread.join(timeout=PATIENCE)
            holder.close()
            assert "reply" in outcome, outcome
            assert_unavailable(outcome["reply"], "zh-hans", api=True)
            count, keys = requests_while_down(site, number)
            sent += 1 + count
            refused_keys += keys
            site.cluster.start()
            database_up.append(time.monotonic())
            # Back: the very next requests succeed.
            for _ in range(5):
                assert site.api("GET", "/complaints").status == 200
                assert site.console().status == 200
                sent += 2
    finally:
        database_up.append(time.monotonic())
        load.stop.set()
        for thread in threads:
            thread.join(timeout=PATIENCE)

    assert not load.problems, load.problems[:10]
    assert site.web.worker_pids() == workers  # no web worker died or was replaced
    statuses = Counter(status for _kind, status, *_ in load.replies)
    assert statuses[503] > 0, statuses  # the load met the outages
    assert set(statuses) <= ALLOWED, statuses
    # While the database was up (before, between and after the outages) the load, spread
    # over both web workers, got no 503: each worker replaced its dead connection unasked.
    up = list(zip(database_up[::2], database_up[1::2], strict=True))
    refused_while_up = [
        (kind, status)
        for kind, status, begun, ended in load.replies
        if status == 503 and any(start <= begun and ended <= end for start, end in up)
    ]
    assert refused_while_up == []

    # Sent again with the same key: created now, or found if the first try had committed.
    refused_keys += [key for key, status in load.creations.items() if status == 503]
    retried = Counter()
    for key in refused_keys:
        reply, _ = site.new_complaint(key)
        retried[reply.status] += 1
        assert reply.status in (200, 201), reply.text
    answered = {key for key, status in load.creations.items() if status in (200, 201)}
    keys = Counter(key for (key,) in site.sql("SELECT key FROM complaints_idempotencykey"))
    assert set(keys) >= answered | set(refused_keys)
    assert max(keys.values()) == 1
    complaints = assert_complaints_whole(site)
    assert complaints == len(keys)  # every complaint came through the API with a key

    log = site.web.log_text()
    assert "Traceback" not in log
    assert "database unavailable" in log
    total = sent + len(load.replies) + len(refused_keys)
    figures.record(
        request,
        "pg-restarted-during-requests",
        sent=total,
        received=total,
        duplicates=0,
        lost=0,
        seconds=time.monotonic() - started,
        restarts=2,
        load=dict(statuses),
        retried=dict(retried),
        complaints=complaints,
    )


# ---- a request killed in the middle of a transition -------------------------------------------

TABLES_WITH_COMPLAINT = """
    SELECT table_name FROM information_schema.columns
    WHERE table_schema = 'public' AND column_name = 'complaint_id' ORDER BY table_name
"""


def snapshot(site: Site, complaint_id: int) -> dict[str, list[str]]:
    """The complaint's row and every row keyed by it in any table (timeline, milestones,
    rounds, solutions, outbox …), with the solutions' actions, as JSON text."""

    def rows(query: str) -> list[str]:
        return [text for (text,) in site.sql(query, complaint_id)]

    shot = {
        "complaints_complaint": rows(
            "SELECT row_to_json(t)::text FROM complaints_complaint t WHERE id = %s"
        ),
        "complaints_solutionaction": rows(
            "SELECT row_to_json(a)::text FROM complaints_solutionaction a"
            " JOIN complaints_solution s ON s.id = a.solution_id WHERE s.complaint_id = %s"
            " ORDER BY a.id"
        ),
    }
    for (table,) in site.sql(TABLES_WITH_COMPLAINT):
        shot[table] = rows(
            f'SELECT row_to_json(t)::text FROM "{table}" t WHERE complaint_id = %s ORDER BY 1'
        )
    return shot


def written_tables(site: Site, backend: int) -> set[str]:
    """Tables the backend's open transaction has written (it holds RowExclusiveLock)."""
    rows = site.sql(
        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'",
        backend,
    )
    return {name for (name,) in rows}


@pytest.mark.postgres_only
def test_request_killed_mid_transition_leaves_complaint_as_it_was(
    site: Site, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    reply, _ = site.new_complaint()
    assert reply.status == 201, reply.text
    number = reply.json()["number"]
    complaint_id = site.complaint_id(number)
    dispatch = {"department": "operations", "handler": site.handler_id}
    assert site.api("POST", f"/complaints/{number}/dispatch", body=dispatch).status == 200
    accepted = site.api("POST", f"/complaints/{number}/accept", "handler", body={})
    assert accepted.status == 200, accepted.text
    proposal = {
        "summary": "向客户致歉并加急派送。",
        "actions": [{"kind": "apology", "description": "电话致歉"}],
        "root_cause": "operation_error",
        "root_cause_text": "分拣错误",
        "version": accepted.json()["version"],
    }
    before = snapshot(site, complaint_id)
    assert before["complaints_event"] and before["complaints_milestone"]

    def propose() -> Reply:
        return site.api("POST", f"/complaints/{number}/solution", "handler", body=proposal)

    def propose_held() -> tuple[psycopg.Connection, threading.Thread, dict[str, Any], int]:
        """The proposal waits for the 'solution' milestone the test holds, which it marks met
        after writing its solution, actions and event, before committing."""
        holder = site.locked(
            "SELECT id FROM complaints_milestone"
            " WHERE complaint_id = %s AND kind = 'solution' FOR UPDATE",
            complaint_id,
        )
        thread, outcome = in_background(propose)
        assert wait_until(lambda: site.waiting_on(holder), timeout=PATIENCE)
        [backend] = site.waiting_on(holder)
        written = written_tables(site, backend)
        assert {"complaints_solution", "complaints_solutionaction", "complaints_event"} <= written
        return holder, thread, outcome, backend

    # 1. The web workers killed (SIGKILL) while the transaction is open.
    holder, thread, outcome, backend = propose_held()
    workers = site.web.worker_pids()
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    thread.join(timeout=PATIENCE)
    assert isinstance(outcome.get("error"), ConnectionError), outcome  # no answer: it died
    # Released, the orphaned backend finishes its statement, finds its client gone and
    # rolls the transaction back.
    holder.rollback()
    holder.close()
    assert wait_until(
        lambda: not site.sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", backend),
        timeout=PATIENCE,
    )
    assert snapshot(site, complaint_id) == before
    assert wait_until(lambda: len(site.web.worker_pids() - workers) == 2, timeout=PATIENCE)

    # 2. The request's database backend terminated mid-transaction: the client hears 503.
    holder, thread, outcome, backend = propose_held()
    site.sql("SELECT pg_terminate_backend(%s)", backend)
    thread.join(timeout=PATIENCE)
    holder.rollback()
    holder.close()
    assert "reply" in outcome, outcome
    assert_unavailable(outcome["reply"], "zh-hans", api=True)
    assert snapshot(site, complaint_id) == before

    # 3. The same request, on the new web workers, goes through.
    done = propose()
    assert done.status == 201, done.text
    state = site.sql("SELECT state FROM complaints_complaint WHERE id = %s", complaint_id)
    assert state == [("resolving",)]
    assert_complaints_whole(site)
    figures.record(
        request,
        "pg-request-killed-mid-transition",
        sent=3,
        received=2,  # the first died with its worker
        duplicates=0,
        lost=0,
        seconds=time.monotonic() - started,
        workers_killed=len(workers),
        backends_terminated=1,
    )


# ---- the worker across a database restart -----------------------------------------------------


@pytest.mark.postgres_only
def test_worker_survives_a_database_restart(site: Site, request: pytest.FixtureRequest) -> None:
    started = time.monotonic()
    env = {**site.env, "KESU_LOG_FORMAT": "json"}
    worker = WorkerProcess("fault-worker", env, site.tmp, poll=0.2).start()

    def logged(event: str) -> bool:
        return any(e.get("event") == event for e in worker.log_events())

    try:
        assert wait_until(lambda: logged("worker.job_done"), timeout=PATIENCE), worker.log_tail()
        site.cluster.stop("fast")
        assert wait_until(lambda: logged("worker.database_unavailable"), timeout=PATIENCE)
        site.cluster.start()
        reply, _ = site.new_complaint()
        assert reply.status == 201, reply.text
        complaint_id = site.complaint_id(reply.json()["number"])
        queued = "SELECT status FROM outbox_outboxmessage WHERE complaint_id = %s"
        assert site.sql(queued, complaint_id)  # the creation queued its notifications
        assert wait_until(
            lambda: {s for (s,) in site.sql(queued, complaint_id)} == {"sent"}, timeout=PATIENCE
        ), worker.log_tail()
        assert worker.alive()
        assert logged("worker.recovered")
        failed_loops = sum(
            e.get("event") == "worker.database_unavailable" for e in worker.log_events()
        )
        assert "Traceback" not in worker.log_path.read_text(errors="replace")
    finally:
        worker.cleanup()
    figures.record(
        request,
        "pg-worker-across-restart",
        sent=1,
        received=1,
        duplicates=0,
        lost=0,
        seconds=time.monotonic() - started,
        restarts=1,
        failed_loops=failed_loops,
    )
