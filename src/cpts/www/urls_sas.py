from django.urls import path

from . import sas as views

app_name = "sas"
urlpatterns = [
    path("", views.request_list, name="requests"),
    path("demandes/nouvelle/", views.new_request, name="new_request"),
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("demandes/<int:pk>/creneaux/", views.search_slots, name="search_slots"),
    path("demandes/<int:pk>/reserver/", views.book_slot, name="book"),
    path("demandes/<int:pk>/suite/", views.record_outcome, name="outcome"),
    path("demandes/<int:pk>/annuler/", views.cancel_appointment, name="cancel"),
    path("declarations/", views.declarations, name="declarations"),
]
