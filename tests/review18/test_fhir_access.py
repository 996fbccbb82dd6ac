"""Hostile review of issue 18: who reaches the FHIR API, and odd pagination."""

from __future__ import annotations

import pytest
from django.test import Client

from cpts.accounts import tokens
from cpts.accounts.models import Role
from tests.api.conftest import Sas
from tests.api.test_fhir_appointments import appointment_for, post
from tests.factories import UserFactory, regulator

pytestmark = pytest.mark.django_db
WINDOW = "start=ge2026-01-01&start=le2026-01-02"


@pytest.mark.parametrize("name", ["_count", "_offset"])
def test_a_page_parameter_of_thousands_of_digits_is_a_400_not_a_500(
    api: Client, sas: Sas, name: str
) -> None:
    response = api.get(f"/fhir/Slot?{WINDOW}&{name}={'9' * 5000}", **sas.headers())
    assert response.status_code == 400, response.content
    assert response.json()["issue"][0]["expression"] == [name]


@pytest.mark.parametrize(
    "role", [Role.COORDINATOR, Role.NATIONAL, Role.FACILITATOR, Role.CPAM, Role.ARS]
)
def test_other_roles_tokens_are_refused_403(api: Client, sas: Sas, role: str) -> None:
    extra = {
        Role.COORDINATOR: {"community": sas.community},
        Role.ARS: {"region_id": "32"},
        Role.CPAM: {"departements": ["59"]},
    }.get(role, {})
    token = tokens.issue(UserFactory(role=role, **extra))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert api.get(f"/fhir/Slot?{WINDOW}", **headers).status_code == 403
    assert post(api, appointment_for(sas.slots[0]), token).status_code == 403
    assert api.get("/fhir/Appointment/1", **headers).status_code == 403


def test_a_revoked_token_and_an_inactive_users_token_are_401(api: Client, sas: Sas) -> None:
    revoked = tokens.issue(sas.user)
    tokens.revoke(revoked, None)
    inactive = regulator(["59"], is_active=False)
    for token in (revoked, tokens.issue(inactive)):
        response = post(api, appointment_for(sas.slots[0]), token)
        assert response.status_code == 401
        assert "Bearer" in response["WWW-Authenticate"]


def test_another_departements_regulator_neither_books_nor_reads(api: Client, sas: Sas) -> None:
    booked = post(api, appointment_for(sas.slots[0]), sas.token)
    assert booked.status_code == 201
    other = tokens.issue(regulator(["62"]))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {other}"}
    assert api.get(booked["Location"], **headers).status_code == 404
    assert api.get(f"/fhir/Slot/{sas.slots[1].pk}", **headers).status_code == 404
    body = appointment_for(sas.slots[1], identifier="another")
    assert post(api, body, other).status_code == 404
