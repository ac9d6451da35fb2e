"""What the complaint page needs from improvement: may this reader open an action, and the
actions linked to the complaint that the reader may see."""

from __future__ import annotations

from typing import Any

from django import template

from kesu.improvement.access import may_create, visible_actions

register = template.Library()


@register.filter
def may_create_actions(user: Any) -> bool:
    return may_create(user)


@register.simple_tag
def linked_actions(user: Any, complaint: Any) -> list[Any]:
    return list(
        visible_actions(user)
        .filter(complaints=complaint)
        .select_related("owner")
        .order_by("-created_at")[:20]
    )
