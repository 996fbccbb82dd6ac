"""URLs of the REST API, under ``/api/v1/`` (:mod:`cpts.urls`): django-ninja's operations and
its schema (``openapi.json``), then a JSON 404 for any other path."""

from django.urls import re_path

from .api import api
from .errors import json_not_found

patterns, _app, _namespace = api.urls
app_name = "api-v1"
urlpatterns = [*patterns, re_path(r"^(?P<path>.*)$", json_not_found)]
