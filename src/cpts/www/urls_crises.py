from django.urls import path

from . import crises as views
from . import crisis_response

app_name = "crises"
urlpatterns = [
    path("", views.crisis_list, name="list"),
    path("<int:crisis_pk>/", crisis_response.crisis_detail, name="detail"),
    path("<int:crisis_pk>/cloture/", crisis_response.end_crisis, name="end"),
    path("<int:crisis_pk>/rapport/", crisis_response.crisis_report_print, name="report"),
    path("<int:crisis_pk>/rapport.csv", crisis_response.crisis_report_csv, name="report_csv"),
]
