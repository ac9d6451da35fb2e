"""Masking of personal data for viewers who do not need it (SPEC §10). Who needs it is decided
in :func:`kesu.complaints.access.sees_contact_details`; this module only hides."""

from __future__ import annotations

MASK = "****"


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
