"""The REST API's door: a valid bearer token, or a JSON 401 (never the login page); sessions are
not accepted; a revoked token or a deactivated user is a 401."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cpts.accounts import tokens

from .rest import get


@pytest.mark.parametrize(
    "header",
    [None, "Bearer cpts_" + "x" * 43, "Bearer nonsense", "Basic YWRtaW46YWRtaW4="],
)
def test_without_a_valid_token_a_json_401_with_a_bearer_challenge(
    people: dict[str, Any], header: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/api/v1/communities", **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ("invalid_token" in response["WWW-Authenticate"]) == bool(header)
    assert "Jeton d'accès manquant, invalide ou révoqué" in response.json()["detail"]


def test_a_revoked_token_is_refused(people: dict[str, Any]) -> None:
    token = tokens.issue(people["cpam"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/communities").status_code == 200
    tokens.revoke(token, by=people["admin"])
    response = client.get("/api/v1/communities")
    assert response.status_code == 401
    assert "invalid_token" in response["WWW-Authenticate"]


def test_the_token_of_a_deactivated_user_is_refused(people: dict[str, Any]) -> None:
    user = people["cpam"]
    token = tokens.issue(user)
    user.is_active = False
    user.save()
    response = Client().get("/api/v1/communities", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_a_browser_session_is_not_accepted(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["admin"])
    assert client.get("/communautes/").status_code == 200  # good for the screens
    response = client.get("/api/v1/communities")
    assert response.status_code == 401


def test_the_schema_is_public_and_describes_the_bearer_token(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"}
    }
    assert "/api/v1/communities/{community_id}/members" in schema["paths"]


def test_an_unknown_path_is_a_json_404_and_never_the_login_page(people: dict[str, Any]) -> None:
    response = get(people["admin"], "/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Ressource introuvable, ou hors de votre périmètre."}
    assert Client().get("/api/v1/nothing").status_code == 404  # no redirect to /connexion/


def test_a_write_method_is_not_served(people: dict[str, Any]) -> None:
    token = tokens.issue(people["admin"])
    response = Client().post(
        "/api/v1/communities",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 405
