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
