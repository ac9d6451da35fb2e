"""Improvement actions (纠正与预防措施, CAPA) and quality audits (seed 003 §七(二), §八; SPEC §7).

Nothing here changes state on its own: every write goes through ``kesu.improvement.services``
(actions) and ``kesu.improvement.audits`` (audits). Models hold fields, constraints and
read-only predicates; the history tables are append-only like the complaint timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", _("Corrective")
    PREVENTIVE = "preventive", _("Preventive")


class ActionSource(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    ROOT_CAUSE = "root_cause", _("Root cause")
    REPORT = "report", _("Report finding")
    AUDIT = "audit", _("Audit finding")


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("improvement action status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done, effect to be checked")
    EFFECTIVE = "effective", _("Effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def live(cls) -> frozenset[str]:
        """Being worked on: these have a due time that can run out."""
        return frozenset({cls.OPEN, cls.IN_PROGRESS})

    @classmethod
    def closed(cls) -> frozenset[str]:
        return frozenset({cls.EFFECTIVE, cls.NOT_EFFECTIVE, cls.CANCELLED})


class ImprovementAction(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is to be done"))
    # Why: the report's or the audit's finding, or the complaint's story in a sentence.
    finding = models.TextField(_("finding"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ActionKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ActionStatus.choices,
        default=ActionStatus.OPEN,
        db_index=True,
    )

    source = models.CharField(_("source"), max_length=12, choices=ActionSource.choices)
    complaints = models.ManyToManyField(
        "complaints.Complaint",
        verbose_name=_("complaints"),
        blank=True,
        related_name="improvement_actions",
    )
    # The month of the report whose finding opened the action (first day of the month).
    report_month = models.DateField(_("report month"), null=True, blank=True)
    audit_item = models.ForeignKey(
        "improvement.AuditItem",
        verbose_name=_("audit finding"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )

    # What the effectiveness check counts: complaints of this root cause / category /
    # department (each optional; none set: every complaint).
    root_cause = models.CharField(_("root cause"), max_length=40, blank=True, db_index=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    scope_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department measured"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="improvement_actions",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="improvement_actions",
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    warn_at = models.DateTimeField(_("warning at"))
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    evidence = models.TextField(_("evidence"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    # The effectiveness check: N days after done, complaints in the N days after against the
    # N days before the action was opened (services.measure_effect).
    check_after_days = models.PositiveSmallIntegerField(_("check after (days)"))
    check_due_at = models.DateTimeField(_("effectiveness check due"), null=True, blank=True)
    check_notified_at = models.DateTimeField(null=True, blank=True)
    before_from = models.DateTimeField(null=True, blank=True)
    before_to = models.DateTimeField(null=True, blank=True)
    before_count = models.PositiveIntegerField(_("complaints before"), null=True, blank=True)
    after_from = models.DateTimeField(null=True, blank=True)
    after_to = models.DateTimeField(null=True, blank=True)
    after_count = models.PositiveIntegerField(_("complaints after"), null=True, blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    verdict_note = models.TextField(_("check note"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        indexes = [
            # The sweep's look-ups: live actions past their warning or due time.
            models.Index(
                fields=["warn_at"],
                name="capa_live_warn",
                condition=Q(status__in=["open", "in_progress"], warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="capa_live_due",
                condition=Q(status__in=["open", "in_progress"], escalated_at__isnull=True),
            ),
            models.Index(
                fields=["check_due_at"],
                name="capa_check_due",
                condition=Q(status="done", check_notified_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["done", "effective", "not_effective"])
                | (Q(done_at__isnull=False) & ~Q(evidence="")),
                name="capa_done_has_evidence",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["effective", "not_effective"])
                | Q(verdict_at__isnull=False),
                name="capa_verdict_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="capa_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(source="report") | Q(report_month__isnull=False),
                name="capa_report_has_month",
            ),
            models.CheckConstraint(
                condition=~Q(source="audit") | Q(audit_item__isnull=False),
                name="capa_audit_has_item",
            ),
            models.CheckConstraint(
                condition=~Q(source="root_cause") | ~Q(root_cause=""),
                name="capa_root_cause_has_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        """The number people quote: CA-00012."""
        return f"CA-{self.pk:05d}" if self.pk else "CA-?"

    @property
    def is_live(self) -> bool:
        return self.status in ActionStatus.live()

    def is_overdue(self, now: datetime) -> bool:
        return self.is_live and self.due_at <= now

    @property
    def measured(self) -> bool:
        return self.measured_at is not None

    @property
    def complaints_fell(self) -> bool | None:
        """Did complaints in scope fall after the action? None until measured."""
        if self.before_count is None or self.after_count is None:
            return None
        return self.after_count < self.before_count


class ActionEvent(models.Model):
    """One line of an action's history. Append-only: never updated, never deleted."""

    action = models.ForeignKey(ImprovementAction, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["action", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("action history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("action history is append-only")


def evidence_path(instance: ActionAttachment, filename: str) -> str:
    # Names on disk are ours, never the uploader's (as complaint attachments).
    return f"improvement/{instance.action_id}/{uuid.uuid4().hex}"


class ActionAttachment(models.Model):
    action = models.ForeignKey(
        ImprovementAction, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=evidence_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


# ---- quality audits -------------------------------------------------------------------------


class AuditStatus(models.TextChoices):
    DRAFT = "draft", _("Drawn")
    IN_PROGRESS = "in_progress", _("Being scored")
    COMPLETED = "completed", _("Completed")


# The checklist of seed 003 §八(一): field name → label, in the order shown.
CHECKLIST: tuple[tuple[str, object], ...] = (
    ("timely", _("Timely")),
    ("process_followed", _("Process followed")),
    ("solution_reasonable", _("Solution reasonable")),
    ("customer_satisfied", _("Customer satisfied")),
    ("records_complete", _("Records complete")),
)
CHECKLIST_FIELDS = tuple(name for name, _label in CHECKLIST)


class Audit(models.Model):
    """A random sample of one department's closed complaints of one month, scored by quality
    against the checklist. ``seed`` and ``candidate_ids`` make the draw reproducible: the sample
    is ``random.Random(seed).sample(candidate_ids, sample_size)``."""

    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="audits",
    )
    month = models.DateField(_("month"))  # first day of the month audited
    status = models.CharField(
        _("status"), max_length=12, choices=AuditStatus.choices, default=AuditStatus.DRAFT
    )
    requested_size = models.PositiveIntegerField(_("sample size asked"), null=True, blank=True)
    requested_percent = models.PositiveSmallIntegerField(
        _("sample share asked (%)"), null=True, blank=True
    )
    sample_size = models.PositiveIntegerField(_("sample size"))
    seed = models.BigIntegerField(_("random seed"))
    candidate_ids = models.JSONField(_("complaints drawn from"), default=list)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("drawn at"))
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "department", "-id"]
        verbose_name = _("quality audit")
        verbose_name_plural = _("quality audits")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="audit_completed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(requested_percent__isnull=True)
                | Q(requested_percent__gte=1, requested_percent__lte=100),
                name="audit_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.month:%Y-%m}"

    @property
    def code(self) -> str:
        return f"QA-{self.pk:05d}" if self.pk else "QA-?"


class AuditItem(models.Model):
    """One sampled complaint and its checklist: each point passes (True) or fails (False),
    None until scored, with a note per point; ``score`` = points passed / 5 × 100."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="items")
    # A complaint is audited once at most: later draws exclude it (seed 003 §八 抽查).
    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="audit_item",
    )
    timely = models.BooleanField(_("Timely"), null=True)
    process_followed = models.BooleanField(_("Process followed"), null=True)
    solution_reasonable = models.BooleanField(_("Solution reasonable"), null=True)
    customer_satisfied = models.BooleanField(_("Customer satisfied"), null=True)
    records_complete = models.BooleanField(_("Records complete"), null=True)
    notes = models.JSONField(_("notes per point"), default=dict, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["audit", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="audit_score_range"
            ),
            models.CheckConstraint(
                condition=Q(scored_at__isnull=True)
                | (
                    Q(timely__isnull=False)
                    & Q(process_followed__isnull=False)
                    & Q(solution_reasonable__isnull=False)
                    & Q(customer_satisfied__isnull=False)
                    & Q(records_complete__isnull=False)
                    & Q(score__isnull=False)
                ),
                name="audit_item_scored_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}: {self.complaint_id}"

    @property
    def scored(self) -> bool:
        return self.scored_at is not None

    def points(self) -> list[tuple[str, object, bool | None, str]]:
        """(field, label, passed, note) in checklist order."""
        return [
            (name, label, getattr(self, name), str(self.notes.get(name, "")))
            for name, label in CHECKLIST
        ]


class AuditEvent(models.Model):
    """The audit's history (drawn, scored, completed). Append-only."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["audit", "at", "id"]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("audit history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit history is append-only")
