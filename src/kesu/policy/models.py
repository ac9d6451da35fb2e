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

        # doc_for serialises the whole document to find it in its cache (≈ 0.1 ms); a sweep
        # or an intake asks many times per complaint, so the instance keeps its answer for as
        # long as its checksum and document object stay the ones it was made from.
        key = (self.checksum, id(self.document))
        cached = self.__dict__.get("_doc_cache")
        if cached is None or cached[0] != key:
            cached = (key, doc_for(self))
            self.__dict__["_doc_cache"] = cached
        return cached[1]
