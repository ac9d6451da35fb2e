from django.urls import path

from kesu.console.views import (
    audits,
    complaint,
    customers,
    dashboard,
    importing,
    improvement,
    intake,
    notifications,
    portal_link,
    queues,
)
from kesu.console.views import reports as report_views
from kesu.console.views import volume as volume_views

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
    path("analysis/", report_views.analysis, name="analysis"),
    path("analysis/volume/", volume_views.volume, name="analysis_volume"),
    path("analysis/complaints/", report_views.analysis_complaints, name="analysis_complaints"),
    path("reports/", report_views.reports_home, name="reports"),
    path("reports/monthly/<str:month>/", report_views.report_monthly, name="report_monthly"),
    path("reports/files/<int:pk>/", report_views.report_file, name="report_file"),
    path("improvement/", improvement.action_list_page, name="improvement_actions"),
    path("improvement/new/", improvement.action_new, name="improvement_action_new"),
    path("improvement/<int:pk>/", improvement.action_detail, name="improvement_action"),
    path(
        "improvement/<int:pk>/files/<int:file_pk>/",
        improvement.action_file,
        name="improvement_file",
    ),
    path("improvement/<int:pk>/<slug:step>/", improvement.action_step, name="improvement_step"),
    path("audits/", audits.audit_list_page, name="audits"),
    path("audits/new/", audits.audit_new, name="audit_new"),
    path("audits/<int:pk>/", audits.audit_detail, name="audit"),
    path("audits/<int:pk>/items/<int:item_pk>/", audits.score_item, name="audit_score"),
    path("audits/<int:pk>/complete/", audits.complete, name="audit_complete"),
    path("customers/", customers.lookup, name="customers"),
    path("customers/<int:pk>/", customers.detail, name="customer"),
    path("customers/<int:pk>/export/", customers.export, name="customer_export"),
    path("customers/<int:pk>/erase/", customers.erase, name="customer_erase"),
    path("c/<str:number>/", complaint.detail, name="complaint"),
    path("c/<str:number>/act/<slug:action>/", complaint.act, name="act"),
    path("c/<str:number>/portal-link/", portal_link.renew, name="renew_portal_link"),
    path("c/<str:number>/attachments/<int:pk>/", complaint.attachment, name="attachment"),
]
