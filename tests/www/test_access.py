"""Access control: each role sees exactly its scope; out of scope is a 404, never the data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.access import Action, can
from cpts.communities.scope import visible_communities

pytestmark = pytest.mark.django_db


def names(user: Any) -> set[str]:
    return set(visible_communities(user).values_list("name", flat=True))


def test_each_role_sees_its_scope(people: dict[str, Any]) -> None:
    everyone = {"CPTS Nord", "CPTS Pas-de-Calais", "CPTS Toulouse"}
    assert names(people["coordinator"]) == {"CPTS Nord"}
    assert names(people["cpam"]) == {"CPTS Nord"}  # départements: 59 only
    assert names(people["ars"]) == {"CPTS Nord", "CPTS Pas-de-Calais"}  # region Hauts-de-France
    assert names(people["ars_occitanie"]) == {"CPTS Toulouse"}
    assert names(people["national"]) == everyone
    assert names(people["facilitator"]) == {"CPTS Pas-de-Calais"}
    assert names(people["admin"]) == everyone


def test_read_only_roles_can_do_nothing(people: dict[str, Any]) -> None:
    for role in ("national", "facilitator"):
        assert not any(can(people[role], action, people["pas_de_calais"]) for action in Action)
    assert can(people["admin"], Action.PAY, people["toulouse"])
    assert not can(people["cpam"], Action.PAY, people["pas_de_calais"])  # out of its départements
    assert not can(people["ars"], Action.DECIDE, people["toulouse"])  # out of its region


PAGES = ["dashboard", "history", "letter", "accelerator", "health_project", "contract", "payments"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("coordinator", "nord", "pas_de_calais"),
        ("cpam", "nord", "pas_de_calais"),
        ("ars", "pas_de_calais", "toulouse"),
        ("facilitator", "pas_de_calais", "nord"),
    ],
)
def test_pages_of_another_community_answer_404(
    people: dict[str, Any], client: Client, page: str, role: str, allowed: str, refused: str
) -> None:
    client.force_login(people[role])
    ok = client.get(reverse(f"communities:{page}", args=[people[allowed].pk]))
    assert ok.status_code == 200
    assert people[allowed].name.encode() in ok.content
    denied = client.get(reverse(f"communities:{page}", args=[people[refused].pk]))
    assert denied.status_code == 404
    assert people[refused].name.encode() not in denied.content


def test_objects_of_another_community_answer_404(
    contracted: dict[str, Any], client: Client
) -> None:
    from cpts.contracts.models import Indicator

    contract = contracted["contract"]
    indicator = Indicator.objects.create(
        contract=contract,
        contract_year=1,
        mission="access",
        action="a",
        label="l",
        kind="done",
        amount=10,
    )
    mission = contract.missions.first()
    urls = [
        reverse("communities:annex", args=[contracted["nord"].pk, 1]),
        reverse("communities:indicator", args=[contracted["nord"].pk, 1, indicator.pk]),
        reverse("communities:mission", args=[contracted["nord"].pk, mission.pk]),
    ]
    client.force_login(contracted["facilitator"])  # accompanies Pas-de-Calais only
    for url in urls:
        assert client.get(url).status_code == 404
    # the same object through a community the user may see is still refused
    wrong = reverse("communities:indicator", args=[contracted["pas_de_calais"].pk, 1, indicator.pk])
    assert client.get(wrong).status_code == 404
    client.force_login(contracted["national"])
    for url in urls:
        assert client.get(url).status_code == 200


def test_read_only_users_cannot_post(people: dict[str, Any], client: Client) -> None:
    client.force_login(people["national"])
    url = reverse("communities:letter", args=[people["nord"].pk])
    response = client.post(
        url, {"action": "file", "file-filed_on": "2024-01-01", "file-summary": "x"}
    )
    assert response.status_code == 403
    assert not people["nord"].letterofintents.exists()


def test_anonymous_users_are_sent_to_login(people: dict[str, Any], client: Client) -> None:
    response = client.get(reverse("communities:dashboard", args=[people["nord"].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_payment_runs_are_for_cpam_only(people: dict[str, Any], client: Client) -> None:
    for role, status in (("coordinator", 403), ("ars", 403), ("national", 403), ("cpam", 200)):
        client.force_login(people[role])
        assert client.get(reverse("contracts:payment_runs")).status_code == status
