"""People and organisation: users with one role each, departments, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Customer-service agent")
    HANDLER = "handler", _("Handler")
    MANAGER = "manager", _("Department manager")
    EXECUTIVE = "executive", _("Executive")
    QUALITY = "quality", _("Quality")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset(
    {Role.AGENT, Role.HANDLER, Role.MANAGER, Role.EXECUTIVE, Role.QUALITY, Role.ADMIN}
)
# Roles that see every complaint (SPEC §1).
SEE_ALL_ROLES = frozenset({Role.AGENT, Role.EXECUTIVE, Role.QUALITY, Role.ADMIN})


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # The customer-service department owns intake, review and callback (归口管理部门).
    is_customer_service = models.BooleanField(_("customer service"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The language of the notifications this person receives.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def sees_everything(self) -> bool:
        # The customer-service manager owns intake, dispatch and callbacks for every case and
        # is escalated their breaches (归口管理): they must be able to open any complaint.
        if self.role == Role.MANAGER and self.department_id is not None:
            return self.department.is_customer_service
        return self.role in SEE_ALL_ROLES


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for integrations. Only the hash is stored; the raw token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        raw = "ks_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw)
        )
        return token, raw
