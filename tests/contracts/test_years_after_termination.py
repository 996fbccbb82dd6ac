"""A contract year that starts on or after the contract's end (here its termination) does not
exist: no service writes anything for it, whichever way it is reached (service, API, screen).

CPTS Nord's contract is signed on 15 January 2023, its year 1 runs to 14 January 2024, year 2
from 15 January 2024; it is terminated on 1 June 2024, in its year 2. Year 3 would have started
on 15 January 2025: after the termination.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts import tokens
from cpts.contracts import measures, services
from cpts.contracts.models import ContractYear, Deliverable, Evaluation, Indicator

pytestmark = pytest.mark.django_db

#: set_objective and add_indicator first find the contract over (« a pris fin le 01/06/2024 »)
ENDED = "fin le 01/06/2024"


@pytest.fixture
def ended(contracted: dict[str, Any]) -> dict[str, Any]:
    """An indicator of year 3 added to the annex ahead of time, then the termination."""
    contract, cpam = contracted["contract"], contracted["cpam"]
    ahead = services.add_indicator(
        contract, 3, cpam,
        {"mission": "access", "action": "A", "label": "Année 3", "kind": "target",
         "amount": Decimal(100), "objective": Decimal(10), "deliverables": "Compte rendu"},
    )  # fmt: skip
    services.terminate_contract(contract, cpam, dt.date(2024, 6, 1), "Missions")
    contract.refresh_from_db()
    ahead.refresh_from_db()
    return {**contracted, "ahead": ahead}


def unchanged(item: Indicator) -> None:
    fresh = Indicator.objects.get(pk=item.pk)
    assert (fresh.measured_value, fresh.objective, fresh.verdict, fresh.computed_code) == (
        None, Decimal(10), Indicator.Verdict.PENDING, ""
    )  # fmt: skip


def test_no_service_writes_a_year_after_the_termination(ended: dict[str, Any]) -> None:
    contract, cpam, coordinator = ended["contract"], ended["cpam"], ended["coordinator"]
    ahead = ended["ahead"]
    writes = [
        lambda: services.close_evaluation(contract, 3, cpam, dt.date(2025, 6, 1)),
        lambda: services.record_year(contract, 3, cpam),
        lambda: services.record_indicator(ahead, coordinator, Decimal(5), False, ""),
        lambda: services.decide_indicator(ahead, cpam, True, "", dt.date(2025, 6, 1)),
        lambda: services.set_objective(ahead, cpam, Decimal(20)),
        lambda: services.update_deliverable(ahead.deliverables.get(), coordinator, True),
        lambda: measures.bind_indicator(ahead, cpam, "", ""),
        lambda: measures.fill_sas_values(contract, 3, cpam),
        lambda: measures.fill_measured_values(contract, 3, cpam),
    ]
    for write in writes:
        with pytest.raises(services.RuleError, match=ENDED):
            write()
    # add_indicator: the contract is over (today is after 1 June 2024) and the year is not its
    with pytest.raises(services.RuleError):
        services.add_indicator(
            contract, 3, cpam,
            {"mission": "access", "action": "A", "label": "X", "kind": "done",
             "amount": Decimal(1)},
        )  # fmt: skip
    unchanged(ahead)
    assert not Deliverable.objects.filter(indicator=ahead, ticked=True).exists()
    assert not ContractYear.objects.filter(contract=contract, number=3).exists()
    assert not Evaluation.objects.filter(contract=contract, contract_year=3).exists()
    assert contract.indicators.count() == 1


def test_the_year_of_the_termination_still_closes(ended: dict[str, Any]) -> None:
    """Year 2 started before the termination: the CPAM still evaluates and closes it."""
    contract, cpam = ended["contract"], ended["cpam"]
    evaluation = services.close_evaluation(contract, 2, cpam, dt.date(2024, 6, 15))
    assert evaluation.status == Evaluation.Status.CLOSED
    assert ContractYear.objects.get(contract=contract, number=2).total is not None


def test_the_api_refuses_the_decision_in_french(ended: dict[str, Any]) -> None:
    ahead, cpam = ended["ahead"], ended["cpam"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(cpam)}")
    response = client.put(
        f"/api/v1/indicators/{ahead.pk}/decision",
        {"verdict": "accepted"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"].startswith(
        "Le contrat prend fin le 01/06/2024 : l'année contractuelle 3, qui commencerait le "
        "15/01/2025, n'en fait pas partie."
    )
    unchanged(ahead)


def test_the_screen_refuses_the_close_in_french(ended: dict[str, Any]) -> None:
    nord, contract, cpam = ended["nord"], ended["contract"], ended["cpam"]
    client = Client()
    client.force_login(cpam)
    response = client.post(
        reverse("communities:close_evaluation", args=[nord.pk, 3]),
        {"closed_on": "2025-06-01"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Le contrat prend fin le 01/06/2024 : l'année contractuelle 3" in html.unescape(
        response.content.decode()
    )
    assert not ContractYear.objects.filter(contract=contract, number=3).exists()
    assert not Evaluation.objects.filter(contract=contract, contract_year=3).exists()
