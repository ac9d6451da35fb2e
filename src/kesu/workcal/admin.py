from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kesu.workcal.models import DayKind, OfficialDay, OfficialYear


class OfficialDayFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        year = self.instance.year
        for form in self.forms:
            day = form.cleaned_data.get("date") if hasattr(form, "cleaned_data") else None
            if day is None or form.cleaned_data.get("DELETE"):
                continue
            if year and day.year != year:
                raise ValidationError(
                    gettext("%(date)s is not in %(year)s.") % {"date": day, "year": year}
                )


class OfficialDayInline(admin.TabularInline):
    model = OfficialDay
    formset = OfficialDayFormSet
    fields = ["date", "kind", "name"]
    extra = 3


@admin.register(OfficialYear)
class OfficialYearAdmin(admin.ModelAdmin):
    list_display = ["year", "days_off", "working_days", "entered_by", "entered_at"]
    readonly_fields = ["entered_by", "entered_at"]
    fields = ["year", "notes", "entered_by", "entered_at"]
    inlines = [OfficialDayInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_off=Count("days", filter=Q(days__kind=DayKind.DAY_OFF)),
                n_working=Count("days", filter=Q(days__kind=DayKind.WORKING_DAY)),
            )
        )

    @admin.display(description=_("days off"))
    def days_off(self, obj) -> int:
        return obj.n_off

    @admin.display(description=_("make-up working days"))
    def working_days(self, obj) -> int:
        return obj.n_working

    def save_model(self, request, obj: OfficialYear, form, change: bool) -> None:
        # Whoever last changed the arrangement answers for it.
        obj.entered_by = request.user
        obj.entered_at = timezone.now()
        super().save_model(request, obj, form, change)
