from django.urls import path

from kesu.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.submit, name="submit"),
    path("mine/", views.mine, name="mine"),
    path("c/<str:token>/", views.case, name="case"),
]
