from django.urls import path

from . import exports as views

app_name = "exports"
urlpatterns = [
    path("<slug:name>.<str:fmt>", views.export, name="export"),
]
