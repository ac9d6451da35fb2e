"""The effectiveness check counted by hand: complaints of the action's scope in the N days
before it was opened against the N days after it was done (N = check_after_days)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.accounts.models import Department
from kesu.complaints.models import Complaint
from kesu.improvement import services
from tests.conftest import at
from tests.improvement.conftest import DEPT, NOW, OTHER_DEPT

CAUSE = "order_info_flow"


def test_counts_before_and_after_by_hand(imp, time_machine):
    logistics = Department.objects.get(code=DEPT)
    a = imp.action(root_cause=CAUSE, scope_department=logistics, check_after_days=30)
    # Before window: [2026-10-17 10:00, 2026-11-16 10:00).
    for moment in ("2026-10-17 10:00", "2026-10-20 08:00", "2026-11-01 12:00", "2026-11-16 09:59"):
        imp.complaint_at(at(moment), root_cause=CAUSE)  # 4 counted
    imp.complaint_at(at("2026-10-17 09:59"), root_cause=CAUSE)  # a minute too early
    imp.complaint_at(at("2026-11-02 10:00"), root_cause="operation_error")  # other cause
    imp.complaint_at(at("2026-11-03 10:00"), root_cause=CAUSE, dept=OTHER_DEPT)  # other dept
    rejected = imp.complaint_at(at("2026-11-04 10:00"), root_cause=CAUSE)
    Complaint.objects.filter(pk=rejected.pk).update(state="rejected")  # never a complaint
    imp.complaint_at(at("2026-11-17 10:00"), root_cause=CAUSE)  # while the action ran

    time_machine.move_to(NOW + timedelta(days=2), tick=False)
    services.action_complete(action=a, actor=imp.users["handler"], evidence="新流程上线")
    # After window: [2026-11-18 10:00, 2026-12-18 10:00).
    for moment in ("2026-11-18 10:00", "2026-12-10 15:00"):
        imp.complaint_at(at(moment), root_cause=CAUSE)  # 2 counted
    imp.complaint_at(at("2026-12-18 10:00"), root_cause=CAUSE)  # the window's end: out

    time_machine.move_to(at("2026-12-18 10:00"), tick=False)
    with CaptureQueriesContext(connection) as queries:
        services.action_measure(action=a, actor=imp.users["quality"])
    a = imp.refresh(a)
    assert (a.before_from, a.before_to) == (at("2026-10-17 10:00"), at("2026-11-16 10:00"))
    assert (a.after_from, a.after_to) == (at("2026-11-18 10:00"), at("2026-12-18 10:00"))
    assert (a.before_count, a.after_count) == (4, 2)
    assert a.complaints_fell is True
    assert a.events.filter(kind="measured", data={"before": 4, "after": 2}).exists()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 2  # one aggregate per window, whatever the number of complaints


def test_scope_by_category_only(imp, time_machine):
    a = imp.action(
        source="report",
        report_month=date(2026, 10, 1),
        root_cause="",
        category="late_delivery",
        check_after_days=7,
    )
    imp.complaint_at(at("2026-11-10 10:00"), dept=None)  # late_delivery, any department
    imp.complaint_at(at("2026-11-12 10:00"), dept=OTHER_DEPT)
    imp.complaint_at(at("2026-11-12 11:00"), category="invoicing")  # other category
    services.action_complete(action=a, actor=imp.users["handler"], evidence="done")
    for moment in ("2026-11-17 10:00", "2026-11-18 10:00", "2026-11-20 10:00"):
        imp.complaint_at(at(moment))
    time_machine.move_to(NOW + timedelta(days=7), tick=False)
    services.action_measure(action=a, actor=imp.users["quality"])
    a = imp.refresh(a)
    assert (a.before_count, a.after_count, a.complaints_fell) == (2, 3, False)
