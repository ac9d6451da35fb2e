import os

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", __import__("kesu.api", fromlist=["api"]).api.urls),
    path("console/", include("kesu.console.urls")),
    path("portal/", include("kesu.portal.urls")),
    path("", include("kesu.web.urls")),
]

handler400 = "kesu.web.views.bad_request"
handler403 = "kesu.web.views.permission_denied"
handler404 = "kesu.web.views.page_not_found"
handler500 = "kesu.web.views.server_error"

# Benchmarks only (bench/intake.py): KESU_BENCH_VIEWS=1 adds /bench/ping, a bare view returning
# a small JSON body through the same middleware — the framework's ceiling to compare intake
# with. Never set in production: without the variable the URL does not exist.
if os.environ.get("KESU_BENCH_VIEWS") == "1":
    from django.http import JsonResponse

    def _bench_ping(request):  # type: ignore[no-untyped-def]
        return JsonResponse({"ok": True})

    urlpatterns.insert(0, path("bench/ping", _bench_ping))
