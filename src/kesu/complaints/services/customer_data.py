"""A customer's requests about their personal data (PIPL arts. 45 and 47, GDPR arts. 15 and
17): finding the customer, the export of everything kesu holds about them, and the erasure of
their identity. docs/privacy.md says what is included, removed and kept, and why.

The export is :mod:`kesu.complaints.services.customer_export`, the erasure
:mod:`kesu.complaints.services.customer_erasure`; this module is what callers use: the
``kesu customer`` command, the API (``kesu.api.customers``) and the console
(``kesu.console.views.customers``). Every export and erasure is logged (``CustomerDataLog``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kesu.complaints.access import require_data_requests
from kesu.complaints.errors import InvalidInput, NotFound
from kesu.complaints.models import Complaint, Customer
from kesu.complaints.services.customer_erasure import ErasureResult, erase_customer, open_numbers
from kesu.complaints.services.customer_export import export_customer_data

__all__ = [
    "ErasureResult",
    "customer_by_id",
    "erase_customer",
    "export_customer_data",
    "find_customers",
    "open_numbers",
    "require_data_requests",
]

COMPLAINT_NUMBER = re.compile(r"^[A-Za-z]{1,10}-\d{8}-\d{1,6}$")
# A reference of fewer digits is a customer id; from this many on, a phone number.
PHONE_MIN_DIGITS = 7
MAX_ID = 2**53  # beyond any id, and beyond what the databases' integers hold
FOUND_LIMIT = 20


def customer_by_id(pk: Any) -> Customer:
    """The customer with id ``pk`` (erased or not); an unknown id is "not found"."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such customer.")) from None
    found = Customer.objects.filter(pk=number).first() if 0 < number < MAX_ID else None
    if found is None:
        raise NotFound(_("No such customer."))
    return found


def find_customers(ref: str) -> list[Customer]:
    """The customers a request names: a customer id (a few digits), a phone number, an email
    address or the number of one of their complaints. Exact matches only: the person asking
    gives their own contact. Erased customers are found by id or complaint number only (their
    contacts are gone). Each comes with ``complaint_count``."""
    ref = "".join(ch for ch in (ref or "") if ch.isprintable()).strip()[:254]
    if not ref:
        raise InvalidInput(
            errors={"ref": _("Give a customer id, phone, email or complaint number.")}
        )
    if "@" in ref:
        match = Q(email__iexact=ref)
    elif COMPLAINT_NUMBER.match(ref):
        match = Q(pk__in=Complaint.objects.filter(number=ref.upper()).values("customer_id"))
    elif ref.isdigit() and len(ref) < PHONE_MIN_DIGITS:
        match = Q(pk=int(ref))
    else:
        match = Q(phone=ref)
    return list(
        Customer.objects.filter(match)
        .select_related("account", "user")
        .annotate(complaint_count=Count("complaints"))
        .order_by("pk")[:FOUND_LIMIT]
    )
