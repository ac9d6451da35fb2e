"""The monthly report carries the month's improvement actions and quality audits (the
improvement app's section builder), narrowed to a department when the report is."""

from __future__ import annotations

from kesu.accounts.models import Department
from kesu.analysis.filters import Filters
from kesu.analysis.report import build_monthly_report
from kesu.improvement.audits import audit_draw, audit_score_item
from tests.conftest import at
from tests.improvement.conftest import DEPT, OTHER_DEPT
from tests.improvement.test_audits import ALL_PASS, OCTOBER


def test_actions_and_audits_in_the_monthly_report(imp):
    overdue = imp.action(
        now=at("2026-10-20 09:00"), due_at=at("2026-10-30 18:00"), title="改进单据核对"
    )
    imp.action(now=at("2026-10-21 09:00"), due_at=at("2026-11-30 18:00"), title="培训客服")
    for moment in ("2026-10-05 12:00", "2026-10-09 12:00"):
        imp.closed(at(moment))
    audit = audit_draw(
        actor=imp.users["quality"],
        department=Department.objects.get(code=DEPT),
        month=OCTOBER,
        size=2,
        seed=7,
    )
    first, second = audit.items.order_by("pk")
    audit_score_item(item=first, actor=imp.users["quality"], points=ALL_PASS)
    audit_score_item(
        item=second, actor=imp.users["quality"], points={**ALL_PASS, "records_complete": False}
    )

    report = build_monthly_report("2026-10", now=at("2026-11-01 08:00"))
    assert [r.title for r in report.improvement_actions] == ["改进单据核对", "培训客服"]
    assert report.improvement_actions[0].key == overdue.code
    assert report.improvement_actions[0].effective is None
    [row] = report.audits.rows
    # Scores 100 and 80 → 90 %; one checklist point failed.
    assert (row.sampled, row.audited, row.average_score, row.findings) == (2, 2, 0.9, 1)
    assert "月末有 1 项改进措施已超时。" in report.findings
    assert report.audits.summary == (
        "抽样的 2 件投诉中已抽查 2 件；最薄弱的检查项是“记录完整”，合格率为 50%。"
    )

    other = Department.objects.get(code=OTHER_DEPT)
    narrowed = build_monthly_report(
        "2026-10", filters=Filters(department_id=other.pk), now=at("2026-11-01 08:00")
    )
    assert narrowed.improvement_actions == [] and narrowed.audits is None
