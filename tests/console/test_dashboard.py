"""The dashboard: queue tiles, today's deadlines, this week's breaches and the month's KPIs,
each over what the reader may see."""

from __future__ import annotations

from datetime import timedelta

from kesu.complaints.models import Milestone
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.states import State
from tests.console.conftest import NOW


def dashboard(console, who):
    r = console.page(who, "/console/")
    assert r.status_code == 200
    return r


def test_tiles_are_the_roles_queues_with_counts(console):
    console.new()
    console.build(State.PENDING_APPROVAL)
    r = dashboard(console, "manager")
    tiles = {t.slug: t.count for t in r.context["tiles"]}
    assert tiles == {"department": 1, "mine": 0, "approval": 1, "due_soon": 0, "overdue": 0}
    html = r.content.decode()
    assert 'data-test="tile-approval" data-count="1"' in html
    assert {t.slug for t in dashboard(console, "agent").context["tiles"]} == {
        "unassigned",
        "mine",
        "callback",
        "due_soon",
        "overdue",
    }


def test_deadlines_today_for_what_i_can_see(console):
    case = console.new()  # ack due 11:00, dispatch due 12:00 today
    r = dashboard(console, "agent")
    today = r.context["today"]
    assert [(ms.complaint.number, ms.kind) for ms in today.rows] == [
        (case.number, "ack"),
        (case.number, "dispatch"),
    ]
    assert today.total == 2
    html = r.content.decode()
    assert "信息接收与初步安抚" in html and "评估、定级与任务分派" in html
    # Not dispatched yet: the departments cannot see it.
    assert dashboard(console, "handler").context["today"].total == 0
    assert dashboard(console, "other_handler").context["today"].total == 0


def test_deadlines_today_in_english(console):
    console.new()
    r = console.page("agent", "/console/", headers={"Accept-Language": "en"})
    html = r.content.decode()
    assert "Acknowledge and soothe" in html and "Grade and dispatch" in html


def test_breaches_this_week(console, time_machine):
    # Last week (Thursday): a complaint whose first two deadlines were missed then.
    time_machine.move_to(NOW - timedelta(days=4), tick=False)
    old = console.new()
    time_machine.move_to(NOW - timedelta(days=4) + timedelta(hours=3), tick=False)
    assert sweep_deadlines().breached == 2
    # This week (Monday): another one, swept after both its deadlines passed.
    time_machine.move_to(NOW, tick=False)
    fresh = console.new()
    time_machine.move_to(NOW + timedelta(hours=2, minutes=30), tick=False)
    assert sweep_deadlines().breached == 2
    transitions.complaint_dispatch(
        complaint=fresh, actor=console.users["agent"], department="logistics", level="C"
    )

    r = dashboard(console, "agent")
    breaches = r.context["breaches"]
    assert {(ev.complaint.number, ev.data["milestone"]) for ev in breaches.rows} == {
        (fresh.number, "ack"),
        (fresh.number, "dispatch"),
    }
    assert breaches.total == 2 and old.number not in r.content.decode()
    html = r.content.decode()
    assert "信息接收与初步安抚" in html and "2026-11-16 11:00" in html  # was due
    assert dashboard(console, "handler").context["breaches"].total == 2
    assert dashboard(console, "other_handler").context["breaches"].total == 0


def make_late(console, time_machine):
    """A complaint whose acknowledgment is met an hour late."""
    case = console.new()
    time_machine.move_to(NOW + timedelta(hours=2), tick=False)
    records.complaint_acknowledge(complaint=case, actor=console.users["agent"])
    time_machine.move_to(NOW, tick=False)
    return case


def test_month_kpis(console, time_machine):
    last_month, _ = complaint_create(
        data=NewComplaint(
            customer_name="陈建国",
            customer_phone="13816620001",
            channel="email",
            category="late_delivery",
            description="上个月的投诉。",
            received_at=NOW - timedelta(days=20),
        ),
        actor=console.users["agent"],
    )
    console.build(State.CLOSED)  # everything met on time, callback 5/5
    unhappy = console.build(State.PENDING_CALLBACK)
    transitions.complaint_record_callback(
        complaint=unhappy,
        actor=console.users["agent"],
        reached=True,
        outcome_rating=2,
        process_rating=4,
        accepted=False,
    )
    make_late(console, time_machine)

    met = Milestone.objects.filter(met_at__gte=NOW - timedelta(days=15))
    on_time = sum(1 for ms in met if ms.met_on_time)
    assert 0 < on_time < met.count()

    r = dashboard(console, "agent")
    kpis = r.context["kpis"]
    assert kpis.received == 3  # this month: closed, unhappy and the late one
    assert kpis.closed == 1
    assert (kpis.milestones_met, kpis.met_on_time) == (met.count(), on_time)
    assert (kpis.rated, kpis.outcome_satisfied, kpis.process_satisfied) == (2, 1, 2)
    assert kpis.outcome_satisfaction == 0.5 and kpis.process_satisfaction == 1.0
    html = r.content.decode()
    assert 'data-test="kpi-outcome">50.0%' in html
    assert 'data-test="kpi-process">100.0%' in html
    assert f"{on_time * 100 / met.count():.1f}%" in html
    assert last_month.number  # recorded, but in October

    assert "您有权查看的全部投诉" in html
    # A manager's figures are their department's; sales has none of these.
    manager = dashboard(console, "manager")
    assert manager.context["kpis"].closed == 1
    assert "物流与计划部" in manager.content.decode().split('data-test="kpi-scope"')[1][:200]
    other = dashboard(console, "other_manager").context["kpis"]
    assert (other.received, other.closed, other.milestones_met, other.rated) == (0, 0, 0, 0)
    assert 'data-test="kpi-timeliness">—' in dashboard(console, "other_manager").content.decode()


def test_dashboard_queries_do_not_grow_with_rows(console, django_assert_max_num_queries):
    for _ in range(3):
        console.new()
    client = console.signed_in("agent")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/console/")
    for _ in range(25):
        console.new()
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get("/console/")
    assert len(r.context["today"].rows) == 20 and r.context["today"].total == 56
