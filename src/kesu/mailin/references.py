"""Which complaints a mail refers to: our Message-IDs it answers, then complaint numbers in
its subject, then in its text. The first one whose customer sent the mail is the one."""

from __future__ import annotations

import re
import uuid

from kesu.complaints.models import Complaint
from kesu.mailin.parsing import ParsedMail
from kesu.outbox.models import OutboxMessage

# <PREFIX>-YYYYMMDD-NNNN (intake.next_number; the policy's prefix is 1–6 capitals).
NUMBER = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,6}-\d{8}-\d{4,})(?![0-9])")
_OUR_ID = re.compile(r"^<([0-9a-f-]{36})@kesu>$", re.IGNORECASE)


def _answered_complaint_ids(mail: ParsedMail) -> list[int]:
    ids: list[uuid.UUID] = []
    for message_id in mail.answers:
        match = _OUR_ID.match(message_id)
        if match:
            try:
                ids.append(uuid.UUID(match.group(1)))
            except ValueError:
                continue
    if not ids:
        return []
    found = dict(
        OutboxMessage.objects.filter(pk__in=ids, complaint__isnull=False).values_list(
            "pk", "complaint_id"
        )
    )
    return [found[i] for i in ids if i in found]


def referenced_complaints(mail: ParsedMail) -> list[Complaint]:
    """The complaints the mail refers to, strongest reference first, without repeats."""
    by_id = _answered_complaint_ids(mail)
    numbers = NUMBER.findall(mail.subject) + NUMBER.findall(mail.text)
    qs = Complaint.objects.select_related("customer__user", "policy")
    complaints = {c.pk: c for c in qs.filter(pk__in=by_id)} if by_id else {}
    by_number = {c.number: c for c in qs.filter(number__in=numbers)} if numbers else {}
    ordered = [complaints[i] for i in by_id if i in complaints]
    ordered += [by_number[n] for n in numbers if n in by_number]
    return list({c.pk: c for c in ordered}.values())


def sent_by_customer(complaint: Complaint, address: str) -> bool:
    """A known sender: the address the complaint's customer gave us."""
    email = (complaint.customer.email or "").strip().lower()
    return bool(email) and email == address.strip().lower()
