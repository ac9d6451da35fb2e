"""Pages shared by the console and the portal: the front door, sign-in, error pages."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.http import require_POST

from kesu.web.access import landing_url
from kesu.web.dbdown import unavailable_response
from kesu.web.forms import SignInForm


def home(request: HttpRequest) -> HttpResponse:
    """Staff and signed-in customers go where their role starts; anyone else to the portal."""
    if request.user.is_authenticated and request.user.is_active:
        return redirect(landing_url(request.user))
    return redirect("portal:submit")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's choice also becomes the language of the
    notifications they receive (``User.language``), so page and messages agree."""
    response = i18n.set_language(request)
    chosen = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and chosen in dict(settings.LANGUAGES) and user.language != chosen:
        user.language = chosen
        user.save(update_fields=["language"])
    return response


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("Sign in")}

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


def signin_locked(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (settings: AXES_LOCKOUT_CALLABLE): 429 and
    a page that says what happened, for how long and who can help, in the reader's language."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "title": _("Sign-in locked"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lock_minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "web/error.html", {"status": 404, "title": _("Not found")}, status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    context = {"status": 403, "title": _("You may not open this page")}
    return render(request, "web/error.html", context, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # a form beyond DATA_UPLOAD_MAX_MEMORY_SIZE
        context = {"status": 413, "title": _("The request is too large.")}
        return render(request, "web/error.html", context, status=413)
    context = {"status": 400, "title": _("The request could not be understood")}
    return render(request, "web/error.html", context, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is handled: a middleware's query with the database away.
    if (unavailable := unavailable_response(request, sys.exc_info()[1])) is not None:
        return unavailable
    context = {"status": 500, "title": _("Something went wrong on our side")}
    return render(request, "web/error.html", context, status=500)
