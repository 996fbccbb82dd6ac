"""Screens: French errors beside the field, nothing saved on bad input, audit trail visible."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.contracts.models import Contract, LetterOfIntent

pytestmark = pytest.mark.django_db


def test_a_bad_form_shows_french_errors_and_saves_nothing(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["coordinator"])
    url = reverse("communities:letter", args=[people["nord"].pk])
    response = client.post(
        url, {"action": "file", "file-filed_on": "32/13/2024", "file-summary": ""}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Saisissez une date valide." in text
    assert "Ce champ est obligatoire." in text
    assert not LetterOfIntent.objects.exists()


def test_a_refusal_without_reason_is_refused_beside_the_field(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["coordinator"])
    url = reverse("communities:letter", args=[people["nord"].pk])
    client.post(
        url, {"action": "file", "file-filed_on": "2024-01-05", "file-summary": "Notre projet"}
    )
    client.force_login(people["ars"])
    response = client.post(
        url, {"action": "decide", "decide-decision": "refuse", "decide-decided_on": "2024-02-01"}
    )
    assert "Un refus doit être motivé." in response.content.decode()
    assert LetterOfIntent.objects.get().status == "filed"


def test_a_rule_error_is_shown_and_nothing_is_saved(people: dict[str, Any], client: Client) -> None:
    client.force_login(people["cpam"])
    url = reverse("communities:contract", args=[people["nord"].pk])
    response = client.post(
        url,
        {
            "action": "sign",
            "sign-signed_on": "2024-01-15",
            "sign-community_signatory": "A",
            "sign-cpam_signatory": "B",
            "sign-ars_signatory": "C",
        },
    )
    assert (
        "Le contrat se signe après la validation du projet de santé par l&#x27;ARS."
        in response.content.decode()
    )
    assert not Contract.objects.exists()


def test_history_shows_who_when_before_and_after(
    contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["cpam"])
    access = contracted["contract"].missions.get(mission="access")
    response = client.post(
        reverse("communities:mission", args=[contracted["nord"].pk, access.pk]),
        {"started_on": "2023-03-01", "deployed_on": ""},
    )
    assert response.status_code == 302
    page = client.get(reverse("communities:history", args=[contracted["nord"].pk])).content.decode()
    assert "date de démarrage" in page
    assert "1 mars 2023" in page
    assert "cpam59" in page  # who


def test_dashboard_shows_the_state_the_money_and_what_to_do(
    contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["coordinator"])
    page = client.get(
        reverse("communities:dashboard", args=[contracted["nord"].pk])
    ).content.decode()
    for text in ("Contrat signé", "Prochaines échéances", "Démarrage : Accès aux soins", "Versé"):
        assert text in page


def test_the_list_is_paginated_and_searchable(people: dict[str, Any], client: Client) -> None:
    client.force_login(people["national"])
    page = client.get(reverse("communities:list"), {"q": "toulouse"}).content.decode()
    assert "CPTS Toulouse" in page
    assert "CPTS Nord" not in page


def test_an_indicator_is_added_with_its_referent_member_only_from_the_community(
    contracted: dict[str, Any], client: Client
) -> None:
    from cpts.communities.models import Member
    from cpts.contracts.models import Indicator

    ours = Member.objects.create(
        community=contracted["nord"], kind="professional", name="Dr Ours", rpps="10000000017"
    )
    theirs = Member.objects.create(
        community=contracted["pas_de_calais"],
        kind="professional",
        name="Dr Autre",
        rpps="10000000025",
    )
    client.force_login(contracted["coordinator"])
    url = reverse("communities:annex", args=[contracted["nord"].pk, 1])
    data = {
        "indicator-mission": "access",
        "indicator-action": "Permanence de soins non programmés",
        "indicator-label": "Créneaux ouverts au SAS",
        "indicator-kind": "done",
        "indicator-amount": "5000",
        "indicator-deliverables": "Planning\nCompte rendu",
    }
    refused = client.post(url, {**data, "indicator-referent": theirs.pk})
    assert "Sélectionnez un choix valide" in refused.content.decode()
    assert not Indicator.objects.exists()
    assert client.post(url, {**data, "indicator-referent": ours.pk}).status_code == 302
    indicator = Indicator.objects.get()
    assert indicator.referent == ours
    assert list(indicator.deliverables.values_list("label", flat=True)) == [
        "Planning",
        "Compte rendu",
    ]
