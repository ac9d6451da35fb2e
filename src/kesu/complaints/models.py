"""The complaint record (投诉记录单) and everything that hangs off it (SPEC §2–§6).

Nothing here changes state on its own: every write goes through ``kesu.complaints.services``.
Models hold fields, constraints and read-only predicates.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kesu.complaints.states import State

# In the queue indexes' conditions, in the order the queues ask for them.
OPEN_STATE_VALUES = sorted(State.open_states())


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Web portal")
    EMAIL = "email", _("Email")
    APP = "app", _("Mobile app")
    CHAT = "chat", _("Online chat")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social media")
    LETTER = "letter", _("Letter")
    ONSITE = "onsite", _("On site / branch / exhibition")
    PLATFORM_12315 = "platform_12315", _("12315 platform")
    PLATFORM_OTHER = "platform_other", _("Other third-party platform")
    GROUP_CHAT = "group_chat", _("Customer group chat")


class CustomerAccount(models.Model):
    """A business customer (客户单位) with its account owner: 'whose customer, whose
    responsibility' (seed 004)."""

    code = models.CharField(_("account code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    is_key = models.BooleanField(_("key customer"), default=False)

    class Meta:
        verbose_name = _("customer account")
        verbose_name_plural = _("customer accounts")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    # The language of the messages the customer receives (acknowledgment, survey ...).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    account = models.ForeignKey(
        CustomerAccount,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    # A portal login, when the customer has one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_profile",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the person's identity was erased on their request (services.customer_data):
    # name, company and contacts are gone, the complaints stay as anonymous records.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # A way to reach the customer, unless their contacts were erased on request.
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email="") | Q(erased_at__isnull=False),
                name="customer_has_contact",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class CustomerDataLog(models.Model):
    """One export or erasure of a customer's personal data, done on their request (PIPL /
    GDPR): who, when, through what and why — never the data itself."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")

    class Via(models.TextChoices):
        CONSOLE = "console", _("Console")
        API = "api", _("API")
        COMMAND = "command", _("Command line")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="data_log"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    via = models.CharField(_("through"), max_length=10, choices=Via.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("reason"), blank=True)
    # What was exported or removed, as counts (never values).
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("customer data request")
        verbose_name_plural = _("customer data requests")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def new_portal_token() -> str:
    return secrets.token_urlsafe(24)


class Complaint(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    policy = models.ForeignKey(
        "policy.Policy", verbose_name=_("policy version"), on_delete=models.PROTECT
    )
    state = models.CharField(
        _("state"), max_length=24, choices=State.choices, default=State.RECEIVED
    )
    # Optimistic lock: every change bumps it; a stale writer is told someone else changed it.
    version = models.PositiveIntegerField(default=1)

    # The customer, department and handler columns are the first columns of cmp_cust_cat_recv,
    # cmp_dept_state_due and cmp_handler_state_due, which serve every look-up by them: no index
    # of their own (each index is one more write on every change of a complaint).
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    platform_case_no = models.CharField(_("platform case number"), max_length=60, blank=True)
    # The number a complaint had in the ledger it was imported from (services.importing).
    external_ref = models.CharField(_("original number"), max_length=60, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    category = models.CharField(_("category"), max_length=40)
    level = models.CharField(_("level"), max_length=10)
    urgent = models.BooleanField(_("urgent"), default=False)
    suggested_level = models.CharField(_("suggested level"), max_length=10, blank=True)
    suggested_category = models.CharField(_("suggested category"), max_length=40, blank=True)
    suggested_urgent = models.BooleanField(_("suggested urgent"), default=False)
    suggestion_reasons = models.JSONField(_("suggestion reasons"), default=list, blank=True)

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    demand = models.TextField(_("customer's demand"), blank=True)
    claimed_amount = models.DecimalField(
        _("claimed amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    order_no = models.CharField(_("order no."), max_length=60, blank=True)
    waybill_no = models.CharField(_("waybill no."), max_length=60, blank=True)
    contract_no = models.CharField(_("contract no."), max_length=60, blank=True)
    goods = models.CharField(_("goods"), max_length=200, blank=True)
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    destination = models.CharField(_("destination"), max_length=100, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    batch_no = models.CharField(_("batch no."), max_length=60, blank=True)
    incident_at = models.DateTimeField(_("incident time"), null=True, blank=True)
    incident_place = models.CharField(_("incident place"), max_length=200, blank=True)

    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_complaints",
        db_index=False,
    )
    findings = models.TextField(_("investigation findings"), blank=True)
    root_cause = models.CharField(_("root cause"), max_length=40, blank=True)
    root_cause_text = models.TextField(_("root cause details"), blank=True)

    round_no = models.PositiveSmallIntegerField(_("handling round"), default=1)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    breach_count = models.PositiveSmallIntegerField(_("deadline breaches"), default=0)
    # The earliest open, unpaused milestone due: what queues sort by.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True, db_index=True)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_complaints",
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    rejection_recourse = models.TextField(_("recourse"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("closed because"), max_length=20, blank=True)
    # Measured once, when it happens, in business seconds of the policy's calendar (waits for
    # the customer left out), so medians and percentiles are database aggregates
    # (services.durations, docs/analysis.md). First response: the customer first told the
    # complaint is in hand. Resolution: a solution first communicated to the customer.
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(
        _("first response time (business seconds)"), null=True, blank=True
    )
    resolution_at = models.DateTimeField(_("solution communicated at"), null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(
        _("resolution time (business seconds)"), null=True, blank=True
    )

    # The customer's private link (/portal/c/<token>/): 192 random bits, found through the
    # unique index. It ends some time after the case is finished (services.portal_links:
    # null while the case is open, set when it closes, cleared when it is reopened), and staff
    # may replace it, which ends the old one at once.
    portal_token = models.CharField(max_length=64, unique=True, default=new_portal_token)
    portal_link_expires_at = models.DateTimeField(
        _("private link expires at"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["department", "state", "next_due_at"], name="cmp_dept_state_due"),
            models.Index(fields=["handler", "state", "next_due_at"], name="cmp_handler_state_due"),
            models.Index(fields=["customer", "category", "received_at"], name="cmp_cust_cat_recv"),
            # Equality look-ups only (repeat detection, batch alerts, filters): plain indexes,
            # without the varchar_pattern_ops twin db_index=True adds on PostgreSQL for
            # LIKE 'prefix%', which nothing asks (searches use the trigram indexes).
            models.Index(fields=["state"], name="cmp_state"),
            models.Index(fields=["category"], name="cmp_category"),
            models.Index(fields=["level"], name="cmp_level"),
            models.Index(fields=["order_no"], name="cmp_order_no"),
            models.Index(fields=["waybill_no"], name="cmp_waybill_no"),
            models.Index(fields=["batch_no"], name="cmp_batch_no"),
            # The staff queues (complaints.queues): open complaints in deadline order
            # (next_due_at, received_at, id), read in index order and stopped after a page
            # instead of sorting the whole queue; small, as only open complaints are in them.
            models.Index(
                fields=["department", "next_due_at", "received_at", "id"],
                condition=Q(state__in=OPEN_STATE_VALUES),
                name="cmp_open_dept_queue",
            ),
            models.Index(
                fields=["handler", "next_due_at", "received_at", "id"],
                condition=Q(state__in=OPEN_STATE_VALUES),
                name="cmp_open_handler_queue",
            ),
            models.Index(
                fields=["next_due_at", "received_at", "id"],
                condition=Q(state__in=OPEN_STATE_VALUES),
                name="cmp_open_queue",
            ),
            # Imports look up original numbers row by row; most complaints have none.
            models.Index(
                fields=["external_ref"], condition=~Q(external_ref=""), name="cmp_external_ref"
            ),
            # The analysis reads periods of these instants (kesu.analysis); closed_at has its
            # index from migration 0002.
            models.Index(fields=["first_response_at"], name="cmp_first_response_at"),
            models.Index(fields=["resolution_at"], name="cmp_resolution_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_amount__isnull=True) | Q(claimed_amount__gte=0),
                name="complaint_claimed_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(merged_into__isnull=False),
                name="complaint_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="complaint_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in State.terminal()


class HandlingRound(models.Model):
    """One pass of handling. A reopen (二次处理) starts a new round with its own milestones,
    callback and survey; earlier rounds keep their results."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    process_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfied = models.BooleanField(null=True)

    class Meta:
        ordering = ["complaint", "number"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "number"], name="round_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.number}"


class MilestoneStatus(models.TextChoices):
    OPEN = "open", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    CANCELLED = "cancelled", _("Cancelled")


class Milestone(models.Model):
    """A deadline. ``due_at`` = clock.add(started_at, duration + extension + paused), kept
    stored and indexed so queues and the sweep never compute it row by row."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="milestones")
    round = models.ForeignKey(HandlingRound, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=30)
    name = models.CharField(max_length=100)
    clock = models.CharField(max_length=10)
    pausable = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN
    )
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    extension_seconds = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    original_due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["complaint", "round", "started_at", "id"]
        indexes = [
            # The sweep's two look-ups: open milestones past their warn or due time.
            models.Index(
                fields=["due_at"],
                name="ms_open_due",
                condition=Q(status="open", breached_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="ms_open_warn",
                condition=Q(status="open", warned_at__isnull=True),
            ),
            # Timeliness counts the deadlines due in a period, whatever their status.
            models.Index(fields=["due_at"], name="ms_due"),
            # The report's "breached in the period": about one deadline in eight is ever
            # breached, so the index holds only those.
            models.Index(
                fields=["breached_at"],
                name="ms_breached_at",
                condition=Q(breached_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["round", "kind"], name="milestone_unique_per_round"),
            models.CheckConstraint(
                condition=~Q(status="met") | Q(met_at__isnull=False), name="milestone_met_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="paused") | Q(paused_at__isnull=False),
                name="milestone_paused_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at}"

    @property
    def met_on_time(self) -> bool | None:
        if self.met_at is None:
            return None
        return self.due_at is not None and self.met_at <= self.due_at

    @property
    def is_extended(self) -> bool:
        return self.extension_seconds > 0


class EventKind(models.TextChoices):
    CREATED = "created", _("Recorded")
    TRANSITION = "transition", _("State changed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    NOTE = "note", _("Note")
    COMMUNICATION = "communication", _("Communication")
    ATTACHMENT = "attachment", _("Attachment")
    ASSIGNMENT = "assignment", _("Assignment")
    LEVEL_CHANGED = "level_changed", _("Level changed")
    CUSTOMER_INFO = "customer_info", _("Customer added information")
    SOLUTION = "solution", _("Solution")
    APPROVAL = "approval", _("Approval")
    TASK = "task", _("Task")
    MEETING = "meeting", _("Meeting")
    CALLBACK = "callback", _("Callback")
    EXTENSION = "extension", _("Deadline extension")
    MILESTONE_WARNING = "milestone_warning", _("Deadline near")
    MILESTONE_BREACHED = "milestone_breached", _("Deadline breached")
    LINKED = "linked", _("Linked")
    BATCH_ALERT = "batch_alert", _("Batch alert")
    ROOT_CAUSE = "root_cause", _("Root cause")
    PORTAL_LINK = "portal_link", _("Private link replaced")


class Event(models.Model):
    """One line of the timeline. Append-only: the application never updates or deletes it."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    round_no = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    action = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True)
    visible_to_customer = models.BooleanField(default=False)
    # The seal (kesu.complaints.audit): place on the complaint's timeline, from 1, and the
    # SHA-256 over this event's content and the previous event's hash.
    seq = models.PositiveIntegerField(editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["complaint", "at", "id"]
        indexes = [models.Index(fields=["complaint", "id"], name="event_complaint_id")]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "seq"], name="event_one_per_place")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("timeline events are append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    # Names on disk are ours, never the uploader's: no traversal, no collisions.
    return f"complaints/{instance.complaint_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    visible_to_customer = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class CommunicationDirection(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("To the customer")


class Communication(models.Model):
    """Every contact with the customer: channel, direction, summary (SPEC §6)."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="communications"
    )
    round_no = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=20)
    direction = models.CharField(max_length=3, choices=CommunicationDirection.choices)
    summary = models.TextField()
    template = models.CharField(max_length=60, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["complaint", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.channel}: {self.summary[:40]}"


class SolutionStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Refused")
    SUPERSEDED = "superseded", _("Superseded")


class Solution(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="solutions")
    round_no = models.PositiveSmallIntegerField()
    summary = models.TextField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    required_role = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=SolutionStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["complaint", "proposed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="solution_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.summary[:40]} ({self.amount})"


class SolutionAction(models.Model):
    class Kind(models.TextChoices):
        APOLOGY = "apology", _("Apology")
        EXPLANATION = "explanation", _("Explanation")
        GOODS_SEARCH = "goods_search", _("Goods search")
        REPAIR = "repair", _("Repair")
        COMPENSATION = "compensation", _("Compensation")
        FREIGHT_REDUCTION = "freight_reduction", _("Freight reduction")
        DISCOUNT = "discount", _("Discount")
        PRIORITY_PRODUCTION = "priority_production", _("Priority production")
        RESHIPMENT = "reshipment", _("Urgent re-shipment")
        REPLACEMENT = "replacement", _("Replacement")
        REFUND = "refund", _("Refund")
        CONTACT_CHANGE = "contact_change", _("Change of contact person")
        SERVICE_IMPROVEMENT = "service_improvement", _("Service improvement")
        OTHER = "other", _("Other")

    solution = models.ForeignKey(Solution, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["solution", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="action_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description[:40]}"


class Task(models.Model):
    """Work another department does for the complaint (e.g. finance pays the compensation)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="tasks")
    round_no = models.PositiveSmallIntegerField()
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    required = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    result = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["complaint", "id"]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """A cross-department meeting on a major or complex case (seed 003 §五(三))."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="meetings")
    held_at = models.DateTimeField()
    participants = models.TextField()
    decision = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.held_at:%Y-%m-%d} {self.decision[:40]}"


class Callback(models.Model):
    """A callback attempt (回访). Reached or not; when reached, the customer's two ratings."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="callbacks")
    round = models.ForeignKey(HandlingRound, on_delete=models.PROTECT, related_name="callbacks")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    method = models.CharField(max_length=20)
    reached = models.BooleanField()
    outcome_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    process_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    accepted = models.BooleanField(null=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["complaint", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=False)
                | (
                    Q(outcome_rating__gte=1, outcome_rating__lte=5)
                    & Q(process_rating__gte=1, process_rating__lte=5)
                    & Q(accepted__isnull=False)
                ),
                name="callback_reached_has_ratings",
            )
        ]

    def __str__(self) -> str:
        return f"callback {self.at:%Y-%m-%d %H:%M} reached={self.reached}"


class DeadlineExtension(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(status="requested"),
                name="one_open_extension_per_milestone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} +{self.seconds // 3600}h {self.status}"


class LinkKind(models.TextChoices):
    REPEAT = "repeat", _("Repeat of")
    SAME_BATCH = "same_batch", _("Same batch as")
    MERGED = "merged", _("Merged into")
    FOLLOW_UP = "follow_up", _("Follow-up of")


class ComplaintLink(models.Model):
    """A directed link: ``source`` is a repeat of / merged into / follows ``target``."""

    source = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class BatchAlert(models.Model):
    """Complaints naming the same product batch within the window: quality inspects the batch
    (seed 004 同类食品进行检查); emergency measures are recorded with owners (seed 003 §五(一))."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    batch_no = models.CharField(max_length=60, db_index=True)
    product = models.CharField(max_length=200, blank=True)
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    complaints = models.ManyToManyField(Complaint, related_name="batch_alerts")
    conclusion = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch_no"], condition=Q(status="open"), name="one_open_alert_per_batch"
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_no}"


class EmergencyMeasure(models.Model):
    class Kind(models.TextChoices):
        SUSPEND = "suspend", _("Suspend")
        RECALL = "recall", _("Recall")
        REPLACE = "replace", _("Replace")
        INSPECT = "inspect", _("Inspect")

    alert = models.ForeignKey(BatchAlert, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description[:40]}"


class DailySequence(models.Model):
    """Counter behind the human-friendly numbers KS-YYYYMMDD-NNNN."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class IdempotencyKey(models.Model):
    """A creation request's key: a retried request gets the first answer, never a second
    complaint (SPEC §8)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.key
