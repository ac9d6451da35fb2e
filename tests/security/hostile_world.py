"""The hostile-input test's world (tests/security/test_hostile_input.py): built once per module
inside a transaction rolled back at its end, with an object in every state an input can be sent
to, so that every valid example goes through and every refusal is the hostile value's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.db import transaction
from django.test import Client, override_settings

from kesu.accounts.models import ApiToken, Department
from kesu.complaints.models import BatchAlert, Complaint, Customer
from kesu.complaints.services import batches
from kesu.complaints.states import State
from kesu.improvement import audits, services
from kesu.improvement.models import CHECKLIST_FIELDS, ImprovementAction
from kesu.policy.loader import policy_load
from tests.api.conftest import DEPT, NOW, TASK_DEPT
from tests.conftest import at, make_people
from tests.improvement.conftest import Improvement
from tests.security import fuzz

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGES = ("zh-hans", "en")


@dataclass
class Hostworld:
    """The improvement world with a complaint in every state an action starts from, a task,
    an extension request, an approved solution action, a batch alert with a measure,
    improvement actions in each status and audits; ``refs`` names them for the registries."""

    world: Improvement
    refs: dict[str, Any]
    clients: dict[str, Client] = field(default_factory=dict)
    before: tuple[Any, ...] = ()  # the database's fingerprint, as every attempt starts
    since: dict[str, int] = field(default_factory=dict)  # fuzz.last_rows(), likewise

    def client(self, who: str | None, lang: str = "zh-hans") -> Client:
        """A client signed in as ``who``: made with the world, so its session outlives each
        test's savepoint."""
        key = f"{who}/{lang}"
        if key not in self.clients:
            c = Client(HTTP_ACCEPT_LANGUAGE=lang, raise_request_exception=False)
            if who is not None:
                c.force_login(self.world.users[who])
            self.clients[key] = c
        return self.clients[key]

    def token(self, who: str) -> str:
        return self.world.tokens[who]


def _build() -> Hostworld:
    policy_load("b2b")
    p = make_people()
    users = {
        "customer_a": p.customer,
        "customer_b": p.other_customer,
        "agent": p.agent,
        "agent2": p.agent2,
        "handler": p.handlers[DEPT],
        "handler2": p.second_handlers[DEPT],
        "other_handler": p.handlers["sales"],
        "manager": p.managers[DEPT],
        "other_manager": p.managers["sales"],
        "finance_handler": p.handlers[TASK_DEPT],
        "executive": p.executive,
        "quality": p.quality,
        "admin": p.admin,
    }
    w = Improvement(users=users, tokens={})
    w.tokens = {k: ApiToken.issue(user=u, name="hostile")[1] for k, u in users.items()}
    refs: dict[str, Any] = {f"user:{k}": u.pk for k, u in users.items()}
    refs["customer_b"] = Customer.objects.get(user=users["customer_b"]).pk

    def keep(name: str, c: Complaint) -> Complaint:
        refs[name] = c.number
        return c

    keep("received", w.new(order_no="SO-R1"))
    keep("received2", w.new(order_no="SO-R2"))
    keep("assigned", w.build(State.ASSIGNED))
    keep("investigating", w.build(State.INVESTIGATING))
    worked = keep("investigating_b", w.build(State.INVESTIGATING))
    refs["task"] = w.add_task(worked).pk
    refs["extension"] = w.request_extension(worked).pk
    keep("awaiting", w.build(State.AWAITING_CUSTOMER))
    keep("approval", w.build(State.PENDING_APPROVAL))
    resolving = keep("resolving", w.build(State.INVESTIGATING))
    w.propose(resolving, Decimal("0"))
    refs["action"] = w.approved_action(resolving).pk
    keep("review", w.build(State.PENDING_REVIEW, review=True))
    keep("callback", w.build(State.PENDING_CALLBACK))
    keep("closed", w.build(State.CLOSED))
    # Closed in October (two audits) and September (a fresh draw) in the audited department.
    october = [w.closed(at("2026-10-05 12:00") + timedelta(days=i)) for i in range(2)]
    w.closed(at("2026-09-10 12:00"))
    logistics = Department.objects.get(code=DEPT)
    quality = users["quality"]
    draft = audits.audit_draw(
        actor=quality, department=logistics, month=date(2026, 10, 1), size=1, seed=1
    )
    refs["audit"], refs["item"] = draft.pk, draft.items.get().pk
    scored = audits.audit_draw(
        actor=quality, department=logistics, month=date(2026, 10, 1), size=1, seed=2
    )
    audits.audit_score_item(
        item=scored.items.get(),
        actor=quality,
        points=dict.fromkeys(CHECKLIST_FIELDS, True),
        notes={},
        finding="",
    )
    refs["audit_scored"] = scored.pk
    assert len(october) == 2
    alert = BatchAlert.objects.create(batch_no="PK-0001", product="冷鲜猪肉", raised_at=NOW)
    alert.complaints.set([Complaint.objects.get(number=refs["investigating"])])
    refs["alert"] = alert.pk
    quiet = BatchAlert.objects.create(batch_no="PK-0002", product="冷鲜猪肉", raised_at=NOW)
    quiet.complaints.set([Complaint.objects.get(number=refs["investigating_b"])])
    refs["alert_quiet"] = quiet.pk  # no measure: it may be closed
    refs["measure"] = batches.batch_alert_add_measure(
        alert=alert, actor=quality, kind="inspect", owner=users["handler"], description="抽检"
    ).pk
    refs["imp_open"] = w.action().pk
    started = w.action()
    services.action_start(action=started, actor=users["handler"])
    refs["imp_started"] = started.pk
    due = w.action(check_after_days=30)
    services.action_start(action=due, actor=users["handler"], now=NOW - timedelta(days=40))
    services.action_complete(
        action=due, actor=users["handler"], evidence="已修订", now=NOW - timedelta(days=35)
    )
    refs["imp_due"] = due.pk
    assert ImprovementAction.objects.get(pk=due.pk).check_due_at <= NOW
    for name in [k for k, v in refs.items() if isinstance(v, str) and v.startswith("KS-")]:
        c = Complaint.objects.get(number=refs[name])
        refs[f"v:{name}"] = c.version
        refs[f"token:{name}"] = c.portal_token
    refs.update({f"dept:{d.code}": d.pk for d in Department.objects.all()})
    made = Hostworld(world=w, refs=refs)
    for who in [None, *users]:
        for lang in LANGUAGES:
            made.client(who, lang)
    return made


@contextmanager
def module_world(django_db_blocker: Any, media: Any) -> Iterator[Hostworld]:
    """The world, built inside a transaction rolled back at the end (a module fixture holds
    it): every test runs in a savepoint inside it, every attempt in a savepoint inside that."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        world = _build()
        fuzz.prepare_fingerprint()
        world.before, world.since = fuzz.fingerprint(), fuzz.last_rows()
        yield world
        transaction.set_rollback(True)


@contextmanager
def server_errors() -> Iterator[fuzz.ServerErrors]:
    """The last server error logged, for the failure message of a 5xx."""
    handler = fuzz.ServerErrors()
    loggers = [logging.getLogger(n) for n in ("kesu.api", "django.request")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
