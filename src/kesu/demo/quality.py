"""Demo follow-up of the history: business volume, improvement actions in every live state and
quality audits, made through ``kesu.analysis.volume``, ``kesu.improvement.services`` and
``kesu.improvement.audits`` with ``now=`` moved back like the complaints."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

from django.utils import timezone

from kesu.accounts.models import Department, User
from kesu.analysis.models import VolumeKind
from kesu.analysis.volume import volume_set
from kesu.complaints.models import Callback, Complaint, Milestone
from kesu.complaints.states import State
from kesu.demo.builder import DemoBuilder
from kesu.demo.history import FIX_OPENED, FIX_TOOK
from kesu.improvement import audits, services
from kesu.improvement.models import CHECKLIST_FIELDS, ActionKind, ActionSource, Audit, AuditItem
from kesu.improvement.periods import local_midnight, next_month, previous_month
from kesu.improvement.sweep import sweep_actions
from kesu.outbox.models import OutboxMessage

SWEEP_LAG = timedelta(minutes=1)
# The demo's checks fall due inside its history whatever the policy's period.
MAX_CHECK_DAYS = 30
# What quality writes when a checklist point fails.
FAILED = {
    "timely": "有时限超时未完成。",
    "process_followed": "回访不满意后二次处理，未一次闭环。",
    "solution_reasonable": "赔付金额的依据说明不充分。",
    "customer_satisfied": "回访满意度未达要求。",
    "records_complete": "回访记录未写明客户意见原文，证据未上传附件。",
}


def at_hour(moment: datetime, hour: int, minute: int = 0) -> datetime:
    """The same local day at ``hour``:``minute``."""
    return timezone.localtime(moment).replace(hour=hour, minute=minute, second=0, microsecond=0)


def enter_volume(months: list[datetime], actor: User, rng: random.Random) -> None:
    """Orders per month, so the complaint rate shows (entered as on the volume page)."""
    for first in months:
        volume = rng.randrange(8000, 12000, 10)
        volume_set(month=first.date(), volume=volume, kind=VolumeKind.ORDERS, actor=actor)


def retire_outbox(since: datetime, now: datetime) -> int:
    """Messages queued while the past was replayed went out back then: marked sent, so the
    worker's first run does not deliver months of old mail, SMS and inbox items. No service
    writes this (delivery does it when it sends), hence one direct UPDATE."""
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, created_at__gte=since
    ).update(status=OutboxMessage.Status.SENT, sent_at=now)


class QualityBuilder:
    """Improvement actions from the history's findings, oldest first, each taken as far as its
    state in the demo (open and overdue, in progress, done awaiting its check, effective), and
    the audits of a recent month."""

    def __init__(self, demo: DemoBuilder, history: list[Complaint], *, seed: int = 13) -> None:
        self.policy = policy = demo.policy
        self.history = [c for c in history if c.department_id]
        self.now = demo.now
        self.rng = random.Random(seed)
        self.quality = demo.quality
        self.managers = demo.managers
        self.handlers = demo.handlers
        self.check_days = min(policy.improvement.check_after_days, MAX_CHECK_DAYS)
        codes = dict(Department.objects.values_list("pk", "code"))
        busiest = Counter(codes[c.department_id] for c in self.history).most_common()
        self.depts = [code for code, _n in busiest] or list(self.managers)
        categories = Counter(c.category for c in self.history).most_common(1)
        self.top_category = categories[0][0] if categories else policy.categories[0].code
        # The cause the history made most frequent, and rarer after the effective action.
        self.top_cause = policy.root_causes[0]

    # --- improvement actions ------------------------------------------------------------
    def effective(self, start: datetime) -> None:
        """A root-cause action done months ago and confirmed effective after its check."""
        dept = Department.objects.get(code=self.depts[0]).name
        cause = self.top_cause.name
        owner = self.managers[self.depts[0]]
        created = at_hour(start + FIX_OPENED, 10)
        action = services.action_create(
            actor=self.quality,
            title=f"{cause}专项整改",
            description=f"梳理{dept}交接与复核流程，增加双人核对，开展全员培训。",
            finding=f"近期投诉中“{cause}”占已确定原因的比例最高。",
            kind=ActionKind.CORRECTIVE,
            source=ActionSource.ROOT_CAUSE,
            root_cause=self.top_cause.code,
            owner=owner,
            due_at=created + timedelta(days=30),
            check_after_days=self.check_days,
            now=created,
        )
        services.action_start(action=action, actor=owner, now=created + timedelta(days=2))
        services.action_complete(
            action=action,
            actor=owner,
            evidence="新版交接复核表已启用，培训签到表和考试记录已归档。",
            now=created + FIX_TOOK,
        )
        assert action.check_due_at is not None
        sweep_actions(now=action.check_due_at + SWEEP_LAG)
        services.action_confirm(
            action=action,
            actor=self.quality,
            effective=True,
            note="同类投诉明显减少，措施有效，纳入部门作业标准。",
            now=action.check_due_at + timedelta(days=2),
        )

    def awaiting_check(self) -> None:
        """A complaint's action done a month ago whose check fell due: figures measured by the
        sweep, quality asked for the verdict."""
        done = at_hour(self.now - timedelta(days=self.check_days + 10), 16)
        created = at_hour(done - timedelta(days=18), 11)
        late = self._late_complaint(before=created)
        if late is None:
            return
        owner = late.handler or self.handlers[late.department.code]
        action = services.action_create(
            actor=self.managers[late.department.code],
            title=f"{self.policy.category(late.category).name}处理时效改进",
            description="设立每日超时预警复盘，超时未联系客户的工单由经理当日跟进。",
            finding=f"投诉 {late.number} 有处理时限超时。",
            kind=ActionKind.PREVENTIVE,
            source=ActionSource.COMPLAINT,
            complaints=[late],
            owner=owner,
            due_at=created + timedelta(days=21),
            check_after_days=self.check_days,
            now=created,
        )
        services.action_start(action=action, actor=owner, now=created + timedelta(days=1))
        services.action_complete(
            action=action,
            actor=owner,
            evidence="预警复盘机制已运行两周，复盘记录见部门共享目录。",
            now=done,
        )
        assert action.check_due_at is not None
        sweep_actions(now=action.check_due_at + SWEEP_LAG)

    def _late_complaint(self, *, before: datetime) -> Complaint | None:
        """The latest closed complaint of the history with a missed deadline."""
        late = Milestone.objects.filter(breached_at__isnull=False).values("complaint")
        return (
            Complaint.objects.filter(
                pk__in=[c.pk for c in self.history],
                state=State.CLOSED,
                received_at__lt=before - timedelta(days=2),
            )
            .filter(pk__in=late)
            .select_related("department", "handler")
            .order_by("-received_at")
            .first()
        )

    def overdue(self) -> None:
        """Opened from two complaints, past its due time and not started: escalated."""
        code = self.policy.category(self.top_category).department
        created = at_hour(self.now - timedelta(days=40), 15)
        linked = [
            c
            for c in self.history
            if c.category == self.top_category
            and created - timedelta(days=45) <= c.received_at < created
        ][-2:]
        if not linked:
            return
        category = self.policy.category(self.top_category).name
        action = services.action_create(
            actor=self.managers[code],
            title=f"{category}投诉回访话术与赔付标准统一",
            description="编制统一的回访话术和赔付标准，在部门例会上宣贯。",
            kind=ActionKind.CORRECTIVE,
            source=ActionSource.COMPLAINT,
            complaints=linked,
            owner=self.handlers[code],
            due_at=created + timedelta(days=30),
            check_after_days=self.check_days,
            now=created,
        )
        for moment in (action.warn_at, action.due_at):
            sweep_actions(now=moment + SWEEP_LAG)

    def in_progress(self) -> None:
        """From the latest monthly report's findings, being worked on."""
        created = at_hour(self.now - timedelta(days=6), 9, 30)
        month = previous_month(timezone.localtime(created).date())
        code = self.depts[1] if len(self.depts) > 1 else self.depts[0]
        owner = self.managers[code]
        action = services.action_create(
            actor=self.quality,
            title=f"{month:%Y年%m月}报告整改：{self.policy.category(self.top_category).name}",
            description="分析高发投诉的业务环节，修订作业指导书并抽查执行情况。",
            finding=f"{month:%m}月报告：“{self.policy.category(self.top_category).name}”类投诉最多。",
            kind=ActionKind.PREVENTIVE,
            source=ActionSource.REPORT,
            report_month=month,
            category=self.top_category,
            owner=owner,
            due_at=created + timedelta(days=30),
            check_after_days=self.check_days,
            now=created,
        )
        started = min(created + timedelta(days=1), self.now - timedelta(hours=1))
        services.action_start(action=action, actor=owner, note="已组织部门讨论。", now=started)

    # --- audits -------------------------------------------------------------------------
    def audit_month(self) -> date:
        """Last month, unless this month began less than two days ago."""
        today = timezone.localtime(self.now)
        last = previous_month(today.date())
        return last if today.day > 2 else previous_month(last)

    def candidates(self, month: date) -> list[tuple[Department, int]]:
        depts = Department.objects.order_by("code")
        counts = [(d, len(audits.audit_candidates(d, month))) for d in depts]
        return sorted([x for x in counts if x[1]], key=lambda x: -x[1])

    def audits(self) -> None:
        month = self.audit_month()
        ranked = self.candidates(month)
        if not ranked:
            return
        drawn = local_midnight(next_month(month)) + timedelta(days=1, hours=10)
        done = self.completed_audit(ranked[0][0], month, drawn)
        self.action_from_audit(done)
        second = next((d for d, n in ranked[1:] if n >= 2), None)
        if second is None:
            month = previous_month(month)
            ranked = self.candidates(month)
            second = ranked[0][0] if ranked else None
            drawn = local_midnight(next_month(month)) + timedelta(days=1, hours=10)
        if second is not None:
            self.started_audit(second, month, drawn + timedelta(hours=4))

    def completed_audit(self, dept: Department, month: date, at: datetime) -> Audit:
        audit = audits.audit_draw(
            actor=self.quality, department=dept, month=month, size=5, seed=20260, now=at
        )
        items = list(audit.items.select_related("complaint").order_by("pk"))
        for n, item in enumerate(items, start=1):
            last = n == len(items)
            self.score(item, at + timedelta(minutes=20 * n), force_finding=last)
        return audits.audit_complete(
            audit=audit,
            actor=self.quality,
            note="抽查完成，问题已反馈责任部门。",
            now=at + timedelta(minutes=20 * len(items) + 15),
        )

    def started_audit(self, dept: Department, month: date, at: datetime) -> None:
        audit = audits.audit_draw(
            actor=self.quality, department=dept, month=month, size=4, seed=20261, now=at
        )
        first = audit.items.order_by("pk").first()
        if first is not None:
            self.score(first, at + timedelta(minutes=25))

    def score(self, item: AuditItem, at: datetime, *, force_finding: bool = False) -> None:
        """Points from what happened to the complaint; a records gap now and then."""
        c = item.complaint
        rating = (
            Callback.objects.filter(complaint=c, reached=True)
            .order_by("-at")
            .values_list("outcome_rating", flat=True)
            .first()
        )
        points = {
            "timely": not Milestone.objects.filter(complaint=c, breached_at__isnull=False).exists(),
            "process_followed": c.reopen_count == 0,
            "solution_reasonable": self.rng.random() < 0.9,
            "customer_satisfied": (rating or 0) >= self.policy.callback.satisfied_min_rating,
            "records_complete": self.rng.random() < 0.8,
        }
        if force_finding and all(points.values()):
            points["records_complete"] = False
        failed = [name for name in CHECKLIST_FIELDS if not points[name]]
        audits.audit_score_item(
            item=item,
            actor=self.quality,
            points=points,
            notes={name: FAILED[name] for name in failed},
            finding="".join(FAILED[name] for name in failed),
            now=at,
        )

    def action_from_audit(self, audit: Audit) -> None:
        item = audit.items.exclude(finding="").select_related("complaint").first()
        if item is None or audit.completed_at is None:
            return
        code = audit.department.code
        created = audit.completed_at + timedelta(minutes=30)
        services.action_create(
            actor=self.quality,
            title=f"{audit.department.name}投诉记录规范性整改",
            description="按质检清单补全回访记录与证据附件，部门经理每周抽查。",
            finding=item.finding,
            kind=ActionKind.CORRECTIVE,
            source=ActionSource.AUDIT,
            audit_item=item,
            owner=self.managers[code],
            due_at=created + timedelta(days=30),
            check_after_days=self.check_days,
            now=created,
        )

    def build(self, first_month: datetime) -> None:
        """Actions oldest first, so each sweep sees the others as they were then."""
        self.effective(first_month)
        self.awaiting_check()
        self.overdue()
        self.in_progress()
        self.audits()
