"""Builders shared by the budget's page and API cases: grow what a page shows."""

from __future__ import annotations

from datetime import date, timedelta

from kesu.accounts.models import Department
from kesu.complaints.models import Complaint
from kesu.complaints.services import records
from kesu.complaints.states import State
from kesu.improvement import services as improvement
from kesu.improvement.audits import audit_draw
from kesu.improvement.models import Audit, ImprovementAction
from kesu.outbox.worker import run_worker
from tests.api.conftest import DEPT, NOW
from tests.conftest import at
from tests.improvement.conftest import Improvement

OCTOBER = date(2026, 10, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def deliver() -> None:
    """The worker's outbox pass: in-app messages become notifications."""
    assert run_worker(once=True, jobs=[]) == 0


def complaints(world: Improvement, n: int, **fields) -> list[Complaint]:
    """``n`` complaints dispatched to the logistics department and accepted there, with a
    note and a picture each (so their rows carry handler, department, customer, events)."""
    out = []
    for i in range(n):
        c = world.in_department(DEPT, order_no=f"SO-{i:04d}", **fields)
        fill(world, c, 1)
        out.append(c)
    return out


def fill(world: Improvement, c: Complaint, n: int) -> Complaint:
    """``n`` more notes, communications and attachments on ``c``'s timeline."""
    handler = world.users["handler"]
    for i in range(n):
        c.refresh_from_db()
        records.complaint_add_note(complaint=c, actor=handler, text=f"跟进记录 {i}")
        c.refresh_from_db()
        records.complaint_log_communication(
            complaint=c, actor=handler, channel="phone", direction="out", summary="已致电"
        )
        c.refresh_from_db()
        records.complaint_add_attachment(
            complaint=c, actor=handler, name=f"p{i}.png", content=PNG, content_type="image/png"
        )
    c.refresh_from_db()
    return c


def closed_in_october(world: Improvement, n: int) -> list[Complaint]:
    out = []
    for i in range(n):
        c = world.closed(at("2026-10-05 12:00") + timedelta(days=i % 20))
        out.append(c)
    return out


def actions(world: Improvement, n: int) -> list[ImprovementAction]:
    return [world.action(title=f"措施 {i}") for i in range(n)]


def audit(world: Improvement, size: int) -> Audit:
    return audit_draw(
        actor=world.users["quality"],
        department=Department.objects.get(code=DEPT),
        month=OCTOBER,
        size=size,
    )


def rich_action(world: Improvement, n: int) -> ImprovementAction:
    """An improvement action from ``n`` complaints, started and completed with ``n`` files."""
    linked = complaints(world, n)
    action = world.action(source="complaint", complaints=linked, root_cause="")
    owner = world.users["handler"]
    improvement.action_start(action=world.refresh(action), actor=owner)
    improvement.action_complete(
        action=world.refresh(action),
        actor=owner,
        evidence="已修订评审表。",
        files=[
            improvement.EvidenceFile(name=f"e{i}.png", content=PNG, content_type="image/png")
            for i in range(min(n, improvement.MAX_FILES))
        ],
    )
    return world.refresh(action)


__all__ = ["DEPT", "NOW", "OCTOBER", "State"]
