"""The complaint page's panel on the customer's private link (console/views/portal_link.py)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_link_panel(context: template.Context) -> dict[str, Any]:
    from kesu.console.views.portal_link import panel

    return panel(context["request"].user, context["c"])
