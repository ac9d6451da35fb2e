"""The policy document: the written complaint procedure as validated data (SPEC §9).

A policy file is YAML; :func:`kesu.policy.loader.parse_policy` turns it into a
:class:`PolicyDoc` or raises :class:`PolicyError` listing every problem with its path.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Clock = Literal["24x7", "business"]
# What starts a milestone's clock. ``dispatched`` milestones start again in every reopened
# handling round (the reopen is that round's dispatch); ``received`` ones run once.
StartEvent = Literal["received", "dispatched", "resolved"]
MilestoneKind = str  # ack, dispatch, contact, solution, callback, or a channel rule's own kind

CHANNELS = (
    "hotline",
    "web",
    "email",
    "app",
    "chat",
    "sms",
    "social",
    "letter",
    "onsite",
    "platform_12315",
    "platform_other",
    "group_chat",
)
ROLES_THAT_APPROVE = ("handler", "manager", "executive")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|wd)\s*$")


def parse_duration(text: str, *, minutes_per_working_day: int) -> int:
    """'30m', '2h', '1d' (24 h), '1wd' (one working day) → minutes."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"bad duration {text!r}: use a number with m, h, d or wd (e.g. 2h, 1wd)")
    value, unit = Decimal(match.group(1)), match.group(2)
    factor = {"m": 1, "h": 60, "d": 1440, "wd": minutes_per_working_day}[unit]
    return int(value * factor)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Named(Strict):
    code: str = Field(pattern=r"^[a-z0-9_\-]+$|^[A-Z0-9]+$", max_length=40)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = ""


class Level(Named):
    description: str = ""
    rank: int = Field(ge=1, description="1 is the most severe")


class Department(Named):
    customer_service: bool = False


class Category(Named):
    department: str
    business_stage: str = ""


class MilestoneRule(Strict):
    kind: MilestoneKind = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    name_en: str = ""
    start: StartEvent
    clock: Clock = "business"
    pausable: bool = False
    # Per level code: a duration such as 2h / 1wd. A level left out has no such milestone.
    durations: dict[str, str]
    # Urgent complaints may have a tighter duration than their level (seed 000: 'immediately').
    urgent: str | None = None


class ApprovalTier(Strict):
    role: Literal["handler", "manager", "executive"]
    max_amount: Decimal | None = Field(default=None, ge=0, description="None: no limit")


class KeywordRule(Strict):
    keywords: list[str] = Field(min_length=1)
    level: str | None = None
    category: str | None = None
    urgent: bool = False
    reason: str = ""


class AmountRule(Strict):
    min_amount: Decimal = Field(ge=0)
    level: str


class ChannelRule(Strict):
    """A channel that brings its own deadline, e.g. 12315: outcome within 10 working days."""

    channel: str
    kind: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    name_en: str = ""
    duration: str
    clock: Clock = "business"
    requires_case_number: bool = True


class WorkingHours(Strict):
    periods: list[tuple[str, str]] = Field(
        default_factory=lambda: [("09:00", "12:00"), ("13:00", "18:00")]
    )
    extra_days_off: list[str] = Field(default_factory=list, description="ISO dates")
    extra_working_days: list[str] = Field(default_factory=list, description="ISO dates")

    @field_validator("periods")
    @classmethod
    def _periods_ordered(cls, periods: list[tuple[str, str]]) -> list[tuple[str, str]]:
        hhmm = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
        last = "00:00"
        for start, end in periods:
            if not (hhmm.match(start) and hhmm.match(end)):
                raise ValueError(f"working period {start}-{end}: times must be HH:MM")
            if not (last <= start < end):
                raise ValueError(f"working periods must be ordered and not overlap ({start})")
            last = end
        if not periods:
            raise ValueError("at least one working period is needed")
        return periods

    @field_validator("extra_days_off", "extra_working_days", mode="before")
    @classmethod
    def _iso_dates(cls, days: object) -> object:
        # YAML reads an unquoted 2026-02-14 as a date: keep it as its ISO text. A typo fails
        # here, at load time, rather than in every deadline computed later.
        if not isinstance(days, list):
            return days
        checked = []
        for day in days:
            text = day.isoformat() if isinstance(day, date) else str(day)
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{day!r} is not an ISO date (YYYY-MM-DD)") from None
            checked.append(text)
        return checked

    @model_validator(mode="after")
    def _days_valid(self) -> WorkingHours:
        from datetime import date

        for label, values in (
            ("extra_days_off", self.extra_days_off),
            ("extra_working_days", self.extra_working_days),
        ):
            for value in values:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise ValueError(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None
        both = sorted(set(self.extra_days_off) & set(self.extra_working_days))
        if both:
            raise ValueError(f"dates both off and working: {', '.join(both)}")
        return self

    @property
    def minutes_per_day(self) -> int:
        def minutes(hhmm: str) -> int:
            h, m = hhmm.split(":")
            return int(h) * 60 + int(m)

        return sum(minutes(end) - minutes(start) for start, end in self.periods)


class Escalation(Strict):
    warn_ratio: float = Field(default=0.8, gt=0, lt=1)
    executive_levels: list[str] = Field(default_factory=list)
    executive_after_breaches: int = Field(default=2, ge=1)


CallbackRole = Literal["agent", "handler", "manager", "quality"]


class Callback(Strict):
    max_attempts: int = Field(default=3, ge=1, le=20)
    # Who records callbacks: customer service by default (seed 001: 客户(市场)服务部回访);
    # a procedure where the first responder follows up (seed 004) adds the department.
    by_roles: list[CallbackRole] = Field(default_factory=lambda: ["agent"], min_length=1)
    by_other_than_handler: bool = True
    satisfied_min_rating: int = Field(default=4, ge=1, le=5)


class Repeat(Strict):
    window_days: int = Field(default=30, ge=1)
    raise_level_to: str | None = None


class BatchAlert(Strict):
    enabled: bool = False
    window_days: int = Field(default=7, ge=1)
    # 1: every complaint naming a batch alerts quality (seed 004: 对同类食品进行检查).
    threshold: int = Field(default=2, ge=1)


# Customer messages a policy may switch off; staff messages (assignment, warnings, breaches,
# approvals, batch alerts) are part of the procedure's escalation and always go out.
CUSTOMER_EVENTS = (
    "complaint.received",
    "complaint.progress",
    "info.requested",
    "solution.communicated",
    "callback.survey",
    "complaint.closed",
    "complaint.rejected",
    "complaint.merged",
)
CustomerChannel = Literal["email", "sms"]


class Notifications(Strict):
    # Delivery attempts per message before it is dead-lettered for an administrator to resend.
    max_attempts: int = Field(default=5, ge=1, le=20)
    customer_channels: list[CustomerChannel] = Field(default_factory=lambda: ["email", "sms"])
    customer_events: list[str] = Field(default_factory=lambda: list(CUSTOMER_EVENTS))
    # Staff always get the in-app notification; this adds a copy by email where they have one.
    staff_email: bool = True

    @field_validator("customer_events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = sorted(set(events) - set(CUSTOMER_EVENTS))
        if unknown:
            raise ValueError(
                f"unknown customer events {', '.join(unknown)}; known: {', '.join(CUSTOMER_EVENTS)}"
            )
        return events


class Improvement(Strict):
    # Days after an improvement action is done before its effectiveness is checked: complaints
    # of its root cause in this many days after, against as many days before (docs/improvement.md).
    check_after_days: int = Field(default=30, ge=1, le=366)


class Targets(Strict):
    satisfaction: float = Field(default=0.9, ge=0, le=1)
    first_reply_hours: float | None = None
    solution_hours: float | None = None
    complaint_rate: float | None = Field(default=None, ge=0, le=1)
    timeliness: float | None = Field(default=None, ge=0, le=1)
    repeat_rate: float | None = Field(default=None, ge=0, le=1)


class PolicyDoc(Strict):
    name: str = Field(pattern=r"^[a-z0-9\-]+$")
    title: str
    title_en: str = ""
    source: str = ""
    number_prefix: str = Field(default="KS", pattern=r"^[A-Z]{1,6}$")
    levels: list[Level] = Field(min_length=1)
    default_level: str
    departments: list[Department] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    channels: list[str] = Field(default_factory=lambda: list(CHANNELS))
    # Channels where the customer is on the line at intake: recording it is the acknowledgment.
    live_channels: list[str] = Field(
        default_factory=lambda: ["hotline", "chat", "onsite", "group_chat"]
    )
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    milestones: list[MilestoneRule] = Field(min_length=1)
    channel_rules: list[ChannelRule] = Field(default_factory=list)
    approval_tiers: list[ApprovalTier] = Field(min_length=1)
    # Any solution of these levels needs at least this role's approval, whatever the amount.
    approval_by_level: dict[str, Literal["manager", "executive"]] = Field(default_factory=dict)
    keyword_rules: list[KeywordRule] = Field(default_factory=list)
    amount_rules: list[AmountRule] = Field(default_factory=list)
    key_customer_level: str | None = None
    route_to_account_owner: bool = False
    review_step: bool = True
    reopen_window_days: int = Field(default=15, ge=0)
    repeat: Repeat = Field(default_factory=Repeat)
    callback: Callback = Field(default_factory=Callback)
    escalation: Escalation = Field(default_factory=Escalation)
    batch_alert: BatchAlert = Field(default_factory=BatchAlert)
    notifications: Notifications = Field(default_factory=Notifications)
    targets: Targets = Field(default_factory=Targets)
    improvement: Improvement = Field(default_factory=Improvement)
    rejection_recourse: str = "您可向全国12315平台或当地消费者协会反映。"
    root_causes: list[Named] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> PolicyDoc:
        problems: list[str] = []
        levels = [lv.code for lv in self.levels]
        departments = [d.code for d in self.departments]
        categories = [c.code for c in self.categories]
        for label, codes in (
            ("level", levels),
            ("department", departments),
            ("category", categories),
            ("milestone", [m.kind for m in self.milestones]),
            ("root cause", [r.code for r in self.root_causes]),
        ):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                problems.append(f"duplicate {label} codes: {', '.join(dupes)}")
        if self.default_level not in levels:
            problems.append(f"default_level {self.default_level!r} is not a level")
        for cat in self.categories:
            if cat.department not in departments:
                problems.append(f"category {cat.code}: unknown department {cat.department!r}")
        if not any(d.customer_service for d in self.departments):
            problems.append("one department must be marked customer_service: true")
        minutes_per_day = self.working_hours.minutes_per_day
        for rule in self.milestones:
            for level, text in rule.durations.items():
                if level not in levels:
                    problems.append(f"milestone {rule.kind}: unknown level {level!r}")
                try:
                    parse_duration(text, minutes_per_working_day=minutes_per_day)
                except ValueError as exc:
                    problems.append(f"milestone {rule.kind} level {level}: {exc}")
            if rule.urgent is not None:
                try:
                    parse_duration(rule.urgent, minutes_per_working_day=minutes_per_day)
                except ValueError as exc:
                    problems.append(f"milestone {rule.kind} urgent: {exc}")
        kinds = {m.kind for m in self.milestones}
        for needed in ("dispatch", "solution", "callback"):
            if needed not in kinds:
                problems.append(f"milestone {needed!r} is required")
        for ch in self.channels:
            if ch not in CHANNELS:
                problems.append(f"unknown channel {ch!r} (known: {', '.join(CHANNELS)})")
        for ch in self.live_channels:
            if ch not in self.channels:
                problems.append(f"live channel {ch!r} is not in channels")
        for cr in self.channel_rules:
            if cr.channel not in self.channels:
                problems.append(f"channel rule {cr.kind}: channel {cr.channel!r} not in channels")
            if cr.kind in kinds:
                problems.append(f"channel rule {cr.kind}: kind clashes with a milestone")
            try:
                parse_duration(cr.duration, minutes_per_working_day=minutes_per_day)
            except ValueError as exc:
                problems.append(f"channel rule {cr.kind}: {exc}")
        last: Decimal | None = Decimal(-1)
        for tier in self.approval_tiers:
            if last is None:
                problems.append("approval tiers: only the last tier may have no max_amount")
            elif tier.max_amount is not None and tier.max_amount <= last:
                problems.append("approval tiers must rise in max_amount")
            last = tier.max_amount
        if self.approval_tiers[-1].max_amount is not None:
            problems.append("the last approval tier must have no max_amount (unlimited)")
        for level in self.approval_by_level:
            if level not in levels:
                problems.append(f"approval_by_level: unknown level {level!r}")
        for i, kw in enumerate(self.keyword_rules):
            if kw.level and kw.level not in levels:
                problems.append(f"keyword_rules[{i}]: unknown level {kw.level!r}")
            if kw.category and kw.category not in categories:
                problems.append(f"keyword_rules[{i}]: unknown category {kw.category!r}")
        for i, ar in enumerate(self.amount_rules):
            if ar.level not in levels:
                problems.append(f"amount_rules[{i}]: unknown level {ar.level!r}")
        for label, value in (
            ("key_customer_level", self.key_customer_level),
            ("repeat.raise_level_to", self.repeat.raise_level_to),
        ):
            if value is not None and value not in levels:
                problems.append(f"{label}: unknown level {value!r}")
        for level in self.escalation.executive_levels:
            if level not in levels:
                problems.append(f"escalation.executive_levels: unknown level {level!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- look-ups used by the services -------------------------------------------------

    def level(self, code: str) -> Level:
        return next(lv for lv in self.levels if lv.code == code)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def milestone_minutes(self, rule: MilestoneRule, level: str, *, urgent: bool) -> int | None:
        per_day = self.working_hours.minutes_per_day
        text = rule.durations.get(level)
        if text is None:
            return None
        minutes = parse_duration(text, minutes_per_working_day=per_day)
        if urgent and rule.urgent is not None:
            minutes = min(minutes, parse_duration(rule.urgent, minutes_per_working_day=per_day))
        return minutes

    def channel_rule_minutes(self, rule: ChannelRule) -> int:
        return parse_duration(
            rule.duration, minutes_per_working_day=self.working_hours.minutes_per_day
        )

    def more_severe(self, a: str, b: str) -> str:
        """The more severe of two level codes (lower rank)."""
        return a if self.level(a).rank <= self.level(b).rank else b

    def required_approval_role(self, amount: Decimal, level: str) -> str:
        """The least role whose tier covers ``amount`` (and the level's own floor)."""
        order = list(ROLES_THAT_APPROVE)
        needed = next(
            t.role for t in self.approval_tiers if t.max_amount is None or amount <= t.max_amount
        )
        floor = self.approval_by_level.get(level)
        if floor and order.index(floor) > order.index(needed):
            needed = floor
        return needed

    def approval_limit(self, role: str) -> Decimal | None:
        """Largest amount ``role`` may approve alone; None means unlimited; -1 means none."""
        for tier in self.approval_tiers:
            if tier.role == role:
                return tier.max_amount
        return Decimal(-1)
