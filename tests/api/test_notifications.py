"""The caller's notifications through the API: listed, counted, marked read; only one's own."""

from __future__ import annotations

import pytest

from kesu.complaints.services import transitions
from kesu.outbox.models import Notification
from kesu.outbox.worker import run_worker
from tests.api.conftest import DEPT

pytestmark = pytest.mark.django_db


def dispatched(world):
    c = world.new()
    transitions.complaint_dispatch(
        complaint=c, actor=world.users["agent"], department=DEPT, level="C"
    )
    assert run_worker(once=True, jobs=[]) == 0
    return c


def test_list_and_mark_read(world):
    c = dispatched(world)
    listed = world.get("manager", "/notifications")
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert body["unread"] == 1 and body["older"] is None
    [item] = body["items"]
    assert item["complaint"] == c.number and item["read_at"] is None
    assert item["title"].startswith(f"投诉 {c.number}")

    # Another user's ids are silently not theirs to mark.
    other = world.post("other_manager", "/notifications/read", {"ids": [item["id"]]})
    assert other.json() == {"marked": 0, "unread": 0}
    assert Notification.objects.get(pk=item["id"]).read_at is None

    done = world.post("manager", "/notifications/read", {"ids": [item["id"]]})
    assert done.json() == {"marked": 1, "unread": 0}
    assert world.get("manager", "/notifications", {"unread": "true"}).json()["items"] == []


def test_mark_all_and_bad_input(world):
    dispatched(world)
    dispatched(world)
    assert world.post("manager", "/notifications/read", {}).json() == {
        "marked": 2,
        "unread": 0,
    }
    bad = world.get("manager", "/notifications", {"before": "x"})
    assert bad.status_code == 422
    assert world.get(None, "/notifications").status_code == 401
