"""Writes through the REST API: the same services as the screens, audited with the token's user
as author; a refused write (a rule, a closed year, a bad body) is a French 400 and writes
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.accounts.models import User
from cpts.contracts import services
from cpts.contracts.models import Evaluation, Indicator, Payment
from cpts.crises.models import HealthCrisis


def send(user: User, method: str, path: str, body: Any) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(user)}")
    content = body if isinstance(body, str) else None
    send = getattr(client, method.lower())
    return send(
        "/api/v1" + path,
        content if content is not None else body,
        content_type="application/json",
    )


def history(indicator: Indicator) -> list[Any]:
    return list(Indicator.history.filter(id=indicator.pk).order_by("history_date"))


# --- The value of an indicator -----------------------------------------------------------------


def test_the_community_records_a_value_audited_in_its_name(world: dict[str, Any]) -> None:
    rate, coordinator = world["rate"], world["coordinator"]
    services.decide_indicator(rate, world["cpam"], True, "", timezone.localdate())
    response = send(
        coordinator,
        "PUT",
        f"/indicators/{rate.pk}/value",
        {"measured_value": "61.5", "done": False, "remarks": "Relevé du registre"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # typed by hand now: the claims' provenance is cleared; changed after the verdict: pending
    assert (body["measured_value"], body["source"], body["provenance"]) == ("61.50", "hand", None)
    assert (body["verdict"], body["remarks"]) == ("pending", "Relevé du registre")
    stored = Indicator.objects.get(pk=rate.pk)
    assert stored.measured_value == Decimal("61.50")
    assert stored.computed_result is None
    last = history(rate)[-1]
    assert last.history_user == coordinator
    assert last.measured_value == Decimal("61.50")


def test_the_cpam_decides_audited_in_its_name(world: dict[str, Any]) -> None:
    rate, cpam = world["rate"], world["cpam"]
    response = send(
        cpam, "PUT", f"/indicators/{rate.pk}/decision", {"verdict": "refused", "reason": " Non "}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["verdict"], body["verdict_reason"]) == ("refused", "Non")
    assert body["decided_on"] == timezone.localdate().isoformat()
    last = history(rate)[-1]
    assert (last.history_user, last.verdict) == (cpam, "refused")


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ({"verdict": "refused"}, None, "Un refus doit être motivé."),
        ({"verdict": "refused", "reason": "   "}, None, "Un refus doit être motivé."),
        ({"verdict": "maybe"}, "verdict", "valeurs possibles : 'accepted' or 'refused'"),
        ({}, "verdict", "paramètre obligatoire"),
        ({"verdict": "accepted", "reason": "x" * 5001}, "reason", "au plus 5000 caractères"),
    ],
)
def test_a_refused_decision_writes_nothing(
    world: dict[str, Any], body: dict[str, Any], parameter: str | None, message: str
) -> None:
    rate = world["rate"]
    before = history(rate)
    response = send(world["cpam"], "PUT", f"/indicators/{rate.pk}/decision", body)
    assert response.status_code == 400
    answer = response.json()
    if parameter is None:
        assert answer == {"detail": message}
    else:
        assert answer["errors"] == [{"parameter": parameter, "message": message}]
        assert answer["detail"].startswith("Requête invalide : ")
    assert history(rate) == before
    assert Indicator.objects.get(pk=rate.pk).verdict == "pending"


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ({"measured_value": "douze"}, "measured_value", "un nombre décimal est attendu"),
        ({"measured_value": "1.234"}, "measured_value", "au plus 2 décimales"),
        ({"measured_value": "1" * 15}, "measured_value", "au plus 14 chiffres"),
        ({"measured_value": "NaN"}, "measured_value", None),
        ({"measured_value": "Infinity"}, "measured_value", None),
        ({"done": False}, "measured_value", "paramètre obligatoire"),
        ({"measured_value": 1, "done": "peut-être"}, "done", None),
        ({"measured_value": 1, "remarks": "a\x00b"}, "remarks", None),
        ({"measured_value": 1, "remarks": "\ud800"}, "remarks", None),
        ('{"measured_value": ', None, None),
        ("[1, 2]", None, None),
    ],
)
def test_a_bad_value_writes_nothing(
    world: dict[str, Any], body: Any, parameter: str | None, message: str | None
) -> None:
    rate = world["rate"]
    before = history(rate)
    response = send(world["coordinator"], "PUT", f"/indicators/{rate.pk}/value", body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["detail"].startswith("Requête invalide")
    if parameter is not None:
        assert answer["errors"][0]["parameter"] == parameter
    if message is not None:
        assert answer["errors"][0]["message"] == message
    assert history(rate) == before
    assert Indicator.objects.get(pk=rate.pk).measured_value == Decimal("50.00")


def test_a_closed_year_refuses_values_and_decisions(world: dict[str, Any]) -> None:
    contract, cpam = world["contract"], world["cpam"]
    for name in ("rate", "patients"):
        services.decide_indicator(world[name], cpam, True, "", timezone.localdate())
    closed = send(
        cpam, "POST", f"/contracts/{contract.pk}/years/1/close", {"closed_on": "2024-02-01"}
    )
    assert closed.status_code == 200, closed.content
    rate = world["rate"]
    before = history(rate)
    for user, path, body in [
        (world["coordinator"], "value", {"measured_value": "10"}),
        (cpam, "decision", {"verdict": "refused", "reason": "Trop tard"}),
    ]:
        response = send(user, "PUT", f"/indicators/{rate.pk}/{path}", body)
        assert response.status_code == 400
        assert response.json()["detail"] == "L'évaluation de cette année est close."
    assert history(rate) == before
    assert get_closed(world, rate.pk)


def get_closed(world: dict[str, Any], pk: int) -> bool:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(world['national'])}")
    return bool(client.get(f"/api/v1/indicators/{pk}").json()["evaluation_closed"])


# --- Closing a year ----------------------------------------------------------------------------


def test_the_cpam_closes_a_year_audited_in_its_name(world: dict[str, Any]) -> None:
    contract, cpam = world["contract"], world["cpam"]
    for name in ("rate", "patients"):
        services.decide_indicator(world[name], cpam, True, "", timezone.localdate())
    response = send(
        cpam, "POST", f"/contracts/{contract.pk}/years/1/close", {"closed_on": "2024-02-01"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    year = contract.years.get(number=1)
    assert (body["number"], body["closed"]) == (1, True)
    assert body["total"] == f"{year.total:.2f}"
    evaluation = Evaluation.objects.get(contract=contract, contract_year=1)
    assert (evaluation.status, evaluation.closed_on) == ("closed", dt.date(2024, 2, 1))
    assert Evaluation.history.filter(id=evaluation.pk).latest("history_date").history_user == cpam
    again = send(
        cpam, "POST", f"/contracts/{contract.pk}/years/1/close", {"closed_on": "2024-02-02"}
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "Cette évaluation est déjà close."


@pytest.mark.parametrize(
    ("number", "body", "status", "detail"),
    [
        (1, {"closed_on": "2024-02-01"}, 400, "2 indicateur(s) restent à accepter ou refuser."),
        (6, {"closed_on": "2024-02-01"}, 404, None),  # a contract has five years
        (1, {"closed_on": "2031-01-01"}, 400, None),  # after today: refused by the service
        (1, {"closed_on": "hier"}, 400, None),
    ],
)
def test_a_refused_closing_writes_nothing(
    world: dict[str, Any], number: int, body: Any, status: int, detail: str | None
) -> None:
    contract = world["contract"]
    before = (Evaluation.history.count(), contract.years.count())
    response = send(world["cpam"], "POST", f"/contracts/{contract.pk}/years/{number}/close", body)
    assert response.status_code == status, response.content
    if detail:
        assert response.json()["detail"] == detail
    assert (Evaluation.history.count(), contract.years.count()) == before


# --- Filling the bound indicators ---------------------------------------------------------------


def test_the_cpam_fills_a_year_from_the_claims_audited_in_its_name(
    computable: dict[str, Any], claims_dir: Any, settings: Any
) -> None:
    settings.CLAIMS_DIR = claims_dir
    contract, cpam = computable["contract"], computable["cpam"]
    rate, patients = computable["rate"], computable["patients"]
    response = send(cpam, "POST", f"/contracts/{contract.pk}/years/1/fill", {"source": "claims"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == sorted([rate.pk, patients.pk])
    assert "2 valeur(s) modifiée(s)" in body["summary"]
    # 1 patient of 16 and over with a GP out of 2: 50 %; 3 patients who consumed care
    assert Indicator.objects.get(pk=rate.pk).measured_value == Decimal("50.00")
    assert Indicator.objects.get(pk=patients.pk).measured_value == Decimal("3.00")
    assert history(rate)[-1].history_user == cpam
    # no indicator is bound to the SAS requests: the service's refusal, nothing written
    before = history(rate)
    sas = send(cpam, "POST", f"/contracts/{contract.pk}/years/1/fill", {"source": "sas"})
    assert sas.status_code == 400
    assert sas.json()["detail"].startswith("Aucun indicateur de l'annexe de l'année 1 n'est relié")
    assert history(rate) == before


def test_a_refused_fill_writes_nothing(
    computable: dict[str, Any], tmp_path: Any, settings: Any
) -> None:
    settings.CLAIMS_DIR = tmp_path / "nowhere"
    contract = computable["contract"]
    before = history(computable["rate"])
    for number, source, status in [
        (1, "claims", 400),
        (5, "claims", 400),
        (6, "claims", 404),
        (1, "spark", 400),
    ]:
        response = send(
            computable["cpam"],
            "POST",
            f"/contracts/{contract.pk}/years/{number}/fill",
            {"source": source},
        )
        assert response.status_code == status, (number, source, response.content)
    assert history(computable["rate"]) == before


# --- Declaring a crisis ------------------------------------------------------------------------


def test_the_ars_declares_a_crisis_and_the_crisis_part_becomes_due(
    contracted: dict[str, Any],
) -> None:
    crisis_mission = contracted["contract"].missions.get(mission="crisis")
    services.record_mission(crisis_mission, contracted["cpam"], dt.date(2023, 3, 1), None)
    ars = contracted["ars"]
    response = send(
        ars,
        "POST",
        "/crises",
        {
            "declared_on": "2023-11-01",
            "typology": "epidemic",
            "title": " Grippe ",
            "description": "Épidémie",
            "departements": ["59"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["region"], body["departements"], body["title"]) == ("32", ["59"], "Grippe")
    # 100 000 inhabitants: the crisis part of CPTS Nord is 67 500 € (tests/www/test_lifecycle.py)
    assert (body["crisis_parts_due"], body["crisis_parts_total"]) == (1, "67500.00")
    crisis = HealthCrisis.objects.get(pk=body["id"])
    assert crisis.declared_by == ars
    assert HealthCrisis.history.get(id=crisis.pk).history_user == ars
    payment = Payment.objects.get(kind="crisis")
    assert payment.amount == Decimal("67500.00")
    assert Payment.history.get(id=payment.pk).history_user == ars


@pytest.mark.parametrize(
    ("role", "body", "detail"),
    [
        (
            "ars",
            {"departements": ["31"]},
            "Une ARS ne déclare une crise que dans sa région.",
        ),
        ("ars", {"departements": ["99"]}, "Département inconnu : 99."),
        ("admin", {}, "Indiquez les départements concernés."),
        ("ars", {"declared_on": "2031-01-01"}, None),
        ("ars", {"typology": "meteor"}, None),
        ("ars", {"title": "   "}, "« title » : paramètre obligatoire"),
        ("ars", {"title": "x" * 201}, None),
        ("ars", {"departements": ["5"]}, None),
    ],
)
def test_a_refused_crisis_writes_nothing(
    people: dict[str, Any], role: str, body: dict[str, Any], detail: str | None
) -> None:
    full = {"declared_on": "2025-01-10", "typology": "epidemic", "title": "Grippe", **body}
    response = send(people[role], "POST", "/crises", full)
    assert response.status_code == 400, response.content
    if detail:
        assert response.json()["detail"] == detail
    assert not HealthCrisis.objects.exists()
    assert not HealthCrisis.history.exists()
    assert not Payment.objects.exists()


# --- No CSRF, no session ----------------------------------------------------------------------


def test_a_write_needs_a_token_and_no_csrf_token(world: dict[str, Any]) -> None:
    """The operations are CSRF-exempt because no cookie authenticates them: a signed-in browser
    (session cookie, no token) is a 401 and writes nothing; a token without a CSRF token writes."""
    rate = world["rate"]
    path = f"/api/v1/indicators/{rate.pk}/value"
    body = {"measured_value": "12.00"}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["coordinator"])
    before = history(rate)
    assert browser.put(path, body, content_type="application/json").status_code == 401
    assert history(rate) == before
    machine = Client(
        enforce_csrf_checks=True,
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue(world['coordinator'])}",
    )
    assert machine.put(path, body, content_type="application/json").status_code == 200
    assert len(history(rate)) == len(before) + 1
