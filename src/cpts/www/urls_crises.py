from django.urls import path

from . import crises as views

app_name = "crises"
urlpatterns = [path("", views.crisis_list, name="list")]
