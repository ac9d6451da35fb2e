"""The official holiday arrangement for a year, as an administrator entered it.

Each year the State Council's General Office (国务院办公厅) publishes the next year's holidays
and the weekend days worked in exchange (调休上班). A year entered here replaces the
chinesecalendar package's data for that year; days not listed follow Monday–Friday.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OfficialYear(models.Model):
    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2200)]
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("Source of the arrangement, e.g. the notice's number.")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("official holiday arrangement")
        verbose_name_plural = _("official holiday arrangements")

    def __str__(self) -> str:
        return str(self.year)


class DayKind(models.TextChoices):
    DAY_OFF = "day_off", _("Day off")
    WORKING_DAY = "working_day", _("Working day")


class OfficialDay(models.Model):
    year = models.ForeignKey(
        OfficialYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)
    name = models.CharField(
        _("name"), max_length=50, blank=True, help_text=_("e.g. 春节, 国庆节, 调休上班")
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("official day")
        verbose_name_plural = _("official days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()
