"""The demo data (`kesu demo`, run by `kesu serve`): built through the services for two
presets, it fills the analysis, the monthly report, improvement actions and audits."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import at

NOW = at("2026-11-20 15:30")
MONTHS = [date(2026, m, 1) for m in range(5, 11)]  # the six calendar months before November


@pytest.fixture(params=["logistics", "b2b"])
def demo(request, preset):
    from kesu.demo.builder import build_demo

    preset(request.param)
    return build_demo(now=NOW)


def test_the_demo_fills_the_analysis_reports_and_improvement(demo):
    """One test per preset: building the demo is the slow part."""
    from kesu.analysis.kpis import kpi_summary
    from kesu.analysis.periods import Period
    from kesu.analysis.report import build_monthly_report
    from kesu.analysis.volume import period_volume
    from kesu.complaints.models import Complaint
    from kesu.complaints.states import State
    from kesu.improvement.models import Audit, AuditStatus, ImprovementAction
    from kesu.outbox.models import OutboxMessage

    for first in MONTHS:
        period = Period.month(first.year, first.month)
        received = Complaint.objects.filter(
            received_at__gte=period.start, received_at__lt=period.end
        )
        assert received.count() >= 15, first
        assert period_volume(period) is not None, first

    last = kpi_summary(Period.month(2026, 10), now=NOW)
    assert last.received >= 15
    assert last.timeliness.rate is not None and 0.6 < last.timeliness.rate <= 1
    assert last.satisfaction_outcome.value is not None
    assert last.first_response.median_hours is not None
    assert last.resolution.median_hours is not None
    assert last.complaint_rate is not None and last.complaint_rate.value

    whole = kpi_summary(Period(at("2026-05-01 00:00"), at("2026-11-01 00:00")), now=NOW)
    assert 0 < whole.repeat_rate.part < whole.received / 5
    assert whole.reopen_rate.part >= 1
    assert whole.timeliness.missed > 0 and whole.timeliness.rate < 0.97

    statuses = set(ImprovementAction.objects.values_list("status", flat=True))
    assert {"open", "in_progress", "done", "effective"} <= statuses
    assert ImprovementAction.objects.filter(complaints__isnull=False).exists()
    assert Audit.objects.filter(status=AuditStatus.COMPLETED, month=date(2026, 10, 1)).exists()
    assert Audit.objects.filter(status=AuditStatus.IN_PROGRESS).exists()

    # The recent cases are still there in their states, and the past's messages went out then.
    states = set(Complaint.objects.values_list("state", flat=True))
    assert {State.RECEIVED, State.PENDING_APPROVAL, State.AWAITING_CUSTOMER} <= states
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    assert pending.count() < OutboxMessage.objects.count() / 3

    report = build_monthly_report("2026-10", now=NOW)
    assert len(report.root_causes) >= 3 and report.repeats.total and report.findings
    assert report.overdue.breached_in_month and len(report.people) >= 2
    assert report.improvement_actions and report.audits and report.audits.rows
