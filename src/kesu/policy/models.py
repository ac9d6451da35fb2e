"""Stored policy versions. A complaint points at the version it was graded under."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Policy(models.Model):
    name = models.CharField(_("name"), max_length=60)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    document = models.JSONField(_("document"))
    checksum = models.CharField(max_length=64)
    source = models.CharField(_("loaded from"), max_length=300, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="policy_name_version_unique"),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="policy_single_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def doc(self):  # -> PolicyDoc, cached per row instance and per checksum
        from kesu.policy.loader import doc_for

        return doc_for(self)
