from django.urls import path

from . import views

app_name = "crises"
urlpatterns = [path("", views.crisis_list, name="list")]
