"""Changes to the graded fields of a complaint inside a transaction: level and urgency
(which recompute deadlines) and root cause."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import EventKind
from kesu.complaints.services import deadlines
from kesu.complaints.services.change import Change
from kesu.complaints.services.notifications import tell_executive_of_top_level


def set_level(ch: Change, level: str | None, urgent: bool | None, reason: str = "") -> dict | None:
    c, policy = ch.complaint, ch.policy
    level = level or c.level
    if level not in {lv.code for lv in policy.levels}:
        raise InvalidInput(errors={"level": _("Unknown level.")})
    urgent = c.urgent if urgent is None else urgent
    if (level, urgent) == (c.level, c.urgent):
        return None
    before = {"level": c.level, "urgent": c.urgent}
    ch.set(level=level, urgent=urgent)
    changes = deadlines.recompute_for_level(c, policy)
    tell_executive_of_top_level(c, previous_level=before["level"])
    data = {"from": before, "to": {"level": level, "urgent": urgent}, "milestones": changes}
    if reason:  # why the level changed stays on the timeline
        data["reason"] = reason
    ch.event(EventKind.LEVEL_CHANGED, data=data)
    return before


def apply_root_cause(ch: Change, root_cause: str, text: str | None, findings: str | None):
    policy = ch.policy
    if root_cause not in {r.code for r in policy.root_causes}:
        raise InvalidInput(errors={"root_cause": _("Unknown root cause.")})
    ch.set(root_cause=root_cause)
    if text is not None:
        ch.set(root_cause_text=text.strip())
    if findings is not None:
        ch.set(findings=findings.strip())
    ch.event(
        EventKind.ROOT_CAUSE,
        data={"root_cause": root_cause, "text": text or "", "findings": findings or ""},
    )
