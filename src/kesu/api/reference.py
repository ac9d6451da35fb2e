"""Reference data for forms (the active policy) and the caller's own profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kesu.accounts.models import Role
from kesu.api.auth import user_of
from kesu.api.outputs import ErrorOut, MeOut, PolicyOut
from kesu.api.presenters import department
from kesu.complaints.models import Channel, SolutionAction
from kesu.complaints.services.inputs import CONTACT_CHANNELS
from kesu.policy.loader import active_policy

router = Router(tags=["reference"])


def _named(item: Any) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "name_en": item.name_en}


@router.get(
    "/policy",
    response={200: PolicyOut, 401: ErrorOut, 503: ErrorOut},
    operation_id="policy_active",
    summary="The active procedure: levels, categories, departments, channels, deadlines",
)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    row = active_policy()
    doc = row.doc
    labels = dict(Channel.choices)
    return {
        "name": row.name,
        "version": row.version,
        "title": doc.title,
        "title_en": doc.title_en,
        "levels": [
            {**_named(lv), "rank": lv.rank, "description": lv.description} for lv in doc.levels
        ],
        "default_level": doc.default_level,
        "categories": [
            {**_named(c), "department": c.department, "business_stage": c.business_stage}
            for c in doc.categories
        ],
        "departments": [
            {**_named(d), "customer_service": d.customer_service} for d in doc.departments
        ],
        "channels": [
            {"code": ch, "label": str(labels.get(ch, ch)), "live": ch in doc.live_channels}
            for ch in doc.channels
        ],
        "milestones": [
            {
                "kind": m.kind,
                "name": m.name,
                "name_en": m.name_en,
                "start": m.start,
                "clock": m.clock,
                "pausable": m.pausable,
                "durations": m.durations,
                "urgent": m.urgent,
            }
            for m in doc.milestones
        ],
        "root_causes": [_named(r) for r in doc.root_causes],
        "solution_action_kinds": [
            {"code": code, "name": str(label), "name_en": ""}
            for code, label in SolutionAction.Kind.choices
        ],
        "contact_channels": list(CONTACT_CHANNELS),
        "review_step": doc.review_step,
        "reopen_window_days": doc.reopen_window_days,
    }


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut},
    operation_id="me",
    summary="The signed-in user",
)
def get_me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "role": user.role,
        "role_label": str(Role(user.role).label),
        "department": department(user.department),
    }
