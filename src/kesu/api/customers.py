"""A customer's requests about their personal data (docs/privacy.md): find the customer,
export everything kept about them, erase their identity. For administrators and
customer-service managers; thin over ``kesu.complaints.services.customer_data``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from kesu.api.auth import user_of
from kesu.api.fields import Id, LongText, Str254
from kesu.api.outputs import ErrorOut
from kesu.complaints.access import require_data_requests
from kesu.complaints.models import Customer, CustomerDataLog
from kesu.complaints.services import customer_data

router = Router(tags=["customers"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
VIA = CustomerDataLog.Via.API


class LookupIn(Schema):
    ref: Str254 = Field(description="A customer id, phone, email or complaint number (exact).")


class CustomerRecordOut(Schema):
    id: int
    name: str
    company: str
    phone: str
    email: str
    account: str | None = Field(description="The customer account's code, if any.")
    complaint_count: int
    erased_at: datetime | None


class EraseIn(Schema):
    reason: LongText = Field(description="The customer's request (kept in the erasure log).")


class ErasureOut(Schema):
    customer: int
    erased_at: datetime
    counts: dict[str, int] = Field(description="What was changed or removed, by kind.")


def _customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "company": c.company,
        "phone": c.phone,
        "email": c.email,
        "account": c.account.code if c.account else None,
        "complaint_count": c.complaint_count,
        "erased_at": c.erased_at,
    }


@router.post(
    "/customers/lookup",
    response={200: list[CustomerRecordOut], **ERRORS},
    operation_id="customer_lookup",
    summary="Find the customer a data request is about",
    description="A POST so that phone numbers and emails stay out of URLs and access logs. "
    "Administrators and customer-service managers only.",
)
def lookup(request: HttpRequest, body: LookupIn) -> list[dict[str, Any]]:
    require_data_requests(user_of(request))
    return [_customer(c) for c in customer_data.find_customers(body.ref)]


@router.get(
    "/customers/{customer_id}/export",
    response=ERRORS,
    operation_id="customer_export",
    summary="Everything kept about one customer (zip: customer.json and their files)",
    description="Logged as an export (who and when). Administrators and customer-service "
    "managers only.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The zip (Content-Disposition: attachment)",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export(request: HttpRequest, customer_id: Id) -> HttpResponse:
    user = user_of(request)
    require_data_requests(user)
    customer = customer_data.customer_by_id(customer_id)
    content = customer_data.export_customer_data(customer, actor=user, via=VIA)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="kesu-customer-{customer.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/customers/{customer_id}/erase",
    response={200: ErasureOut, 409: ErrorOut, **ERRORS},
    operation_id="customer_erase",
    summary="Erase one customer's identity; their complaints stay as anonymous records",
    description="Refused (409) while any of their complaints is open, or when already "
    "erased. Cannot be undone. Administrators and customer-service managers only.",
)
def erase(request: HttpRequest, customer_id: Id, body: EraseIn) -> dict[str, Any]:
    user = user_of(request)
    require_data_requests(user)
    customer = customer_data.customer_by_id(customer_id)
    result = customer_data.erase_customer(customer, user, body.reason, via=VIA)
    return {"customer": customer.pk, "erased_at": result.log.at, "counts": result.counts}
