"""Attacks on the REST API's writes (issue 19): scope, roles, contract years that do not exist,
bodies that should be refused in French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from cpts.accounts import tokens
from cpts.accounts.models import User
from cpts.contracts import services
from cpts.contracts.models import ContractYear, Evaluation, Indicator
from cpts.crises.models import HealthCrisis

pytestmark = pytest.mark.django_db


def send(user: User, method: str, path: str, body: Any) -> Any:
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue(user)}", raise_request_exception=False
    )
    return getattr(client, method.lower())("/api/v1" + path, body, content_type="application/json")


@pytest.fixture
def terminated(contracted: dict[str, Any]) -> dict[str, Any]:
    """CPTS Nord's contract (signed 15/01/2023) terminated on 1 June 2024, in its year 2."""
    contract = contracted["contract"]
    services.terminate_contract(contract, contracted["cpam"], dt.date(2024, 6, 1), "Missions")
    contract.refresh_from_db()
    assert contract.terminated_on == dt.date(2024, 6, 1)
    return contracted


def test_closing_a_year_after_the_termination_is_refused(terminated: dict[str, Any]) -> None:
    """Year 3 (from 15/01/2025) never existed: the contract ended on 1 June 2024. The API checks
    only that 3 is within the contract's five years, so the CPAM « closes » it: a ContractYear is
    recorded with a final total, i.e. money committed for a year after the termination (the
    annual report and the dashboards refuse that year; the API writes it)."""
    contract, cpam = terminated["contract"], terminated["cpam"]
    response = send(cpam, "POST", f"/contracts/{contract.pk}/years/3/close",
                    {"closed_on": "2025-06-01"})  # fmt: skip
    assert response.status_code in (400, 404), (response.status_code, response.content[:300])
    assert not ContractYear.objects.filter(contract=contract, number=3).exists()
    assert not Evaluation.objects.filter(contract=contract, contract_year=3).exists()


def test_filling_a_year_after_the_termination_is_refused(terminated: dict[str, Any]) -> None:
    contract, coordinator = terminated["contract"], terminated["coordinator"]
    response = send(coordinator, "POST", f"/contracts/{contract.pk}/years/3/fill",
                    {"source": "sas"})  # fmt: skip
    assert response.status_code in (400, 404), (response.status_code, response.content[:300])


# --- Scope and roles: what held ----------------------------------------------------------------


@pytest.fixture
def toulouse_annex(contracted: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """CPTS Toulouse (31, Occitanie) signed too, with one indicator of year 1."""
    from cpts.accounts.models import Role

    toulouse = contracted["toulouse"]
    coordinator = make_user("coord-tls", Role.COORDINATOR, community=toulouse)
    cpam31 = make_user("cpam31", Role.CPAM, departements=["31"])
    ars = contracted["ars_occitanie"]
    letter = services.file_letter_of_intent(toulouse, coordinator, dt.date(2022, 5, 1), "L")
    services.decide_letter_of_intent(letter, ars, True, "", dt.date(2022, 6, 1))
    project = services.file_health_project(toulouse, coordinator, dt.date(2022, 9, 1), "P")
    services.decide_health_project(project, ars, True, "", dt.date(2022, 11, 1))
    contract = services.sign_contract(toulouse, cpam31, dt.date(2023, 1, 15), "P", "D", "A")
    indicator = services.add_indicator(
        contract, 1, cpam31,
        {"mission": "access", "action": "A", "label": "Toulouse", "kind": "target",
         "amount": Decimal(100), "objective": Decimal(10)},
    )  # fmt: skip
    return {**contracted, "tls_contract": contract, "tls_indicator": indicator, "cpam31": cpam31}


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("cpam", "PUT", "/indicators/{i}/decision", {"verdict": "accepted"}),
        ("coordinator", "PUT", "/indicators/{i}/value", {"measured_value": "5"}),
        ("cpam", "POST", "/contracts/{c}/years/1/close", {"closed_on": "2023-06-01"}),
        ("cpam", "POST", "/contracts/{c}/years/1/fill", {"source": "sas"}),
        ("ars", "PUT", "/indicators/{i}/decision", {"verdict": "accepted"}),
        ("facilitator", "PUT", "/indicators/{i}/value", {"measured_value": "5"}),
    ],
)
def test_writes_out_of_scope_are_404_and_write_nothing(
    toulouse_annex: dict[str, Any], role: str, method: str, path: str, body: Any
) -> None:
    indicator, contract = toulouse_annex["tls_indicator"], toulouse_annex["tls_contract"]
    before = Indicator.history.count()
    response = send(toulouse_annex[role], method, path.format(i=indicator.pk, c=contract.pk), body)
    assert response.status_code == 404, response.content[:300]
    assert Indicator.history.count() == before


def test_an_ars_declares_no_crisis_in_another_region(people: dict[str, Any]) -> None:
    response = send(people["ars"], "POST", "/crises",
                    {"declared_on": "2025-01-10", "typology": "epidemic", "title": "X",
                     "departements": ["31"]})  # fmt: skip
    assert response.status_code == 400
    assert not HealthCrisis.objects.exists()


@pytest.mark.parametrize("role", ["national", "facilitator", "cpam", "coordinator"])
def test_no_crisis_by_other_roles(people: dict[str, Any], role: str) -> None:
    response = send(people[role], "POST", "/crises",
                    {"declared_on": "2025-01-10", "typology": "epidemic", "title": "X"})  # fmt: skip
    assert response.status_code == 403
    assert not HealthCrisis.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"measured_value": "NaN"}',
        '{"measured_value": "Infinity"}',
        '{"measured_value": 1e400}',
        '{"measured_value": "1e5"}',
        '{"measured_value": "12345678901234567890"}',
        '{"measured_value": true}',
        '{"measured_value": "5", "remarks": "a\\u0000b"}',
        '{"measured_value": "5", "remarks": 5}',
        '{"measured_value": "5", "done": "peut-être"}',
        '{"measured_value": ["5"]}',
        '{"measured_value": {"a": 1}}',
        "[]",
        '"x"',
        '{"measured_value": "5",',
        '{"measured_value": "\\ud800"}',
        '{"measured_value": "5", "remarks": "\\ud800"}',
    ],
)
def test_fuzzed_value_bodies_are_french_400s(world: dict[str, Any], body: str) -> None:
    rate = world["rate"]
    before = Indicator.history.count()
    response = send(world["coordinator"], "PUT", f"/indicators/{rate.pk}/value", body)
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert response.json()["detail"]
        assert Indicator.history.count() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"declared_on": "2025-01-10", "typology": "epidemic", "title": "\\u0000"}',
        '{"declared_on": "2025-01-10", "typology": "epidemic", "title": "X", "departements": ["\\u0000"]}',
        '{"declared_on": "2025-01-10", "typology": "epidemic", "title": "X", "description": "\\ud800"}',
        '{"declared_on": "2025-01-10", "typology": "epidemic", "title": "\\ud800"}',
        '{"declared_on": "0001-01-01", "typology": "epidemic", "title": "X"}',
        '{"declared_on": "9999-12-31", "typology": "epidemic", "title": "X"}',
        '{"declared_on": "2025-02-30", "typology": "epidemic", "title": "X"}',
        '{"declared_on": "2025-01-10", "typology": "epidemic", "title": "X", "departements": ["59", "59"]}',
    ],
)
def test_fuzzed_crisis_bodies(people: dict[str, Any], body: str) -> None:
    response = send(people["ars"], "POST", "/crises", body)
    assert response.status_code in (201, 400), (response.status_code, response.content[:300])


@pytest.mark.parametrize(
    "body",
    [
        '{"closed_on": "0001-01-01"}',
        '{"closed_on": "9999-12-31"}',
        '{"closed_on": "2023-06-01T00:00"}',
        '{"closed_on": "\\ud800"}',
        '{"closed_on": 20230601}',
    ],
)
def test_fuzzed_close_bodies(world: dict[str, Any], body: str) -> None:
    contract = world["contract"]
    response = send(world["cpam"], "POST", f"/contracts/{contract.pk}/years/1/close", body)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert not Evaluation.objects.filter(contract=contract, status="closed").exists()
