"""The console's world: the b2b preset, one user of every role (signed in with the test
client, no tokens), and the API world's builders to bring complaints to any state through the
services. Time stands still on a Monday morning in Shanghai."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kesu.complaints.models import Complaint
from tests.api.conftest import DEPT, NOW, OTHER_DEPT, TASK_DEPT, World
from tests.conftest import make_people

__all__ = ["DEPT", "NOW", "OTHER_DEPT", "Console"]


class Console(World):
    """World plus pages fetched as one of its users."""

    def signed_in(self, who: str | None) -> Client:
        client = Client()
        if who is not None:
            client.force_login(self.users[who])
        return client

    def page(self, who: str | None, path: str, params: Any = None, headers: Any = None):
        return self.signed_in(who).get(path, params or {}, headers=headers)

    def queue(self, who: str, slug: str, params: Any = None) -> list[str]:
        """The numbers on the first page of a queue, in order."""
        return numbers(self.page(who, f"/console/queue/{slug}/", params))

    def in_department(self, dept: str, **fields: Any) -> Complaint:
        """A complaint dispatched to ``dept`` and accepted there (investigating)."""
        from kesu.complaints.services import transitions

        category = {"sales": "quote_delay", "logistics": "late_delivery"}[dept]
        c = self.new(category=category, **fields)
        transitions.complaint_dispatch(
            complaint=c, actor=self.users["agent"], department=dept, level="C"
        )
        handler = self.users["handler" if dept == DEPT else "other_handler"]
        transitions.complaint_accept(complaint=c, actor=handler)
        c.refresh_from_db()
        return c


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def console(db, frozen) -> Console:
    from kesu.policy.loader import policy_load

    policy_load("b2b")
    p = make_people()
    users = {
        "customer_a": p.customer,
        "customer_b": p.other_customer,
        "agent": p.agent,
        "agent2": p.agent2,
        "handler": p.handlers[DEPT],
        "handler2": p.second_handlers[DEPT],
        "other_handler": p.handlers[OTHER_DEPT],
        "manager": p.managers[DEPT],
        "other_manager": p.managers[OTHER_DEPT],
        "finance_handler": p.handlers[TASK_DEPT],
        "executive": p.executive,
        "quality": p.quality,
        "admin": p.admin,
    }
    return Console(users=users, tokens={})


def numbers(response) -> list[str]:
    """The complaint numbers of a list page's rows, in order."""
    assert response.status_code == 200, response.status_code
    return [c.number for c in response.context["rows"]]


def nav_slugs(response) -> list[str]:
    return [item.slug for item in response.context["console_queues"]]


# --- the complaint page and its actions (tests/console/test_complaint_page.py, test_actions.py,
# test_intake.py) ------------------------------------------------------------------------------

ACTION_FORM = re.compile(r'data-test="action-([a-z_]+)"')


class ComplaintPages:
    """The complaint page and its action forms, as one of the console world's users."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.clients: dict[str, Client] = {}

    def client(self, who: str) -> Client:
        if who not in self.clients:
            client = Client()
            client.force_login(self.console.users[who])
            self.clients[who] = client
        return self.clients[who]

    def get(self, who: str, complaint: Any, *, htmx: bool = False, **headers: str):
        number = getattr(complaint, "number", complaint)
        if htmx:
            headers["HX-Request"] = "true"
        return self.client(who).get(f"/console/c/{number}/", headers=headers or None)

    def post(
        self,
        who: str,
        complaint: Any,
        action: str,
        data: dict[str, Any] | None = None,
        *,
        htmx: bool = False,
        version: int | None = None,
        **headers: str,
    ):
        """Send action ``action``'s form as the page would (with the complaint's current
        version unless one is given); ``htmx`` as the page's script sends it."""
        number = getattr(complaint, "number", complaint)
        if version is None:
            version = Complaint.objects.get(number=number).version
        if htmx:
            headers["HX-Request"] = "true"
        return self.client(who).post(
            f"/console/c/{number}/act/{action}/",
            {"version": version, **(data or {})},
            headers=headers or None,
        )


def shown_actions(response) -> set[str]:
    """The actions a complaint page offers (its ``data-test="action-…"`` forms)."""
    assert response.status_code == 200, response.status_code
    return set(ACTION_FORM.findall(response.content.decode()))


@pytest.fixture
def pages(console) -> ComplaintPages:
    return ComplaintPages(console)
