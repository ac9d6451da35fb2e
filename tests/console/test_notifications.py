"""In-app notifications in the console: delivered by the worker, counted in the navigation,
listed newest first, read when the complaint is opened or all at once, never another's."""

from __future__ import annotations

import pytest

from kesu.outbox.models import Notification
from kesu.outbox.worker import run_worker
from tests.console.conftest import DEPT, OTHER_DEPT

pytestmark = pytest.mark.django_db


def deliver() -> None:
    assert run_worker(once=True, jobs=[]) == 0


def inbox(console, who: str, params=None):
    response = console.page(who, "/console/notifications/", params)
    assert response.status_code == 200
    return response


def test_dispatch_reaches_the_managers_inbox_and_nav_count(console):
    c = console.in_department(DEPT)
    deliver()
    response = inbox(console, "manager")
    rows = response.context["page"].rows
    assert [n.complaint_id for n in rows] == [c.pk]
    assert rows[0].title.startswith(f"投诉 {c.number}")
    html = response.content.decode()
    assert f'href="/console/c/{c.number}/"' in html
    assert 'data-test="unread-count">1<' in html
    # Nobody else sees it.
    assert inbox(console, "handler").context["page"].rows == []


def test_opening_the_complaint_marks_its_notifications_read(console):
    c = console.in_department(DEPT)
    other = console.in_department(DEPT)
    deliver()
    assert Notification.objects.filter(user=console.users["manager"]).count() == 2
    assert console.page("manager", f"/console/c/{c.number}/").status_code == 200
    unread = Notification.objects.filter(user=console.users["manager"], read_at__isnull=True)
    assert [n.complaint_id for n in unread] == [other.pk]
    only_unread = inbox(console, "manager", {"unread": "1"}).context["page"].rows
    assert [n.complaint_id for n in only_unread] == [other.pk]


def test_mark_all_read_touches_only_my_rows(console):
    console.in_department(DEPT)
    console.in_department(OTHER_DEPT)
    deliver()
    client = console.signed_in("manager")
    response = client.post("/console/notifications/read/", follow=True)
    assert response.status_code == 200
    assert not Notification.objects.filter(user=console.users["manager"], read_at__isnull=True)
    assert Notification.objects.filter(
        user=console.users["other_manager"], read_at__isnull=True
    ).exists()
    assert client.get("/console/notifications/read/").status_code == 405


def test_pages_go_back_in_time_without_offsets(console):
    from kesu.outbox.inbox import inbox_page

    for _ in range(3):
        console.in_department(DEPT)
    deliver()
    first = inbox_page(console.users["manager"], size=2)
    second = inbox_page(console.users["manager"], before=first.older, size=2)
    assert len(first.rows) == 2 and first.older == first.rows[-1].pk
    assert len(second.rows) == 1 and second.older is None
    assert {n.pk for n in first.rows}.isdisjoint({n.pk for n in second.rows})
    # A bad cursor is ignored, not an error.
    assert inbox(console, "manager", {"before": "abc"}).status_code == 200


def test_customers_and_anonymous_have_no_inbox(console):
    assert console.page("customer_a", "/console/notifications/").status_code == 403
    assert console.page(None, "/console/notifications/").status_code == 302


def test_admin_dashboard_shows_dead_letters_with_a_link_to_resend(console):
    from kesu.outbox.models import OutboxMessage

    console.in_department(DEPT)
    OutboxMessage.objects.filter(channel="email").update(status="dead", attempts=5)
    dead = OutboxMessage.objects.filter(status="dead").count()
    assert dead > 0
    page = console.page("admin", "/console/")
    assert page.context["delivery"].dead == dead
    assert "/admin/outbox/outboxmessage/?status__exact=dead" in page.content.decode()
    # Other roles are not shown the delivery machinery.
    assert console.page("manager", "/console/").context["delivery"] is None


def test_switching_the_page_language_switches_the_notifications_language(console):
    client = console.signed_in("manager")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    assert response.status_code == 302
    console.users["manager"].refresh_from_db()
    assert console.users["manager"].language == "en"
    console.in_department(DEPT)
    deliver()
    [note] = Notification.objects.filter(user=console.users["manager"])
    assert note.title.startswith("Complaint ")
    # A language we do not send in changes nothing.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/console/"})
    console.users["manager"].refresh_from_db()
    assert console.users["manager"].language == "en"
