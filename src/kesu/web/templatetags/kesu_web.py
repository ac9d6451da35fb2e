"""Template helpers shared by the console and the portal: deadlines and badges."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kesu.complaints.states import State

register = template.Library()

SOON_SECONDS = 2 * 3600


def time_left_words(seconds: float) -> str:
    late = seconds < 0
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    if days:
        text = _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)sh %(m)sm") % {"h": hours, "m": mins}
    else:
        text = _("%(m)sm") % {"m": mins}
    return _("overdue by %(t)s") % {"t": text} if late else _("%(t)s left") % {"t": text}


@register.simple_tag
def countdown(due: datetime | None, now: datetime | None = None) -> str:
    """A live countdown to ``due`` (kesu.js keeps it current); an em dash when there is none."""
    if due is None:
        return "—"
    now = now or timezone.now()
    left = (due - now).total_seconds()
    css = "late" if left < 0 else ("soon" if left < SOON_SECONDS else "")
    local = timezone.localtime(due)
    return format_html(
        '<time class="due {}" datetime="{}" data-countdown data-soon="{}" title="{}">{}</time>',
        css,
        due.isoformat(),
        SOON_SECONDS * 1000,
        local.strftime("%Y-%m-%d %H:%M"),
        time_left_words(left),
    )


@register.simple_tag
def state_badge(state: str) -> str:
    try:
        label = State(state).label
    except ValueError:
        label = state
    return format_html('<span class="badge state state-{}">{}</span>', state, label)


@register.filter
def local_dt(value: datetime | None) -> str:
    """'2026-11-16 09:30' in the site's time zone."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
