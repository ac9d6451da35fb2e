"""Typed domain errors with stable codes. The API and pages map them to HTTP once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    http_status = 400
    default_message: Any = _("The request could not be carried out.")

    def __init__(self, message: Any = None, **details: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        super().__init__(str(self.message))


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("No such complaint, or you may not see it.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You are not allowed to do this.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("This action is not possible in the complaint's current state.")


class GuardFailed(DomainError):
    """The state allows the action but a business rule does not (yet)."""

    code = "rule_not_met"
    http_status = 409


class ConcurrentModification(DomainError):
    code = "changed_by_someone_else"
    http_status = 409
    default_message = _(
        "The complaint was changed by someone else in the meantime. Reload it and try again."
    )


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422
    default_message = _("Some of the data is not valid.")


class IdempotencyConflict(DomainError):
    code = "idempotency_key_reused"
    http_status = 422
    default_message = _("This Idempotency-Key was already used for a different request.")


class LinkExpired(DomainError):
    """A customer's private portal link past its end (``Complaint.portal_link_expires_at``)."""

    code = "link_expired"
    http_status = 410
    default_message = _("This link has expired.")
