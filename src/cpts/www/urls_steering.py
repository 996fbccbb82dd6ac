from django.urls import path

from . import steering as views

app_name = "steering"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
