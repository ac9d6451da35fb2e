"""The monthly report's data over the fixed data set (tests/analysis/conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.analysis import sections
from kesu.analysis.kpis import kpi_summary
from kesu.analysis.periods import Period
from kesu.analysis.report import build_monthly_report
from kesu.analysis.report_data import AuditSection
from tests.analysis.conftest import NOW, build, by_key


def test_october_report(dataset):
    r = build_monthly_report("2026-10", now=NOW, language="en")
    assert r.month == "2026-10" and r.kpis.received == 5
    # Totals: 5 received (1 rejected apart), 2 closed, the month before 1 → +400 %.
    t = r.totals
    assert (t.received, t.closed, t.rejected, t.merged) == (5, 2, 1, 0)
    assert (t.previous_received, t.received_change) == (1, 4.0)
    # Open at October's end: O3, O4, O5 (S1, O1, O2 closed; R1 rejected).
    assert t.open_at_end == 3
    trend = {p.month: p for p in r.trend}
    assert len(r.trend) == 12 and r.trend[0].month == "2025-11" and r.trend[-1].month == "2026-10"
    assert (trend["2026-09"].received, trend["2026-09"].closed) == (1, 1)
    assert trend["2026-09"].timeliness == pytest.approx(0.8)  # S1: 4 of 5
    assert trend["2026-10"].timeliness == pytest.approx(0.7)
    assert trend["2026-10"].satisfaction == pytest.approx(2 / 3)
    assert trend["2026-08"].timeliness is None and trend["2026-08"].received == 0
    # Breakdowns of the 5 received.
    assert [(b.key, b.count, b.share) for b in r.by_category] == [
        ("cargo_loss", 2, 0.4),
        ("transit_time", 2, 0.4),
        ("cargo_damage", 1, 0.2),
    ]
    assert {b.key: b.count for b in r.by_channel} == {"email": 3, "hotline": 1, "web": 1}
    assert {b.key: b.count for b in r.by_department} == {"transport": 2, "warehouse": 2, "": 1}
    assert {b.key: b.count for b in r.by_level} == {"general": 4, "major": 1}
    assert [b.key for b in r.by_level] == ["major", "general"]  # by rank
    # Stages: 运输 (transit_time, cargo_damage) 3, 仓储 (cargo_loss) 2.
    assert {b.key: b.count for b in r.by_stage} == {"运输": 3, "仓储": 2}
    customer_a = by_key(r.by_customer, str(dataset.cases["O1"].customer_id))
    assert (customer_a.count, customer_a.label) == (2, "上海恒昌贸易有限公司")
    # Pareto: operation_error 2 (O1, O3), process_defect 1 (O2); O4 and O5 undetermined.
    assert [(p.key, p.count) for p in r.root_causes] == [
        ("operation_error", 2),
        ("process_defect", 1),
    ]
    assert r.root_causes[0].cumulative_share == pytest.approx(2 / 3)
    assert r.root_causes[1].cumulative_share == pytest.approx(1.0)
    assert r.root_causes[0].label == "Operating error"
    assert r.root_cause_undetermined == 2
    # Repeats: O4 (of O1) and O1 (of S1), latest first.
    c = dataset.cases
    assert r.repeats.total == 2
    assert [(x.number, x.originals) for x in r.repeats.rows] == [
        (c["O4"].number, [c["O1"].number]),
        (c["O1"].number, [c["S1"].number]),
    ]
    # Overdue: unmet at the end: O4 (ack, dispatch) and O3 (callback) → 2 complaints;
    # breached in October: O2 dispatch and solution, O3 contact, O4 ack and dispatch = 5.
    assert (r.overdue.open_at_end, r.overdue.breached_in_month) == (2, 5)
    unmet = {(x.number, x.milestone) for x in r.overdue.rows if x.open_at_end}
    assert unmet == {
        (c["O4"].number, "ack"),
        (c["O4"].number, "dispatch"),
        (c["O3"].number, "callback"),
    }
    # Per department (current department of each complaint).
    w = by_key(r.departments, "warehouse")
    assert (w.received, w.handled, w.closed, w.breaches) == (2, 2, 1, 3)
    assert (w.timeliness.part, w.timeliness.whole) == (9, 13)
    assert (w.satisfaction.part, w.satisfaction.whole) == (1, 2)
    assert w.median_resolution_hours == 13.5  # (13 + 14) / 2
    tr = by_key(r.departments, "transport")
    assert (tr.received, tr.handled, tr.closed, tr.breaches) == (2, 1, 1, 2)
    assert (tr.timeliness.part, tr.timeliness.whole) == (5, 7)  # O1 5/5, O4 0/2
    assert tr.median_resolution_hours == 3.0
    person = by_key(r.people, dataset.people.handlers["warehouse"].username)
    assert (person.received, person.timeliness.part, person.timeliness.whole) == (2, 9, 13)
    # Placeholders for the improvement app.
    assert r.improvement_actions == [] and r.audits is None


def test_findings_in_english(dataset):
    r = build_monthly_report("2026-10", now=NOW, language="en")
    text = "\n".join(r.findings)
    assert "5 complaints received, up 400.0% on the previous month (1)" in text
    assert "Operating error (66.7% of the known causes)" in text
    assert "Timeliness was lowest in Warehousing: 69.2% of 13 deadlines kept." in text
    assert "Timeliness missed its target: 70.0% against 95.0%." in text
    assert "2 repeat complaints were received." in text


def test_findings_of_an_empty_month(dataset):
    r = build_monthly_report("2026-08", now=NOW, language="en")
    assert r.findings[0] == "No complaints were received in 2026-08."
    assert r.totals.received_change is None and r.root_causes == []


def test_department_filter(dataset):
    from kesu.analysis.filters import resolve_filters

    r = build_monthly_report("2026-10", filters=resolve_filters(department="warehouse"), now=NOW)
    assert r.totals.received == 2 and [d.key for d in r.departments] == ["warehouse"]
    assert r.filters == {"department": "warehouse"}


def test_section_builders_fill_their_fields(dataset, monkeypatch):
    def audits(ctx):
        assert ctx.period == Period.month(2026, 10)
        return {"audits": AuditSection(rows=[]), "findings": ["审核: 无。"]}

    monkeypatch.setattr(sections, "SECTION_BUILDERS", [audits])
    r = build_monthly_report("2026-10", now=NOW)
    assert r.audits == AuditSection(rows=[]) and r.findings[-1] == "审核: 无。"

    monkeypatch.setattr(sections, "SECTION_BUILDERS", [lambda ctx: {"kpis": None}])
    with pytest.raises(ValueError):
        build_monthly_report("2026-10", now=NOW)


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_complaints(dataset, django_assert_max_num_queries):
    october = Period.month(2026, 10)
    kpis_small = queries(lambda: kpi_summary(october, now=NOW))
    report_small = queries(lambda: build_monthly_report("2026-10", now=NOW))
    # Three times the data (the same cases again, new customers' numbers differ by day).
    build(dataset.people)
    build(dataset.people)
    with django_assert_max_num_queries(kpis_small):
        assert kpi_summary(october, now=NOW).received == 15
    with django_assert_max_num_queries(report_small):
        assert build_monthly_report("2026-10", now=NOW).totals.received == 15
    assert kpis_small <= 8 and report_small <= 45, (kpis_small, report_small)
