from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", __import__("kesu.api", fromlist=["api"]).api.urls),
    # The staff console comes with the web-interface issue; until then the admin is the UI.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
