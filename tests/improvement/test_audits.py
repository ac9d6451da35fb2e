"""Quality audits: a reproducible random draw that leaves out complaints audited before,
checklist scoring, completion, and the results per department per month worked out by hand."""

from __future__ import annotations

import random
from datetime import date

import pytest

from kesu.accounts.models import Department
from kesu.complaints.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from kesu.improvement import access
from kesu.improvement.audits import audit_complete, audit_draw, audit_score_item, draw_sample
from kesu.improvement.models import AuditItem, AuditStatus
from kesu.improvement.report import sections
from tests.conftest import at
from tests.improvement.conftest import DEPT, NOW, OTHER_DEPT

OCTOBER = date(2026, 10, 1)
ALL_PASS = dict.fromkeys(
    ["timely", "process_followed", "solution_reasonable", "customer_satisfied", "records_complete"],
    True,
)


@pytest.fixture
def october(imp):
    """Six logistics complaints closed in October (Shanghai time), one on each side of it."""
    # The month starts and ends at local midnight.
    moments = ["2026-10-01 00:00", "2026-10-05 12:00", "2026-10-09 12:00", "2026-10-13 12:00"]
    inside = [imp.closed(at(m)) for m in [*moments, "2026-10-20 12:00", "2026-10-31 23:59"]]
    imp.closed(at("2026-09-30 23:59"))
    imp.closed(at("2026-11-01 00:00"))
    return inside


def draw(imp, who="quality", **kw):
    kw.setdefault("department", Department.objects.get(code=DEPT))
    kw.setdefault("month", OCTOBER)
    if "percent" not in kw:
        kw.setdefault("size", 3)
    return audit_draw(actor=imp.users[who], **kw)


def test_draw_is_reproducible_with_its_seed(imp, october):
    audit = draw(imp, seed=20261101)
    ids = sorted(c.pk for c in october)
    assert audit.candidate_ids == ids
    sampled = list(audit.items.values_list("complaint_id", flat=True))
    assert sorted(sampled) == sorted(random.Random(20261101).sample(ids, 3))
    assert sorted(draw_sample(audit.candidate_ids, audit.sample_size, audit.seed)) == sorted(
        sampled
    )
    assert audit.status == AuditStatus.DRAFT and audit.events.get().kind == "drawn"


def test_draw_leaves_out_complaints_audited_before(imp, october):
    first = draw(imp, size=4, seed=1)
    second = draw(imp, size=4, seed=1)
    taken = set(first.items.values_list("complaint_id", flat=True))
    assert second.sample_size == 2  # only two left
    assert set(second.candidate_ids) == {c.pk for c in october} - taken
    with pytest.raises(GuardFailed):
        draw(imp)


def test_draw_by_percentage_rounds_up(imp, october):
    assert draw(imp, size=None, percent=30).sample_size == 2  # 30 % of 6 = 1.8


@pytest.mark.parametrize(
    "kw",
    [{"size": None}, {"size": 3, "percent": 10}, {"size": 0}, {"size": None, "percent": 101}],
)
def test_draw_refuses_bad_sizes(imp, october, kw):
    with pytest.raises(InvalidInput):
        draw(imp, **kw)
    assert not AuditItem.objects.exists()


@pytest.mark.parametrize("who", ["manager", "executive", "agent", "handler"])
def test_only_quality_and_admin_audit(imp, october, who):
    with pytest.raises(PermissionDenied):
        draw(imp, who)
    audit = draw(imp)
    item = audit.items.first()
    with pytest.raises((PermissionDenied, NotFound)):
        audit_score_item(item=item, actor=imp.users[who], points=ALL_PASS)
    assert not AuditItem.objects.filter(scored_at__isnull=False).exists()


def test_audit_visibility(imp, october):
    audit = draw(imp)
    for who in ("quality", "admin", "executive", "manager"):
        assert access.audit_for_user(imp.users[who], audit.pk) == audit
    for who in ("other_manager", "handler", "agent"):
        with pytest.raises(NotFound):
            access.audit_for_user(imp.users[who], audit.pk)


def test_scoring_and_completion(imp, october):
    audit = draw(imp, size=2)
    one, two = audit.items.order_by("pk")
    with pytest.raises(InvalidInput):
        audit_score_item(item=one, actor=imp.users["quality"], points={"timely": True})
    points = {**ALL_PASS, "records_complete": False, "timely": False}
    audit_score_item(
        item=one,
        actor=imp.users["quality"],
        points=points,
        notes={"records_complete": "缺少回访记录"},
        finding="回访记录未归档",
    )
    one.refresh_from_db()
    assert one.score == 60 and one.notes == {"records_complete": "缺少回访记录"}
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS
    with pytest.raises(GuardFailed):
        audit_complete(audit=audit, actor=imp.users["quality"])
    audit_score_item(item=two, actor=imp.users["quality"], points=ALL_PASS)
    audit_complete(audit=audit, actor=imp.users["quality"], note="整体良好")
    assert audit.status == AuditStatus.COMPLETED and audit.completed_at == NOW
    with pytest.raises(GuardFailed):
        audit_score_item(item=two, actor=imp.users["quality"], points=ALL_PASS)
    # A finding opens an improvement action linked to the item and its complaint.
    action = imp.action(source="audit", audit_item=one, root_cause="")
    assert list(action.complaints.all()) == [one.complaint]


def test_results_per_department_by_hand(imp, october):
    # Logistics: 3 scored of 3 → scores 100, 60, 80; sales: 1 of 2 scored → 40.
    logistics = draw(imp, size=3, seed=7)
    scores = [
        ALL_PASS,
        {**ALL_PASS, "timely": False, "records_complete": False},
        {**ALL_PASS, "timely": False},
    ]
    for item, points in zip(logistics.items.order_by("pk"), scores, strict=True):
        audit_score_item(item=item, actor=imp.users["quality"], points=points)
    audit_complete(audit=logistics, actor=imp.users["quality"])

    sales_closed = [imp.closed(at("2026-10-15 09:00")) for _ in range(2)]
    sales = Department.objects.get(code=OTHER_DEPT)
    type(sales_closed[0]).objects.filter(pk__in=[c.pk for c in sales_closed]).update(
        department=sales
    )
    sales_audit = draw(imp, department=sales, size=2, seed=3)
    first = sales_audit.items.order_by("pk").first()
    audit_score_item(
        item=first,
        actor=imp.users["quality"],
        points={**ALL_PASS, "timely": False, "process_followed": False, "records_complete": False},
    )

    s = sections(date(2026, 10, 1), date(2026, 11, 1))
    assert (s.audits.audits, s.audits.completed, s.audits.sampled, s.audits.scored) == (
        2,
        1,
        5,
        4,
    )
    assert s.audits.average_score == 70.0  # (100 + 60 + 80 + 40) / 4
    rates = {p.point: (p.passed, p.scored) for p in s.audits.pass_rates}
    assert rates["timely"] == (1, 4)
    assert rates["records_complete"] == (2, 4)
    assert rates["customer_satisfied"] == (4, 4)
    by_dept = {d.department: d for d in s.audits.departments}
    log = by_dept[DEPT]
    assert (log.audits, log.completed, log.sampled, log.scored, log.average_score) == (
        1,
        1,
        3,
        3,
        80.0,
    )
    log_rates = {p.point: p.rate for p in log.pass_rates}
    assert log_rates["timely"] == pytest.approx(1 / 3)
    assert log_rates["records_complete"] == pytest.approx(2 / 3)
    assert log_rates["process_followed"] == 1.0
    sal = by_dept[OTHER_DEPT]
    assert (sal.sampled, sal.scored, sal.average_score) == (2, 1, 40.0)
    assert {p.point: p.rate for p in sal.pass_rates}["process_followed"] == 0.0
    # November holds none of these.
    assert sections(date(2026, 11, 1), date(2026, 12, 1)).audits.audits == 0
