"""What a customer does on the portal that takes more than one domain service: a complaint with
its photos, information with its files. Each is one transaction: all of it, or nothing."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.complaints.access import Actor, PortalCustomer
from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import Complaint
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.portal.uploads import CheckedFile


def _attach(complaint: Complaint, actor: Actor, files: list[CheckedFile]) -> None:
    for f in files:
        records.complaint_add_attachment(
            complaint=complaint,
            actor=actor,
            name=f.name,
            content=f.content,
            content_type=f.content_type,
        )


def portal_submit(
    *, data: NewComplaint, files: list[CheckedFile], customer_user: User | None = None
) -> Complaint:
    """A complaint from the portal (channel ``web``), by a signed-in customer or anonymously,
    with its photos. The acknowledgment with the number and the private link goes to the
    customer through the outbox (intake writes it)."""
    with transaction.atomic():
        complaint, _created = complaint_create(data=data, actor=customer_user)
        complaint = Complaint.objects.select_related("customer__user", "policy").get(
            pk=complaint.pk
        )
        _attach(complaint, PortalCustomer.of(complaint), files)
    return complaint


def portal_add_info(
    *, complaint: Complaint, actor: Actor, text: str, files: list[CheckedFile]
) -> None:
    """Information and evidence while the case is open; it does not move the case."""
    text = (text or "").strip()
    if not text and not files:
        raise InvalidInput(errors={"text": _("Write what you want to add, or choose a file.")})
    with transaction.atomic():
        _attach(complaint, actor, files)
        if text:
            records.complaint_add_info(complaint=complaint, actor=actor, text=text)


def portal_provide_info(
    *, complaint: Complaint, actor: Actor, text: str, files: list[CheckedFile]
) -> None:
    """The answer to a request for information: files first, then the answer, which sends
    the case back to investigation and restarts the paused clocks."""
    text = (text or "").strip()
    if not text and files:
        text = _("Files sent: %(names)s") % {"names": ", ".join(f.name for f in files)}
    if not text:
        raise InvalidInput(errors={"text": _("Write your answer, or choose a file.")})
    with transaction.atomic():
        _attach(complaint, actor, files)
        transitions.complaint_provide_info(complaint=complaint, actor=actor, text=text)
