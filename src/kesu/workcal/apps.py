from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "kesu.workcal"
    verbose_name = _("Business calendar")

    def ready(self) -> None:
        from django.core import checks

        from kesu.workcal.checks import check_official_calendar

        checks.register(check_official_calendar)
