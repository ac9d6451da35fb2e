"""``kesu.improvement.report.sections``: the actions of a month counted by hand, and the query
count independent of the number of actions."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.improvement import services
from kesu.improvement.report import sections
from tests.conftest import at


def make(imp, created: str, due: str, **kw):
    return imp.action(now=at(created), due_at=at(due), **kw)


def test_the_months_actions_by_hand(imp):
    q, h = imp.users["quality"], imp.users["handler"]
    make(imp, "2026-10-20 09:00", "2026-10-30 18:00", title="A1")  # overdue, still open
    a2 = make(imp, "2026-11-05 09:00", "2026-11-20 18:00", title="A2")
    services.action_complete(action=a2, actor=h, evidence="done", now=at("2026-11-10 09:00"))
    make(imp, "2026-11-06 09:00", "2026-12-20 18:00", title="A3")  # due after the month
    a4 = make(imp, "2026-11-07 09:00", "2026-11-25 18:00", title="A4")
    services.action_cancel(action=a4, actor=q, reason="重复", now=at("2026-11-08 09:00"))
    a5 = make(imp, "2026-09-01 09:00", "2026-09-10 18:00", title="A5", check_after_days=30)
    services.action_complete(action=a5, actor=h, evidence="done", now=at("2026-09-05 09:00"))
    services.action_confirm(
        action=a5, actor=q, effective=True, note="有效", now=at("2026-11-15 09:00")
    )
    make(imp, "2026-12-02 09:00", "2026-12-20 18:00", title="A6")  # after the month

    s = sections(date(2026, 11, 1), date(2026, 12, 1)).actions
    assert (s.opened, s.done, s.effective, s.not_effective, s.cancelled) == (3, 1, 1, 0, 1)
    assert s.overdue_at_end == 1
    assert s.status_counts == {
        "open": 2,
        "in_progress": 0,
        "done": 1,
        "effective": 1,
        "not_effective": 0,
        "cancelled": 1,
    }
    assert s.rows_total == 5
    assert s.rows[0].title == "A1" and s.rows[0].overdue_at_end
    assert {r.title for r in s.rows} == {"A1", "A2", "A3", "A4", "A5"}
    # October: A1 opened, and overdue at its end? Due 10-30 18:00, yes.
    october = sections(date(2026, 10, 1), date(2026, 11, 1)).actions
    assert (october.opened, october.overdue_at_end) == (1, 1)


def test_query_count_does_not_grow_with_the_actions(imp):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            sections(date(2026, 11, 1), date(2026, 12, 1))
        return len(ctx.captured_queries)

    make(imp, "2026-11-05 09:00", "2026-11-20 18:00")
    few = count()
    for day in range(6, 16):
        make(imp, f"2026-11-{day:02d} 09:00", "2026-11-20 18:00")
    assert count() == few


def test_an_empty_month(imp):
    s = sections(date(2026, 1, 1), date(2026, 2, 1))
    assert s.actions.opened == 0 and s.actions.rows == []
    assert s.audits.audits == 0 and s.audits.average_score is None
    assert all(p.rate is None for p in s.audits.pass_rates)
