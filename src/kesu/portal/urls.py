from django.urls import path

from kesu.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.submit, name="submit"),
    path("mine/", views.mine, name="mine"),
    path("c/<str:token>/", views.case, name="case"),
    path("c/<str:token>/sent/", views.sent, name="sent"),
    path("c/<str:token>/info/", views.add_info, name="add_info"),
    path("c/<str:token>/answer/", views.provide_info, name="provide_info"),
    path("c/<str:token>/rate/", views.rate, name="rate"),
    path("c/<str:token>/reopen/", views.reopen, name="reopen"),
    path("c/<str:token>/attachments/<int:pk>/", views.attachment, name="attachment"),
]
