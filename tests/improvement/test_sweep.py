"""The improvement sweep: the owner is warned once near the due time, the managers and quality
are told once when the action is overdue, quality is asked once when the check falls due —
however many sweeps run."""

from __future__ import annotations

from datetime import timedelta

from kesu.improvement import services
from kesu.improvement.sweep import sweep_actions
from kesu.outbox.models import OutboxMessage
from kesu.outbox.worker import DEFAULT_JOBS
from tests.improvement.conftest import NOW


def recipients(event: str) -> list[int]:
    return sorted(
        OutboxMessage.objects.filter(event=event, channel="inapp").values_list(
            "recipient_id", flat=True
        )
    )


def test_the_worker_runs_it():
    assert ("kesu.improvement.sweep.sweep_actions", 300) in DEFAULT_JOBS


def test_warned_then_escalated_exactly_once(imp):
    u = imp.users
    a = imp.action(due_at=NOW + timedelta(days=10))
    assert sweep_actions(now=NOW + timedelta(days=7)).warned == 0  # before 80 %
    results = [sweep_actions(now=NOW + timedelta(days=8, minutes=i)) for i in range(10)]
    assert [r.warned for r in results] == [1] + [0] * 9
    assert recipients("improvement.warning") == [u["handler"].pk]

    results = [sweep_actions(now=NOW + timedelta(days=10, hours=i)) for i in range(10)]
    assert [r.overdue for r in results] == [1] + [0] * 9
    # The owner's department manager, quality, and the owner.
    assert recipients("improvement.overdue") == sorted(
        [u["manager"].pk, u["quality"].pk, u["handler"].pk]
    )
    assert recipients("improvement.warning") == [u["handler"].pk]  # not again
    a = imp.refresh(a)
    assert a.escalated_at == NOW + timedelta(days=10)
    assert [e.kind for e in a.events.order_by("pk")] == ["created", "warned", "overdue"]


def test_overdue_before_any_warning_is_not_warned_as_well(imp):
    imp.action(due_at=NOW + timedelta(days=1))
    for _ in range(10):
        sweep_actions(now=NOW + timedelta(days=2))
    assert OutboxMessage.objects.filter(event="improvement.warning").count() == 0
    assert len(recipients("improvement.overdue")) == 3


def test_done_actions_do_not_escalate(imp):
    a = imp.action(due_at=NOW + timedelta(days=1))
    services.action_complete(action=a, actor=imp.users["handler"], evidence="done")
    result = sweep_actions(now=NOW + timedelta(days=2))
    assert not result
    assert not OutboxMessage.objects.filter(event="improvement.overdue").exists()


def test_the_check_falling_due_is_measured_and_quality_asked_once(imp):
    a = imp.action(check_after_days=14)
    services.action_complete(action=a, actor=imp.users["handler"], evidence="done")
    assert sweep_actions(now=NOW + timedelta(days=13)).checks_due == 0
    results = [sweep_actions(now=NOW + timedelta(days=14, minutes=i)) for i in range(10)]
    assert [r.checks_due for r in results] == [1] + [0] * 9
    assert recipients("improvement.check_due") == [imp.users["quality"].pk]
    a = imp.refresh(a)
    assert (a.before_count, a.after_count) == (0, 0)
    assert a.check_notified_at == NOW + timedelta(days=14)
    message = OutboxMessage.objects.get(event="improvement.check_due", channel="inapp")
    assert message.context["action"] == a.code


def test_messages_render_in_both_languages(imp):
    from kesu.outbox.rendering import render

    a = imp.action(due_at=NOW + timedelta(days=1))
    sweep_actions(now=NOW + timedelta(days=2))
    message = OutboxMessage.objects.filter(event="improvement.overdue", channel="inapp").first()
    subject, body = render(message.event, "inapp", "zh-hans", message.context)
    assert a.code in subject and "超时" in subject and "{" not in body
    subject, body = render(message.event, "inapp", "en", message.context)
    assert "overdue" in subject and "/console/improvement/" in body
