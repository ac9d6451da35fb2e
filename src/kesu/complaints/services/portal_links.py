"""The customer's private link (``/portal/c/<token>/``): how long it works and how customer
service replaces it (docs/portal.md).

The link is a bearer key to the case and the customer's details, so it does not work for ever:
it works while the complaint is open and for ``KESU_PORTAL_LINK_DAYS`` days after it is
finished — never less than the policy's reopen window after closure, so a customer can always
reopen or rate while the procedure lets them. The end is stored
(``Complaint.portal_link_expires_at``): set by ``Change.move_to`` when the case closes, is
rejected or merged, cleared when it is reopened. A link forwarded to the wrong person is
replaced with :func:`complaint_renew_portal_link`: the old token stops working at once and the
new link goes to the customer as the first one did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.complaints.access import Actor, recorded_user, require_portal_link_renewal
from kesu.complaints.errors import GuardFailed, InvalidInput
from kesu.complaints.models import Complaint, EventKind, new_portal_token
from kesu.complaints.services.events import record_event
from kesu.complaints.services.inputs import clean_text
from kesu.complaints.services.notifications import base_context
from kesu.complaints.states import State

# A quarter: well past every preset's reopen window (7–30 days), long enough to look up the
# outcome for a claim or an invoice, short enough that an old forwarded email stops exposing
# the customer's case (PIPL: keep personal data reachable no longer than needed).
DEFAULT_DAYS = 90
RENEWED_EVENT = "portal.link_renewed"  # the message with the new link (outbox templates)
MAX_REASON = 500


def link_days() -> int:
    return max(0, int(getattr(settings, "KESU_PORTAL_LINK_DAYS", DEFAULT_DAYS)))


def link_expiry(complaint: Complaint, finished_at: datetime) -> datetime | None:
    """When the private link of ``complaint``, in its current state, stops working if the case
    finished at ``finished_at``: never while it is open; after closure, not before the end of
    the policy's reopen window (``transitions.reopen_deadline``)."""
    if complaint.is_open:
        return None
    days = link_days()
    if complaint.state == State.CLOSED:
        days = max(days, complaint.policy.doc.reopen_window_days)
    return finished_at + timedelta(days=days)


def link_expired(complaint: Complaint, now: datetime | None = None) -> bool:
    ends = complaint.portal_link_expires_at
    return ends is not None and (now or timezone.now()) > ends


@dataclass(frozen=True)
class RenewedLink:
    complaint: Complaint
    at: datetime
    expires_at: datetime | None
    sent_by: list[str]  # the channels the new link goes out on: "email", "sms"


def _send_new_link(complaint: Complaint) -> list[str]:
    """The new link to the customer on the policy's customer channels. Sent whatever the
    policy's ``customer_events`` say: staff replace a link in order that it reaches them."""
    from kesu.outbox.services import insert_messages, plan_messages

    rules = complaint.policy.doc.notifications
    person = complaint.customer
    rows = insert_messages(
        plan_messages(
            event=RENEWED_EVENT,
            complaint_id=complaint.pk,
            context=base_context(complaint),
            customer_email=person.email if "email" in rules.customer_channels else "",
            customer_phone=person.phone if "sms" in rules.customer_channels else "",
            language=person.language,
            max_attempts=rules.max_attempts,
        )
    )
    return [row.channel for row in rows]


def complaint_renew_portal_link(
    *, complaint: Complaint, actor: Actor, reason: str = "", now: datetime | None = None
) -> RenewedLink:
    """Replace the complaint's private link: a new token, the old one not found from now on,
    an event on the timeline (without either token: the timeline is read by every member of
    staff who sees the case and is kept for ever) and the new link sent to the customer.

    Customer service only (``access.may_renew_portal_link``). The complaint's version is not
    raised: no field anyone edits changes, so nobody's open form goes stale. A link that has
    expired is not renewed: the case is long finished, and the customer is answered by
    phone or through their portal account."""
    reason = clean_text(reason, "reason", required=False)
    if len(reason) > MAX_REASON or "\x00" in reason:
        raise InvalidInput(
            errors={"reason": _("Give a reason of at most %(n)s characters.") % {"n": MAX_REASON}}
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("customer", "policy")
            .get(pk=complaint.pk)
        )
        require_portal_link_renewal(actor, locked)
        if link_expired(locked, now):
            raise GuardFailed(
                _(
                    "The customer's private link has expired and can no longer be replaced. "
                    "Answer the customer by phone, or ask them to sign in to their portal "
                    "account."
                )
            )
        token = new_portal_token()
        Complaint.objects.filter(pk=locked.pk).update(portal_token=token, updated_at=now)
        locked.portal_token = token
        sent_by = _send_new_link(locked)
        record_event(
            complaint=locked,
            kind=EventKind.PORTAL_LINK,
            action="renew_portal_link",
            actor=recorded_user(actor),
            at=now,
            data={"reason": reason, "sent_by": sent_by},
        )
    complaint.portal_token = token
    complaint.updated_at = now
    return RenewedLink(
        complaint=complaint, at=now, expires_at=locked.portal_link_expires_at, sent_by=sent_by
    )
