"""The staff dashboard: my queues with their counts, today's deadlines, this week's breaches
and this month's basic KPIs, all over what the reader may see (figures from
:mod:`kesu.complaints.kpis_basic`)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kesu.accounts.models import Role
from kesu.complaints import kpis_basic
from kesu.complaints.access import visible_complaints
from kesu.complaints.queues import PolicyNames, local_name
from kesu.console.context import board
from kesu.outbox.inbox import delivery_health
from kesu.web.access import staff_required


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    b = board(request)
    visible = visible_complaints(request.user)
    today = kpis_basic.deadlines_today(visible, now=b.now)
    breaches = kpis_basic.breaches_this_week(visible, now=b.now)
    kpis = kpis_basic.month_kpis(
        kpis_basic.kpi_complaints(request.user),
        now=b.now,
        satisfied_min_rating=b.rules.satisfied_min_rating,
    )
    names = PolicyNames(
        {ms.complaint.policy_id for ms in today.rows}
        | {ev.complaint.policy_id for ev in breaches.rows}
    )
    for ms in today.rows:
        ms.label = names.milestone(ms.complaint.policy_id, ms.kind, ms.name)
    for ev in breaches.rows:
        kind = str(ev.data.get("milestone", ""))
        ev.label = names.milestone(ev.complaint.policy_id, kind, kind)
        ev.due_at = _moment(ev.data.get("due_at"))
    context = {
        "title": _("Dashboard"),
        "nav": "dashboard",
        "tiles": b.nav,
        "today": today,
        "breaches": breaches,
        "kpis": kpis,
        "kpi_department": (
            local_name(request.user.department)
            if kpis_basic.kpi_department_id(request.user)
            else None
        ),
        "rates": {
            "timeliness": _percent(kpis.timeliness),
            "outcome": _percent(kpis.outcome_satisfaction),
            "process": _percent(kpis.process_satisfaction),
        },
        "now": b.now,
        # Administrators keep the notifications flowing: dead letters wait for their resend.
        "delivery": delivery_health() if request.user.role == Role.ADMIN else None,
    }
    return render(request, "console/dashboard.html", context)


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
