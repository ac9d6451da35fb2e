"""A month of complaints made through the services (logistics preset, October 2026), and
storage in a temporary directory so report files never land in the checkout."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from tests.conftest import People, at, make_people


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@dataclass
class Month:
    people: People
    numbers: list[str]


def _new(people: People, *, category: str, when: str, phone: str, title: str):
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="陈建国",
            customer_phone=phone,
            channel="hotline",
            category=category,
            title=title,
            description=f"{title}，请尽快处理。",
            received_at=at(when),
        ),
        actor=people.agent,
        now=at(when),
    )
    return c


def _handle(people: People, c, dept: str, *, when: str, root_cause: str) -> None:
    handler = people.handlers[dept]
    now = at(when)
    transitions.complaint_dispatch(
        complaint=c, actor=people.agent, department=dept, handler=handler, now=now
    )
    transitions.complaint_accept(complaint=c, actor=handler, now=now)
    transitions.complaint_propose_solution(
        complaint=c,
        actor=handler,
        summary="重新发货并赔偿运费。",
        actions=[ActionInput(kind="reshipment", description="补发", amount=Decimal("0"))],
        root_cause=root_cause,
        now=now,
    )


@pytest.fixture
def october(db, preset, time_machine) -> Month:
    """Four complaints received in October 2026: three damaged goods (two handled by
    operations, cause operation_error), one delay (customer service, undispatched)."""
    time_machine.move_to(at("2026-10-08 09:00"), tick=False)
    preset("logistics")
    people = make_people()
    made = [
        _new(
            people,
            category="damage",
            when="2026-10-08 09:00",
            phone="13800000001",
            title="纸箱破损",
        ),
        _new(
            people,
            category="damage",
            when="2026-10-09 10:00",
            phone="13800000002",
            title="货物压坏",
        ),
        _new(
            people,
            category="damage",
            when="2026-10-12 11:00",
            phone="13800000003",
            title="外包装破",
        ),
        _new(
            people, category="delay", when="2026-10-20 14:00", phone="13800000004", title="晚到三天"
        ),
    ]
    time_machine.move_to(at("2026-10-13 10:00"), tick=False)
    for c in made[:2]:
        _handle(people, c, "operations", when="2026-10-13 10:00", root_cause="operation_error")
    time_machine.move_to(at("2026-11-01 08:00"), tick=False)
    return Month(people=people, numbers=[c.number for c in made])
