"""What the second hostile review found in the lifecycle, each with its test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.contracts import services, workflow
from cpts.contracts.models import Indicator, Payment, TransitionLog
from cpts.contracts.workflow import Stage
from tests.contracts.test_years_and_amendments import _ready_to_sign

pytestmark = pytest.mark.django_db


def test_only_the_contract_in_force_can_be_terminated(people: dict[str, Any]) -> None:
    """Review 2-1: an ended contract was terminated after the fact (a 286,039.96 € claw-back)."""
    nord = people["nord"]
    _ready_to_sign(people, nord, dt.date(2019, 8, 26))
    first = services.sign_contract(nord, people["cpam"], dt.date(2019, 9, 1), "a", "b", "c")
    services.sign_contract(nord, people["cpam"], dt.date(2024, 9, 1), "a", "b", "c")
    client = Client()
    client.force_login(people["cpam"])
    url = reverse("communities:contract_terminate", args=[nord.pk])
    response = client.post(
        f"{url}?contrat={first.pk}", {"end-terminated_on": "2020-06-01", "end-reason": "x"}
    )
    assert response.status_code == 200
    assert "Seul le contrat en cours se résilie" in response.content.decode()
    first.refresh_from_db()
    assert first.terminated_on is None
    assert not Payment.objects.filter(kind="termination").exists()


def test_a_signature_follows_the_validation_of_the_project(people: dict[str, Any]) -> None:
    """Review 2-2: a contract backdated to 2019 for a project validated in 2025 paid five years."""
    nord = people["nord"]
    _ready_to_sign(people, nord, dt.date(2025, 6, 1))
    with pytest.raises(services.RuleError, match="après la validation du projet de santé"):
        services.sign_contract(nord, people["cpam"], dt.date(2019, 9, 1), "a", "b", "c")
    assert not nord.contracts.exists()


def test_a_backdated_letter_does_not_hide_the_last_one_filed(people: dict[str, Any]) -> None:
    """Review 2-3: a new letter dated before the refused one left the stage at « refusée »."""
    nord, coordinator, ars = people["nord"], people["coordinator"], people["ars"]
    letter = services.file_letter_of_intent(nord, coordinator, dt.date(2025, 3, 1), "L")
    services.decide_letter_of_intent(letter, ars, False, "Incomplète", dt.date(2025, 3, 2))
    again = services.file_letter_of_intent(nord, coordinator, dt.date(2025, 1, 1), "L2")
    assert workflow.stage_of(nord) is Stage.LETTER_FILED
    services.decide_letter_of_intent(again, ars, True, "", dt.date(2025, 3, 3))
    assert workflow.stage_of(nord) is Stage.LETTER_VALIDATED


def test_the_accelerator_follows_the_validation_of_the_letter(people: dict[str, Any]) -> None:
    """Review 2-4: an accélérateur granted before the letter existed was paid by a run."""
    nord = people["nord"]
    letter = services.file_letter_of_intent(nord, people["coordinator"], dt.date(2025, 3, 1), "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2025, 4, 1))
    with pytest.raises(services.RuleError, match="après la validation de la lettre"):
        services.grant_accelerator(nord, people["cpam"], dt.date(2023, 1, 1))
    assert not Payment.objects.exists()


def test_no_carry_over_past_the_contract(contracted: dict[str, Any]) -> None:
    """Review 2-5: a year-5 indicator was carried into a year 6 nobody could see."""
    indicator = Indicator.objects.create(
        contract=contracted["contract"], contract_year=5, mission="access", action="a", label="l",
        kind="done", amount=Decimal(1000), verdict="refused", verdict_reason="non fait",
        decided_on=dt.date(2028, 1, 1), decided_by=contracted["cpam"],
    )  # fmt: skip
    with pytest.raises(services.RuleError, match="pas d'année suivante"):
        services.carry_over(indicator, contracted["cpam"])


def test_a_terminated_contract_no_longer_changes(contracted: dict[str, Any]) -> None:
    """Review 2-6: missions and the annex of a terminated contract still accepted writes."""
    contract, cpam = contracted["contract"], contracted["cpam"]
    services.terminate_contract(contract, cpam, dt.date(2023, 7, 1), "Missions non démarrées")
    contract.refresh_from_db()
    access = contract.missions.get(mission="access")
    with pytest.raises(services.RuleError, match="a pris fin"):
        services.record_mission(access, cpam, dt.date(2023, 8, 1), None)
    with pytest.raises(services.RuleError, match="a pris fin"):
        services.add_indicator(
            contract, 1, cpam, {"mission": "access", "action": "a", "label": "l", "kind": "done",
                                "amount": Decimal(1)},
        )  # fmt: skip


def test_every_mission_deployed_is_a_logged_transition(contracted: dict[str, Any]) -> None:
    """Review 2-7: « contracted → deployed » left no trace in the transition log."""
    contract, cpam = contracted["contract"], contracted["cpam"]
    for commitment in contract.missions.all():
        services.record_mission(commitment, cpam, dt.date(2023, 3, 1), dt.date(2023, 6, 1))
    assert workflow.stage_of(contracted["nord"]) is Stage.DEPLOYED
    log = TransitionLog.objects.get(action="record_mission")
    assert (log.from_stage, log.to_stage, log.user) == ("contracted", "deployed", cpam)
