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


class MonthlySnapshot(models.Model):
    """The trend figures of one ended calendar month for one set of filters, stored so the
    monthly report's 12-month trend reads them instead of scanning a year of complaints
    (``kesu.analysis.snapshots``; freshness rule in docs/analysis.md). Each figure is the one
    the live computation gives (``kesu.analysis.kpis``): the counts behind received, closed,
    timeliness and satisfaction."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    filters_key = models.CharField(
        _("filters"),
        max_length=200,
        blank=True,
        help_text=_("'' for the whole company, 'department:<id>' … (Filters.key())."),
    )
    computed_at = models.DateTimeField(_("computed at"))
    received = models.PositiveIntegerField(default=0)
    repeats = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    deadlines_on_time = models.PositiveIntegerField(default=0)
    deadlines_missed = models.PositiveIntegerField(default=0)
    deadlines_pending = models.PositiveIntegerField(default=0)
    deadlines_extended_on_time = models.PositiveIntegerField(default=0)
    deadlines_extended_missed = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    # The policy's callback.satisfied_min_rating the two counts below were made with.
    min_rating = models.PositiveSmallIntegerField(default=0)
    satisfied_outcome = models.PositiveIntegerField(default=0)
    satisfied_process = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month", "filters_key"]
        verbose_name = _("monthly snapshot")
        verbose_name_plural = _("monthly snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "filters_key"], name="snapshot_unique_month_filters"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="snapshot_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} [{self.filters_key}] {self.received}"
