"""Improvement action services: every transition, its history row, and refusals that change
nothing (SPEC §7; docs/improvement.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kesu.complaints.errors import (
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from kesu.improvement import access, services
from kesu.improvement.models import ActionEvent, ActionStatus, ImprovementAction
from kesu.outbox.models import OutboxMessage
from tests.improvement.conftest import DEPT, NOW
from tests.support.files import PDF


def snapshot(action: ImprovementAction) -> tuple:
    row = ImprovementAction.objects.get(pk=action.pk)
    return (row.status, row.evidence, row.done_at, row.verdict_at, row.events.count())


def test_create_from_a_complaint_takes_its_scope_and_tells_the_owner(imp):
    c = imp.in_department(DEPT)
    c.root_cause = "operation_error"
    c.save(update_fields=["root_cause"])
    a = imp.action(
        "manager", source="complaint", complaints=[c], root_cause="", due_at=NOW + timedelta(days=4)
    )
    assert a.status == ActionStatus.OPEN
    assert list(a.complaints.all()) == [c]
    assert (a.root_cause, a.category, a.scope_department.code) == (
        "operation_error",
        "late_delivery",
        DEPT,
    )
    assert a.department == imp.users["handler"].department  # the owner's
    assert a.check_after_days == 30  # policy default
    # Warned at 80 % of the time to due (escalation.warn_ratio).
    assert a.warn_at == NOW + timedelta(days=4) * 0.8
    assert [e.kind for e in a.events.all()] == ["created"]
    told = OutboxMessage.objects.filter(event="improvement.assigned")
    assert {m.recipient_id for m in told} == {imp.users["handler"].pk}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source": "complaint", "complaints": []}, "complaints"),
        ({"source": "root_cause", "root_cause": ""}, "root_cause"),
        ({"source": "root_cause", "root_cause": "no_such_cause"}, "root_cause"),
        ({"source": "report", "report_month": None}, "report_month"),
        ({"source": "audit"}, "audit_item"),
        ({"due_at": NOW - timedelta(hours=1)}, "due_at"),
        ({"kind": "curative"}, "kind"),
        ({"title": "  "}, "title"),
        ({"check_after_days": 0}, "check_after_days"),
    ],
)
def test_create_refuses_bad_input(imp, fields, field):
    with pytest.raises(InvalidInput) as exc:
        imp.action(**fields)
    assert field in exc.value.details["errors"]
    assert not ImprovementAction.objects.exists()


def test_report_finding_stores_the_first_of_the_month(imp):
    a = imp.action(source="report", report_month=date(2026, 10, 17), finding="物流商延误集中")
    assert a.report_month == date(2026, 10, 1)


@pytest.mark.parametrize("who", ["agent", "handler", "customer_a"])
def test_only_quality_managers_executives_admins_create(imp, who):
    with pytest.raises(PermissionDenied):
        imp.action(who)
    assert not ImprovementAction.objects.exists()


@pytest.mark.parametrize("who", ["quality", "manager", "other_manager", "executive", "admin"])
def test_creators(imp, who):
    assert imp.action(who).pk


def test_a_complaint_the_creator_may_not_see_is_not_found(imp):
    c = imp.in_department(DEPT)
    with pytest.raises(NotFound):
        imp.action("other_manager", source="complaint", complaints=[c])
    assert not ImprovementAction.objects.exists()


def test_owner_must_be_active_staff(imp):
    with pytest.raises(InvalidInput) as exc:
        imp.action(owner="customer_a")
    assert "owner" in exc.value.details["errors"]


def test_the_whole_lifecycle_effective(imp, time_machine):
    a = imp.action()
    handler = imp.users["handler"]
    services.action_start(action=a, actor=handler, note="已召集评审会")
    assert a.status == ActionStatus.IN_PROGRESS and a.started_at == NOW
    services.action_complete(action=a, actor=handler, evidence="新评审表已发布（附件）")
    assert a.status == ActionStatus.DONE
    assert a.check_due_at == NOW + timedelta(days=30)
    # Too early for the verdict: the window after is not over.
    with pytest.raises(GuardFailed):
        services.action_confirm(action=a, actor=imp.users["quality"], effective=True, note="好")
    time_machine.move_to(NOW + timedelta(days=31), tick=False)
    services.action_confirm(action=a, actor=imp.users["quality"], effective=True, note="投诉下降")
    a = imp.refresh(a)
    assert a.status == ActionStatus.EFFECTIVE
    assert a.verdict_by == imp.users["quality"] and a.verdict_note == "投诉下降"
    assert a.measured_at is not None  # measured at the verdict if not before
    assert [(e.kind, e.from_status, e.to_status) for e in a.events.order_by("at", "pk")] == [
        ("created", "", "open"),
        ("started", "open", "in_progress"),
        ("completed", "in_progress", "done"),
        ("confirmed", "done", "effective"),
    ]
    assert access.allowed_transitions(imp.users["quality"], a) == []


def test_not_effective_opens_a_follow_up(imp, time_machine):
    c = imp.in_department(DEPT)
    a = imp.action(source="complaint", complaints=[c], root_cause="operation_error")
    services.action_complete(action=a, actor=imp.users["handler"], evidence="培训已完成")
    time_machine.move_to(NOW + timedelta(days=30), tick=False)
    services.action_confirm(
        action=a, actor=imp.users["quality"], effective=False, note="同类投诉未减少"
    )
    a = imp.refresh(a)
    assert a.status == ActionStatus.NOT_EFFECTIVE
    follow = a.follow_ups.get()
    assert follow.status == ActionStatus.OPEN
    assert follow.owner == a.owner and follow.root_cause == "operation_error"
    assert list(follow.complaints.all()) == [c]
    assert follow.due_at == NOW + timedelta(days=30) + (a.due_at - a.created_at)
    assert "CA-" in follow.finding and "同类投诉未减少" in follow.finding
    assert a.events.filter(kind="follow_up", data__follow_up=follow.pk).exists()


def test_complete_from_open_needs_evidence(imp):
    a = imp.action()
    with pytest.raises(InvalidInput):
        services.action_complete(action=a, actor=imp.users["handler"], evidence=" ")
    assert imp.refresh(a).status == ActionStatus.OPEN
    services.action_complete(action=a, actor=imp.users["handler"], evidence="已完成")
    assert imp.refresh(a).status == ActionStatus.DONE


def test_evidence_files_follow_the_complaint_attachment_rules(imp):
    a = imp.action()
    bad = services.EvidenceFile(name="x.exe", content=b"MZ", content_type="application/x-dosexec")
    with pytest.raises(InvalidInput):
        services.action_complete(action=a, actor=imp.users["handler"], evidence="e", files=[bad])
    assert imp.refresh(a).status == ActionStatus.OPEN
    good = services.EvidenceFile(name="a/b.pdf", content=PDF, content_type="application/pdf")
    services.action_complete(action=a, actor=imp.users["handler"], evidence="e", files=[good])
    (att,) = a.attachments.all()
    assert att.name == "ab.pdf" and att.size == len(PDF)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("handler2", PermissionDenied),  # same department, not the owner
        ("other_manager", NotFound),  # another department: cannot even see it
        ("agent", PermissionDenied),  # sees everything, may not update
        ("executive", PermissionDenied),
    ],
)
def test_refusals_change_nothing(imp, who, error):
    a = imp.action()
    before = snapshot(a)
    with pytest.raises(error):
        services.action_start(action=a, actor=imp.users[who])
    with pytest.raises(error):
        services.action_complete(action=a, actor=imp.users[who], evidence="x")
    with pytest.raises(error):
        services.action_cancel(action=a, actor=imp.users[who], reason="x")
    assert snapshot(a) == before


@pytest.mark.parametrize("who", ["handler", "manager", "quality", "admin"])
def test_updaters(imp, who):
    a = imp.action()
    services.action_start(action=a, actor=imp.users[who])
    assert imp.refresh(a).status == ActionStatus.IN_PROGRESS


def test_only_quality_and_admin_give_the_verdict(imp, time_machine):
    a = imp.action()
    services.action_complete(action=a, actor=imp.users["handler"], evidence="done")
    time_machine.move_to(NOW + timedelta(days=31), tick=False)
    before = snapshot(a)
    for who in ("handler", "manager", "executive"):
        with pytest.raises(PermissionDenied):
            services.action_confirm(action=a, actor=imp.users[who], effective=True, note="x")
        with pytest.raises(PermissionDenied):
            services.action_measure(action=a, actor=imp.users[who])
    assert snapshot(a) == before
    services.action_measure(action=a, actor=imp.users["admin"])
    assert imp.refresh(a).measured_at is not None


def test_wrong_status_is_an_invalid_transition(imp):
    a = imp.action()
    with pytest.raises(InvalidTransition):
        services.action_confirm(action=a, actor=imp.users["quality"], effective=True, note="x")
    services.action_complete(action=a, actor=imp.users["handler"], evidence="done")
    before = snapshot(a)
    for call in (
        lambda: services.action_start(action=a, actor=imp.users["handler"]),
        lambda: services.action_complete(action=a, actor=imp.users["handler"], evidence="x"),
        lambda: services.action_cancel(action=a, actor=imp.users["quality"], reason="x"),
    ):
        with pytest.raises(InvalidTransition):
            call()
    assert snapshot(a) == before


def test_cancel_by_creator_or_quality_with_a_reason(imp):
    a = imp.action("manager")
    with pytest.raises(InvalidInput):
        services.action_cancel(action=a, actor=imp.users["manager"], reason="")
    services.action_cancel(action=a, actor=imp.users["manager"], reason="与 CA-1 重复")
    a = imp.refresh(a)
    assert a.status == ActionStatus.CANCELLED and a.cancelled_at == NOW
    assert a.events.last().data == {"reason": "与 CA-1 重复"}


def test_history_is_append_only(imp):
    a = imp.action()
    event = ActionEvent.objects.get(action=a)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_visibility(imp):
    a = imp.action()
    for who in ("quality", "agent", "executive", "admin", "handler", "handler2", "manager"):
        assert access.action_for_user(imp.users[who], a.pk) == a
    for who in ("other_handler", "other_manager", "customer_a"):
        with pytest.raises(NotFound):
            access.action_for_user(imp.users[who], a.pk)
