"""End-to-end scenarios: one preset's procedure followed through the HTTP API only, with the
clock moved by the test and the worker's sweep run at chosen instants.

``Procedure`` is the driver: it loads a preset, makes one user per role (and a handler, a
second handler and a manager for each department of the preset), issues each an API token,
and speaks HTTP as any of them. Time is frozen and moved with :meth:`Procedure.at`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kesu.accounts.models import ApiToken, User
from kesu.complaints.services.sweep import SweepResult, sweep_deadlines
from kesu.outbox.models import OutboxMessage
from tests.conftest import People, at, make_people


@dataclass
class Procedure:
    people: People
    traveller: Any  # time_machine's fixture
    client: Client = field(default_factory=Client)
    _tokens: dict[int, str] = field(default_factory=dict)

    # --- time --------------------------------------------------------------------------------

    def at(self, when: str | datetime) -> datetime:
        """Stop the clock at ``when`` ('2026-11-16 09:00', Asia/Shanghai)."""
        moment = at(when) if isinstance(when, str) else when
        self.traveller.move_to(moment, tick=False)
        return moment

    def sweep(self, when: str | datetime | None = None) -> SweepResult:
        """What the worker's SLA sweep does at ``when`` (default: the current frozen time)."""
        if when is not None:
            self.at(when)
        return sweep_deadlines()

    # --- HTTP --------------------------------------------------------------------------------

    def token(self, user: User) -> str:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = ApiToken.issue(user=user, name="e2e")[1]
        return self._tokens[user.pk]

    def _headers(self, user: User | None, lang: str) -> dict[str, str]:
        headers = {"Accept-Language": lang}
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return headers

    def post(
        self, user: User | None, path: str, body: Any = None, *, status: int = 200, lang="zh-hans"
    ) -> Any:
        data = "" if body is None else json.dumps(body, ensure_ascii=False, default=str)
        response = self.client.post(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers=self._headers(user, lang),
        )
        assert response.status_code == status, (response.status_code, response.content.decode())
        return response.json()

    def get(self, user: User | None, path: str, params: Any = None, *, status: int = 200) -> Any:
        response = self.client.get(
            f"/api/v1{path}", params or {}, headers=self._headers(user, "zh-hans")
        )
        assert response.status_code == status, (response.status_code, response.content.decode())
        return response.json()

    def act(self, user: User, number: str, action: str, body: Any = None, **kw: Any) -> Any:
        """POST /complaints/{number}/{action}."""
        return self.post(user, f"/complaints/{number}/{action}", body or {}, **kw)

    def upload(
        self,
        user: User,
        number: str,
        *,
        name: str,
        content: bytes,
        content_type: str,
        visible_to_customer: bool = True,
        status: int = 201,
    ) -> Any:
        """POST /complaints/{number}/attachments (multipart), as the console uploads a file."""
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        response = self.client.post(
            f"/api/v1/complaints/{number}/attachments",
            {"file": upload, "visible_to_customer": "true" if visible_to_customer else "false"},
            headers=self._headers(user, "zh-hans"),
        )
        assert response.status_code == status, (response.status_code, response.content.decode())
        return response.json()

    def complaint(self, user: User, number: str) -> dict[str, Any]:
        return self.get(user, f"/complaints/{number}")

    def milestones(self, user: User, number: str) -> dict[str, dict[str, Any]]:
        """The current round's milestones of the complaint as the API shows them, by kind."""
        data = self.complaint(user, number)
        current = data.get("round_no")
        return {
            m["kind"]: m
            for m in data["milestones"]
            if current is None or m.get("round_no", current) == current
        }

    # --- what went out -----------------------------------------------------------------------

    @staticmethod
    def sent(event: str, *, to: User | None = None, customer: bool | None = None) -> int:
        """How many outbox messages of ``event`` were written (to ``to`` when given)."""
        qs = OutboxMessage.objects.filter(event=event)
        if to is not None:
            qs = qs.filter(recipient=to)
        if customer is not None:
            qs = qs.filter(recipient__isnull=customer)
        return qs.count()


@pytest.fixture
def procedure(db, time_machine):
    """``procedure("recycling")`` → a :class:`Procedure` on that preset, clock frozen at
    Monday 2026-11-16 08:00 until the test moves it."""

    def start(preset: str, when: str = "2026-11-16 08:00") -> Procedure:
        from kesu.policy.loader import policy_load

        time_machine.move_to(at(when), tick=False)
        policy_load(preset)
        return Procedure(people=make_people(), traveller=time_machine)

    return start


# --- small helpers for reading what the API and the outbox say -------------------------------


def moment(value: str | None) -> datetime | None:
    """A datetime the API returned (ISO 8601 text) as an aware datetime, to compare with
    ``at('2026-11-16 09:00')``; None stays None."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def messages(
    event: str | None = None,
    *,
    to: User | None = None,
    number: str | None = None,
    channel: str | None = None,
    customer: bool | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows as dicts (event, channel, recipient id, address, context), oldest first,
    filtered by event, staff recipient, complaint number, channel and/or customer-bound."""
    qs = OutboxMessage.objects.all()
    if event is not None:
        qs = qs.filter(event=event)
    if to is not None:
        qs = qs.filter(recipient=to)
    if number is not None:
        qs = qs.filter(complaint__number=number)
    if channel is not None:
        qs = qs.filter(channel=channel)
    if customer is not None:
        qs = qs.filter(recipient__isnull=customer)
    return list(
        qs.order_by("created_at", "event", "channel").values(
            "event", "channel", "recipient_id", "address", "context"
        )
    )


def refused(
    proc: Procedure,
    user: User,
    number: str,
    action: str,
    body: Any = None,
    *,
    status: int,
    code: str,
) -> dict[str, Any]:
    """POST an action ``user`` may not take now and check the answer (``status``, error
    ``code``) and that nothing changed: same version, state and timeline (read as an agent,
    who sees everything). Returns the error body."""
    watcher = proc.people.agent
    before = proc.complaint(watcher, number)
    events = len(proc.get(watcher, f"/complaints/{number}/timeline"))
    error = proc.act(user, number, action, body, status=status)
    assert error["code"] == code, error
    after = proc.complaint(watcher, number)
    assert (after["version"], after["state"]) == (before["version"], before["state"])
    assert len(proc.get(watcher, f"/complaints/{number}/timeline")) == events
    return error


# --- shared checks of the preset scenarios ---------------------------------------------


def told(event: str, user, number: str) -> int:
    """How many ``event`` notifications ``user`` got about the complaint (in-app rows: one
    per notification, whatever other channels it also went out on)."""
    return len(messages(event, to=user, number=number, channel="inapp"))


def to_customer(event: str, number: str) -> list[tuple[str, str]]:
    """(channel, address) of the ``event`` messages written to the complaint's customer."""
    rows = messages(event, number=number, customer=True)
    return sorted((m["channel"], m["address"]) for m in rows)


def check(m: dict[str, Any], *, due: str, met: str | None = None, breached: str | None = None):
    """A milestone as the API shows it: due, met and breached instants (Asia/Shanghai)."""
    got = (moment(m["due_at"]), moment(m["met_at"]), moment(m["breached_at"]))
    want = (at(due), at(met) if met else None, at(breached) if breached else None)
    assert got == want, (m["kind"], m["round_no"], got, want)


def forbidden(p: Procedure, user, number: str, action: str, body: Any, *, status: int, code: str):
    """A forbidden step: answered with ``status``/``code`` and changing nothing at all — the
    complaint (version, state, milestones …), its timeline and the outbox stay as they were."""
    watcher = p.people.admin
    before = p.complaint(watcher, number)
    timeline = p.get(watcher, f"/complaints/{number}/timeline")
    outbox = OutboxMessage.objects.count()
    answer = p.act(user, number, action, body, status=status)
    assert answer["code"] == code, answer
    assert p.complaint(watcher, number) == before
    assert p.get(watcher, f"/complaints/{number}/timeline") == timeline
    assert OutboxMessage.objects.count() == outbox


def moves(p: Procedure, number: str) -> list[tuple[str, str]]:
    timeline = p.get(p.people.admin, f"/complaints/{number}/timeline")
    return [(e["from_state"], e["to_state"]) for e in timeline if e["kind"] == "transition"]
