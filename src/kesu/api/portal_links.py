"""Replacing a complaint's private portal link (services.portal_links): customer service, when
a link reached the wrong person. The response never holds the link: it goes to the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kesu.api.auth import user_of
from kesu.api.fields import Str500
from kesu.api.inputs import In
from kesu.api.lookup import complaint_of
from kesu.api.outputs import ErrorOut
from kesu.complaints.services.portal_links import complaint_renew_portal_link

router = Router(tags=["portal links"])


class RenewLinkIn(In):
    reason: Str500 = Field(default="", description="Why the link is replaced (on the timeline).")


class RenewedLinkOut(Schema):
    number: str
    renewed_at: datetime
    expires_at: datetime | None = Field(
        description="When the new link stops working; null while the complaint is open."
    )
    sent_by: list[str] = Field(
        description="Channels the new link is sent to the customer on (email, sms); empty if "
        "the customer has no address the policy lets us write to."
    )


@router.post(
    "/complaints/{number}/portal-link",
    response={200: RenewedLinkOut, **dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)},
    operation_id="complaint_renew_portal_link",
    summary="Replace the customer's private link",
    description="A new private portal link for the complaint; the old one stops working at "
    "once (404). The new link is sent to the customer, never returned here. Agents, "
    "customer-service managers and admins only (403 for other staff who see the complaint, "
    "404 for those who do not); 409 rule_not_met once the link has expired.",
)
def renew_portal_link(
    request: HttpRequest, number: str, body: RenewLinkIn | None = None
) -> dict[str, Any]:
    complaint = complaint_of(request, number)
    renewed = complaint_renew_portal_link(
        complaint=complaint, actor=user_of(request), reason=body.reason if body else ""
    )
    return {
        "number": complaint.number,
        "renewed_at": renewed.at,
        "expires_at": renewed.expires_at,
        "sent_by": renewed.sent_by,
    }
