"""The improvement world: the console world (b2b preset, one user per role, time frozen on
Monday 2026-11-16 10:00 Shanghai, API tokens for the API tests) and builders for actions and
closed complaints."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kesu.accounts.models import ApiToken
from kesu.complaints.models import Complaint
from kesu.complaints.states import State
from kesu.improvement import services
from kesu.improvement.models import ImprovementAction
from tests.api.conftest import DEPT, NOW, OTHER_DEPT
from tests.console.conftest import Console, console, frozen  # noqa: F401  (fixtures)

__all__ = ["DEPT", "NOW", "OTHER_DEPT", "Improvement"]


class Improvement(Console):
    def action(self, who: str = "quality", *, owner: str = "handler", **fields: Any):
        defaults: dict[str, Any] = {
            "title": "优化订单评审流程",
            "description": "修订订单评审表，增加交期确认环节。",
            "kind": "corrective",
            "source": "root_cause",
            "root_cause": "order_info_flow",
            "due_at": NOW + timedelta(days=10),
        }
        return services.action_create(
            actor=self.users[who], owner=self.users[owner], **{**defaults, **fields}
        )

    def complaint_at(
        self, received_at: datetime, *, root_cause: str = "", dept: str | None = DEPT, **fields
    ) -> Complaint:
        """A complaint received at ``received_at`` with the given root cause and department
        (set directly: only the fields the counts read matter here)."""
        from kesu.accounts.models import Department

        c = self.new(**fields)
        Complaint.objects.filter(pk=c.pk).update(
            received_at=received_at,
            root_cause=root_cause,
            department=Department.objects.get(code=dept) if dept else None,
        )
        c.refresh_from_db()
        return c

    def closed(self, closed_at: datetime, **fields: Any) -> Complaint:
        c = self.build(State.CLOSED, **fields)
        Complaint.objects.filter(pk=c.pk).update(closed_at=closed_at)
        c.refresh_from_db()
        return c

    def refresh(self, action: ImprovementAction) -> ImprovementAction:
        return ImprovementAction.objects.get(pk=action.pk)


@pytest.fixture
def imp(console) -> Improvement:  # noqa: F811
    world = Improvement(users=console.users, tokens={})
    world.tokens = {k: ApiToken.issue(user=u, name="t")[1] for k, u in world.users.items()}
    return world
