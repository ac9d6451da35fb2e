"""Business volume per month: the denominator of the complaint rate (SPEC §7)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class VolumeKind(models.TextChoices):
    ORDERS = "orders", _("Orders")
    WAYBILLS = "waybills", _("Waybills")


class BusinessVolume(models.Model):
    """How many orders or waybills the company (or one department) handled in a month,
    entered in the console, by API or imported (``kesu.analysis.volume``)."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    kind = models.CharField(_("kind"), max_length=10, choices=VolumeKind.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    volume = models.PositiveBigIntegerField(_("volume"))
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "kind"]
        verbose_name = _("business volume")
        verbose_name_plural = _("business volumes")
        constraints = [
            # NULL is not equal to NULL in a unique index: the company-wide row needs its own.
            models.UniqueConstraint(
                fields=["month", "kind", "department"],
                condition=Q(department__isnull=False),
                name="volume_unique_month_kind_department",
            ),
            models.UniqueConstraint(
                fields=["month", "kind"],
                condition=Q(department__isnull=True),
                name="volume_unique_month_kind_company",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="volume_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.volume}"
