"""Quality audits (seed 003 §八(一) 内部监督机制; SPEC §7 quality supervision): the only code
that writes them.

Quality draws a random sample of one department's complaints closed in one month, scores each
against the checklist (timely, process followed, solution reasonable, customer satisfied,
records complete: pass or fail, with a note per point) and completes the audit. States: draft
(drawn) → in_progress (first item scored) → completed (every item scored).

The draw is reproducible and auditable: the candidates (closed in the month, in the
department, never audited before) are stored in id order with the seed, and the sample is
``random.Random(seed).sample(candidate_ids, n)``; anyone can re-run it.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, User
from kesu.complaints.errors import GuardFailed, InvalidInput
from kesu.complaints.models import Complaint
from kesu.complaints.states import State
from kesu.improvement import access
from kesu.improvement.models import (
    CHECKLIST_FIELDS,
    Audit,
    AuditEvent,
    AuditItem,
    AuditStatus,
)
from kesu.improvement.periods import month_bounds

MAX_SAMPLE = 500


def draw_sample(candidate_ids: list[int], size: int, seed: int) -> list[int]:
    """The sample: the same candidates, size and seed always give the same complaints."""
    return random.Random(seed).sample(sorted(candidate_ids), min(size, len(candidate_ids)))


def audit_candidates(department: Department, month: date) -> list[int]:
    """Ids of the department's complaints closed in ``month`` that were never audited."""
    start, end = month_bounds(month)
    return list(
        Complaint.objects.filter(
            state=State.CLOSED,
            department=department,
            closed_at__gte=start,
            closed_at__lt=end,
            audit_item__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _event(audit: Audit, kind: str, actor: User | None, at: datetime, **data: Any) -> None:
    AuditEvent.objects.create(audit=audit, kind=kind, actor=actor, at=at, data=data)


def audit_draw(
    *,
    actor: User,
    department: Department | None,
    month: date | None,
    size: int | None = None,
    percent: int | None = None,
    seed: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Audit:
    """Draw the sample: ``size`` complaints, or ``percent`` % of the candidates (rounded up),
    at most as many as there are. ``seed`` None: a fresh random one, stored."""
    now = now or timezone.now()
    access.require_audit(actor)
    errors: dict[str, str] = {}
    if department is None:
        errors["department"] = _("Unknown department.")
    if month is None:
        errors["month"] = _("This field is required.")
    if (size is None) == (percent is None):
        errors["size"] = _("Give either a sample size or a percentage.")
    elif size is not None and not 1 <= size <= MAX_SAMPLE:
        errors["size"] = _("Give a sample size from 1 to %(max)s.") % {"max": MAX_SAMPLE}
    elif percent is not None and not 1 <= percent <= 100:
        errors["percent"] = _("Give a percentage from 1 to 100.")
    if seed is not None and not 0 <= seed < 2**62:
        errors["seed"] = _("Give a whole number from 0 to 2^62 − 1.")
    if errors:
        raise InvalidInput(errors=errors)
    assert department is not None and month is not None
    month = month.replace(day=1)
    seed = secrets.randbelow(2**31) if seed is None else seed
    with transaction.atomic():
        candidates = audit_candidates(department, month)
        if not candidates:
            raise GuardFailed(
                _("No complaint of this department closed in this month is left to audit.")
            )
        wanted = size if size is not None else math.ceil(len(candidates) * percent / 100)
        wanted = min(wanted, len(candidates), MAX_SAMPLE)
        sample = draw_sample(candidates, wanted, seed)
        audit = Audit.objects.create(
            department=department,
            month=month,
            requested_size=size,
            requested_percent=percent,
            sample_size=len(sample),
            seed=seed,
            candidate_ids=candidates,
            note=note.strip(),
            created_by=actor,
            created_at=now,
        )
        # The unique complaint column refuses a complaint two concurrent draws both took.
        AuditItem.objects.bulk_create([AuditItem(audit=audit, complaint_id=pk) for pk in sample])
        _event(audit, "drawn", actor, now, seed=seed, candidates=len(candidates), sample=sample)
    return audit


def _locked_audit(actor: User, audit: Audit) -> Audit:
    access.audit_for_user(actor, audit.pk)
    access.require_audit(actor)
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    if locked.status == AuditStatus.COMPLETED:
        raise GuardFailed(_("This audit is completed."))
    return locked


def audit_score_item(
    *,
    item: AuditItem,
    actor: User,
    points: Mapping[str, bool | None],
    notes: Mapping[str, str] | None = None,
    finding: str = "",
    now: datetime | None = None,
) -> AuditItem:
    """Score one sampled complaint: every checklist point passes or fails. Scoring again
    (before the audit is completed) replaces the earlier scores; the history keeps both."""
    now = now or timezone.now()
    missing = {p: _("Choose pass or fail.") for p in CHECKLIST_FIELDS if points.get(p) is None}
    if missing:
        raise InvalidInput(errors=missing)
    unknown = set(points) - set(CHECKLIST_FIELDS)
    if unknown:
        raise InvalidInput(errors={p: _("Unknown checklist point.") for p in sorted(unknown)})
    clean_notes = {k: str(v).strip() for k, v in (notes or {}).items() if str(v).strip()}
    if set(clean_notes) - set(CHECKLIST_FIELDS):
        raise InvalidInput(errors={"notes": _("Unknown checklist point.")})
    with transaction.atomic():
        audit = _locked_audit(actor, item.audit)
        row = AuditItem.objects.select_for_update().get(pk=item.pk, audit=audit)
        passed = 0
        for name in CHECKLIST_FIELDS:
            value = bool(points[name])
            setattr(row, name, value)
            passed += value
        row.notes = clean_notes
        row.finding = finding.strip()
        row.score = round(passed * 100 / len(CHECKLIST_FIELDS))
        row.scored_by, row.scored_at = actor, now
        row.save()
        if audit.status == AuditStatus.DRAFT:
            audit.status, audit.started_at = AuditStatus.IN_PROGRESS, now
            audit.save(update_fields=["status", "started_at"])
        _event(
            audit,
            "scored",
            actor,
            now,
            item=row.pk,
            complaint=row.complaint_id,
            points={n: getattr(row, n) for n in CHECKLIST_FIELDS},
            score=row.score,
        )
    item.refresh_from_db()
    return item


def audit_complete(
    *, audit: Audit, actor: User, note: str = "", now: datetime | None = None
) -> Audit:
    """Close the audit once every sampled complaint is scored."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked_audit(actor, audit)
        open_items = row.items.filter(scored_at__isnull=True).count()
        if open_items:
            raise GuardFailed(_("Sampled complaints not scored yet: %(n)s.") % {"n": open_items})
        row.status, row.completed_at = AuditStatus.COMPLETED, now
        if note.strip():
            row.note = (row.note + "\n" + note.strip()).strip()
        row.save(update_fields=["status", "completed_at", "note"])
        _event(row, "completed", actor, now, note=note.strip())
    audit.refresh_from_db()
    return audit
