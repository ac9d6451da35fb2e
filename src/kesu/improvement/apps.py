from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "kesu.improvement"
    verbose_name = _("Improvement and quality audits")

    def ready(self) -> None:
        from kesu.analysis.sections import SECTION_BUILDERS
        from kesu.improvement.monthly import monthly_sections

        if monthly_sections not in SECTION_BUILDERS:
            SECTION_BUILDERS.append(monthly_sections)
