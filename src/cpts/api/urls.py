"""URLs of the FHIR API, under ``/fhir/`` (:mod:`cpts.urls`)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("metadata", views.metadata, name="fhir_metadata"),
    path("Slot", views.slot_search, name="fhir_slot_search"),
    path("Slot/<str:pk>", views.slot_read, name="fhir_slot"),
    path("Appointment", views.appointment_create, name="fhir_appointment_create"),
    path("Appointment/<str:pk>", views.appointment_read, name="fhir_appointment"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
