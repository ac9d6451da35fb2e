"""Personal data (SPEC §10, docs/privacy.md): masking for viewers who do not need a customer's
phone or email, the words that stand in for erased data, finding a customer's identifiers in
free text, and who may search by phone digits or handle a customer's data request.

Who sees contact details in clear on a complaint is decided in
:func:`kesu.complaints.access.sees_contact_details`; this module hides and replaces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "****"

# What stands where an erased customer's name was (Customer.name, the portal account's
# display name): stored data like the name it replaces, so every list, export and report that
# prints the name prints this instead.
ERASED_NAME = "已删除的客户"
# What stands where a customer's name, phone or email appeared inside free text.
REDACTED = "[已删除]"

# Identifiers shorter than this are not looked for in free text: a one-character name or a
# two-digit extension would match unrelated words.
MIN_IDENTIFIER = 2
# Separators people type inside phone numbers ("138 1662 0001", "138-1662-0001").
PHONE_SEPARATOR = r"[\s\-.]?"
NATIONAL_DIGITS = 11  # a Chinese mobile number without the country code


def mask_phone(phone: str) -> str:
    """'13816620001' → '138****0001'; short numbers keep only their last two digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = [ch for ch in phone if ch.isdigit()]
    if len(digits) >= 11:
        return f"{phone[:3]}{MASK}{phone[-4:]}"
    return f"{MASK}{phone[-2:]}" if len(phone) > 2 else MASK


def mask_email(email: str) -> str:
    """'chen@example.cn' → 'c***@example.cn'."""
    email = (email or "").strip()
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at:
        return MASK
    return f"{local[:1]}***@{domain}"


class Redactor:
    """Finds one person's identifiers (name, phone in any spacing, email, login) in text and
    replaces them with ``replacement`` (:data:`REDACTED` unless given)."""

    def __init__(
        self, *, names: Iterable[str] = (), phones: Iterable[str] = (), replacement: str = REDACTED
    ) -> None:
        self.replacement = replacement
        patterns = []
        for name in sorted({n.strip() for n in names if n}, key=len, reverse=True):
            if len(name) >= MIN_IDENTIFIER:
                # Latin names and logins only as whole words ("Li" is not in "delivery");
                # Chinese is written without spaces, so there a name is any substring.
                start = r"(?<![A-Za-z0-9])" if name[0].isascii() and name[0].isalnum() else ""
                end = r"(?![A-Za-z0-9])" if name[-1].isascii() and name[-1].isalnum() else ""
                patterns.append(start + re.escape(name) + end)
        for phone in {p for p in phones if p}:
            digits = "".join(ch for ch in phone if ch.isdigit())
            # With a country code (+86 138…), also the number as written at home.
            forms = {digits, digits[-NATIONAL_DIGITS:]}
            for form in sorted(forms, key=len, reverse=True):
                if len(form) >= MIN_IDENTIFIER + 3:
                    # Not inside a longer number (a waybill number holding the same digits).
                    patterns.append(r"(?<!\d)" + PHONE_SEPARATOR.join(form) + r"(?!\d)")
        self.pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def found_in(self, value: Any) -> bool:
        if self.pattern is None or value in (None, "", [], {}):
            return False
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return bool(self.pattern.search(text))

    def text(self, value: str) -> str:
        if self.pattern is None or not value:
            return value
        return self.pattern.sub(lambda _match: self.replacement, value)

    def data(self, value: Any) -> Any:
        """``value`` (JSON: dicts, lists, strings …) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value


class ContactMask:
    """One customer's phone (in any spacing) and email, wherever free text quotes them, shown
    as a reader who sees them masked may see them: '138****0001', 'c***@example.cn'."""

    def __init__(self, phone: str, email: str) -> None:
        self.parts = [
            Redactor(phones=[phone], replacement=mask_phone(phone)),
            Redactor(names=[email], replacement=mask_email(email)),
        ]

    @classmethod
    def of(cls, customer: Any) -> ContactMask:
        return cls(customer.phone, customer.email)

    def text(self, value: str) -> str:
        for part in self.parts:
            value = part.text(value)
        return value

    def data(self, value: Any) -> Any:
        for part in self.parts:
            value = part.data(value)
        return value
