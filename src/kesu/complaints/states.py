"""The lifecycle states of a complaint (SPEC §3)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    PENDING_APPROVAL = "pending_approval", _("Solution awaiting approval")
    RESOLVING = "resolving", _("Solution being carried out")
    PENDING_REVIEW = "pending_review", _("Awaiting review")
    PENDING_CALLBACK = "pending_callback", _("Awaiting callback")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")

    @classmethod
    def terminal(cls) -> frozenset[State]:
        return frozenset({cls.CLOSED, cls.REJECTED, cls.MERGED})

    @classmethod
    def open_states(cls) -> frozenset[State]:
        return frozenset(s for s in cls if s not in cls.terminal())
