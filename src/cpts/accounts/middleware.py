"""Every page needs a signed-in user, except the login page and static files, the FHIR API
(``/fhir/``) and the REST API (``/api/v1/``), which authenticate each request by its bearer token
and answer JSON (a 401 with ``WWW-Authenticate: Bearer``, never a redirect to the login page)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

PUBLIC_PREFIXES = ("/connexion/", "/static/", "/accessibilite/", "/fhir/", "/api/v1/")


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
