from django.urls import path

from . import territory as views

app_name = "territory"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("import/", views.import_view, name="import"),
    path("import/rapport.csv", views.import_report, name="import_report"),
    path("communautes/<int:pk>/perimetre/", views.community_perimeter, name="perimeter"),
]
