"""Grading and linking (SPEC §5): level and category suggestions, repeats, batch alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q

from kesu.accounts.models import Role, User
from kesu.complaints.models import BatchAlert, Complaint, ComplaintLink, Customer, LinkKind
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc

# Customer records sharing one phone number considered for repeats (a shared switchboard
# number can belong to many; the most recent few are enough).
MAX_SAME_PHONE = 50


@dataclass
class Suggestion:
    level: str
    category: str = ""
    urgent: bool = False
    reasons: list[str] = field(default_factory=list)


def suggest(
    policy: PolicyDoc,
    *,
    text: str,
    claimed_amount: Decimal | None = None,
    key_customer: bool = False,
    repeat: bool = False,
) -> Suggestion:
    """The most severe level any rule gives; the first category a keyword names."""
    s = Suggestion(level=policy.default_level)

    def raise_to(level: str, reason: str) -> None:
        stronger = policy.more_severe(s.level, level)
        if stronger != s.level:
            s.level = stronger
        s.reasons.append(reason)

    for rule in policy.keyword_rules:
        hits = [kw for kw in rule.keywords if kw and kw in text]
        if not hits:
            continue
        why = rule.reason or "keyword"
        if rule.level:
            raise_to(rule.level, f"{why}: {'、'.join(hits)} → {rule.level}")
        if rule.category and not s.category:
            s.category = rule.category
            s.reasons.append(f"{'、'.join(hits)} → {rule.category}")
        if rule.urgent and not s.urgent:
            s.urgent = True
            s.reasons.append(f"{why}: {'、'.join(hits)} → urgent")
    if claimed_amount is not None:
        for amount_rule in sorted(policy.amount_rules, key=lambda r: r.min_amount):
            if claimed_amount >= amount_rule.min_amount:
                raise_to(amount_rule.level, f"claimed {claimed_amount} ≥ {amount_rule.min_amount}")
    if key_customer and policy.key_customer_level:
        raise_to(policy.key_customer_level, "key customer")
    if repeat and policy.repeat.raise_level_to:
        raise_to(policy.repeat.raise_level_to, "repeat complaint")
    return s


def find_repeat_targets(
    policy: PolicyDoc,
    *,
    customer_id: int | None,
    phone: str,
    category: str,
    order_no: str,
    waybill_no: str,
    received_at: datetime,
    exclude_pk: int | None = None,
) -> list[Complaint]:
    """Earlier complaints this one repeats: same customer and category, or same order or
    waybill, within the policy's window (SPEC §5)."""
    since = received_at - timedelta(days=policy.repeat.window_days)
    same = Q()
    if category:
        customers = {customer_id} if customer_id else set()
        if phone:
            # The phone's customers first (phone index), then plain column conditions the
            # database can OR over its indexes; a condition across the customer join made it
            # read every customer (bench/README.md, intake).
            customers.update(
                Customer.objects.filter(phone=phone)
                .order_by("-pk")
                .values_list("pk", flat=True)[:MAX_SAME_PHONE]
            )
        if customers:
            same |= Q(customer_id__in=sorted(customers), category=category)
    if order_no:
        same |= Q(order_no=order_no)
    if waybill_no:
        same |= Q(waybill_no=waybill_no)
    if not same:
        return []
    qs = (
        Complaint.objects.filter(same, received_at__gte=since, received_at__lte=received_at)
        .exclude(state__in=[State.REJECTED, State.MERGED])
        .order_by("-received_at")
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs[:20])


def link_repeats(complaint: Complaint, targets: list[Complaint], *, at: datetime) -> None:
    ComplaintLink.objects.bulk_create(
        [
            ComplaintLink(source=complaint, target=t, kind=LinkKind.REPEAT, created_at=at)
            for t in targets
        ],
        ignore_conflicts=True,
    )


def check_batch(complaint: Complaint, policy: PolicyDoc, *, at: datetime) -> BatchAlert | None:
    """Raise (or extend) the batch alert when enough complaints name this batch in the window.
    Returns the alert when it is new or raised again by a new wave, so the caller notifies
    quality once per wave."""
    if not (policy.batch_alert.enabled and complaint.batch_no):
        return None
    since = complaint.received_at - timedelta(days=policy.batch_alert.window_days)
    same_batch = list(
        Complaint.objects.filter(batch_no=complaint.batch_no, received_at__gte=since)
        .exclude(state__in=[State.REJECTED, State.MERGED])
        .values_list("pk", flat=True)
    )
    if len(same_batch) < policy.batch_alert.threshold:
        return None
    alert = BatchAlert.objects.filter(batch_no=complaint.batch_no, status="open").first()
    created = alert is None
    if created:
        alert = BatchAlert.objects.create(
            batch_no=complaint.batch_no, product=complaint.product, raised_at=at
        )
    elif alert.raised_at < since:
        # Still open from an earlier wave that quality has not concluded: a new wave raises
        # it again (and quality is told again) rather than joining it silently.
        alert.raised_at = at
        alert.save(update_fields=["raised_at"])
        created = True
    alert.complaints.add(*same_batch)
    others = [pk for pk in same_batch if pk != complaint.pk]
    ComplaintLink.objects.bulk_create(
        [
            ComplaintLink(source=complaint, target_id=pk, kind=LinkKind.SAME_BATCH, created_at=at)
            for pk in others
        ],
        ignore_conflicts=True,
    )
    return alert if created else None


def quality_staff() -> list[User]:
    return list(User.objects.filter(role=Role.QUALITY, is_active=True))
