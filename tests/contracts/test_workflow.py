"""The lifecycle as one table: every transition from its stages only, by its roles only, logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from cpts.contracts import services, workflow
from cpts.contracts.models import TransitionLog
from cpts.contracts.workflow import Stage

pytestmark = pytest.mark.django_db


def test_the_journey_goes_through_the_table_and_leaves_a_log(people: dict[str, Any]) -> None:
    nord, coordinator, ars, cpam = (
        people["nord"], people["coordinator"], people["ars"], people["cpam"],
    )  # fmt: skip
    assert workflow.stage_of(nord) is Stage.PROJECT
    letter = services.file_letter_of_intent(nord, coordinator, dt.date(2022, 5, 1), "L")
    assert workflow.stage_of(nord) is Stage.LETTER_FILED
    services.decide_letter_of_intent(
        letter, ars, False, "Territoire à préciser", dt.date(2022, 6, 1)
    )
    assert workflow.stage_of(nord) is Stage.LETTER_REFUSED
    letter = services.file_letter_of_intent(nord, coordinator, dt.date(2022, 7, 1), "L2")
    services.decide_letter_of_intent(letter, ars, True, "", dt.date(2022, 8, 1))
    project = services.file_health_project(nord, coordinator, dt.date(2022, 9, 1), "P")
    services.decide_health_project(project, ars, True, "", dt.date(2022, 11, 1))
    assert workflow.stage_of(nord) is Stage.PROJECT_VALIDATED
    contract = services.sign_contract(nord, cpam, dt.date(2023, 1, 15), "a", "b", "c")
    assert workflow.stage_of(nord) is Stage.CONTRACTED
    services.terminate_contract(contract, cpam, dt.date(2023, 6, 1), "Missions non démarrées")
    assert workflow.stage_of(nord) is Stage.CONTRACT_OVER
    log = list(
        TransitionLog.objects.filter(community=nord)
        .order_by("at", "pk")
        .values_list("action", "from_stage", "to_stage", "user__username")
    )
    assert log == [
        ("file_letter", "project", "letter_filed", "coord"),
        ("refuse_letter", "letter_filed", "letter_refused", "ars-hdf"),
        ("file_letter", "letter_refused", "letter_filed", "coord"),
        ("validate_letter", "letter_filed", "letter_validated", "ars-hdf"),
        ("file_project", "letter_validated", "project_filed", "coord"),
        ("validate_project", "project_filed", "project_validated", "ars-hdf"),
        ("sign", "project_validated", "contracted", "cpam59"),
        ("terminate", "contracted", "contract_over", "cpam59"),
    ]
    assert TransitionLog.objects.get(action="refuse_letter").reason == "Territoire à préciser"


def test_a_transition_out_of_its_stages_is_refused(people: dict[str, Any]) -> None:
    nord = people["nord"]
    with pytest.raises(services.RuleError, match="n'est pas possible au stade « en projet »"):
        workflow.check(nord, "sign")
    letter = services.file_letter_of_intent(nord, people["coordinator"], dt.date(2022, 5, 1), "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2022, 6, 1))
    with pytest.raises(services.RuleError):
        services.sign_contract(nord, people["cpam"], dt.date(2023, 1, 15), "a", "b", "c")
    assert not TransitionLog.objects.filter(action="sign").exists()


def test_the_roles_of_the_table_are_those_of_access(people: dict[str, Any]) -> None:
    nord = people["nord"]
    offered = {
        role: {t.action for t in workflow.allowed(nord, people[role])}
        for role in ("coordinator", "cpam", "ars", "national", "facilitator", "admin")
    }
    assert offered == {
        "coordinator": {"file_letter"},
        "cpam": set(),  # out of its stage: nothing to sign yet
        "ars": set(),
        "national": set(),
        "facilitator": set(),  # accompanies Pas-de-Calais, not Nord
        "admin": {"file_letter"},
    }
    with pytest.raises(PermissionDenied):
        services.file_letter_of_intent(nord, people["cpam"], dt.date(2022, 5, 1), "L")


def test_the_screens_offer_what_the_table_allows(people: dict[str, Any]) -> None:
    nord = people["nord"]
    client = Client()
    client.force_login(people["coordinator"])
    page = client.get(reverse("communities:letter", args=[nord.pk])).content.decode()
    assert 'value="file"' in page
    services.file_letter_of_intent(nord, people["coordinator"], dt.date(2022, 5, 1), "L")
    page = client.get(reverse("communities:letter", args=[nord.pk])).content.decode()
    assert 'value="file"' not in page  # filed: nothing more to file
    client.force_login(people["ars"])
    page = client.get(reverse("communities:letter", args=[nord.pk])).content.decode()
    assert 'value="decide"' in page
