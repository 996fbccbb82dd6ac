"""Who calls: the user of a bearer token (:func:`cpts.accounts.tokens.authenticate`), nothing else.

A browser session is not accepted, even a valid one: the API is for machines (a CPAM's or an ARS's
system), each with its own token that can be revoked, and a session-only API would need CSRF
protection on its writes. A revoked token, or the token of a deactivated user, is a 401.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from cpts.accounts import tokens
from cpts.accounts.models import User


class BearerToken(HttpBearer):
    """``Authorization: Bearer cpts_…``; the OpenAPI schema declares it as ``bearerAuth``."""

    def __call__(self, request: HttpRequest) -> User | None:
        return tokens.authenticate(request.headers.get("Authorization"))

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return tokens.authenticate(f"Bearer {token}")


def caller(request: HttpRequest) -> User:
    """The user of the request's token (the authentication has run: never anonymous here)."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user
