from django.urls import path

from kesu.console.views import complaint, dashboard, importing, intake, notifications, queues

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("queue/<slug:queue>/", queues.queue, name="queue"),
    path("queue/<slug:queue>/export.<str:fmt>", queues.export, name="export"),
    path("search/", queues.search, name="search"),
    path("new/", intake.intake, name="intake"),
    path("new/lookup/", intake.customer_lookup, name="customer_lookup"),
    path("new/suggest/", intake.suggest, name="suggest"),
    path("import/", importing.upload, name="import"),
    path("import/template.<str:fmt>", importing.template, name="import_template"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/read/", notifications.read_all, name="notifications_read_all"),
    path("c/<str:number>/", complaint.detail, name="complaint"),
    path("c/<str:number>/act/<slug:action>/", complaint.act, name="act"),
    path("c/<str:number>/attachments/<int:pk>/", complaint.attachment, name="attachment"),
]
