from django.urls import path

from . import lifecycle as views

app_name = "contracts"
urlpatterns = [
    path("campagnes/", views.payment_runs, name="payment_runs"),
    path("campagnes/<int:run_pk>/", views.payment_run_detail, name="payment_run"),
]
