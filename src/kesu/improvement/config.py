"""The policy values improvement actions follow, read at call time from the active policy
(the defaults of ``kesu.policy.schema`` when none is active yet, e.g. in the worker)."""

from __future__ import annotations

from kesu.policy.schema import Escalation, Improvement, Notifications


def _active():
    from kesu.policy.loader import NoActivePolicy, active_policy

    try:
        return active_policy().doc
    except NoActivePolicy:
        return None


def warn_ratio() -> float:
    """The owner is warned when this share of the time to the due date has passed, as for
    complaint deadlines (``escalation.warn_ratio``)."""
    doc = _active()
    return (doc.escalation if doc else Escalation()).warn_ratio


def check_after_days() -> int:
    doc = _active()
    return (doc.improvement if doc else Improvement()).check_after_days


def notifications() -> Notifications:
    doc = _active()
    return doc.notifications if doc else Notifications()
