from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "kesu.web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        # Connects the failed-sign-in counter (user_login_failed) of the per-network limit.
        from kesu.web import signin_limit  # noqa: F401
