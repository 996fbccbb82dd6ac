"""Helpers of the REST API tests: a token per user, and a GET with it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from cpts.accounts import tokens
from cpts.accounts.models import User


def get(user: User | None, path: str, **params: Any) -> Any:
    """GET ``/api/v1`` + ``path`` with a fresh token of ``user`` (none when ``user`` is None)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue(user)}"} if user else {}
    return Client().get("/api/v1" + path, params, **headers)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]
