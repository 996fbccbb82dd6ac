"""Proofs (type, size, who may read them), deadline reminders by e-mail, crisis plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cpts.contracts import services
from cpts.contracts.models import Deliverable, Indicator
from cpts.contracts.reminders import due_soon, send_reminders
from cpts.crises.models import CrisisPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(contracted: dict[str, Any]) -> Deliverable:
    indicator = Indicator.objects.create(
        contract=contracted["contract"], contract_year=1, mission="access", action="a", label="Réunions",
        kind="done", amount=Decimal(1000),
    )  # fmt: skip
    return Deliverable.objects.create(indicator=indicator, label="Feuille d'émargement")


def upload_url(contracted: dict[str, Any], item: Deliverable) -> str:
    return reverse("communities:deliverable", args=[contracted["nord"].pk, 1, item.pk])


def test_a_proof_of_a_refused_type_is_refused_and_nothing_saved(
    contracted: dict[str, Any],
    deliverable: Deliverable,
    client: Client,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(contracted["coordinator"])
    bad = SimpleUploadedFile("script.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(upload_url(contracted, deliverable), {"ticked": "on", "proof": bad})
    assert "Type de fichier refusé (.exe)" in response.content.decode()
    deliverable.refresh_from_db()
    assert (deliverable.ticked, bool(deliverable.proof)) == (False, False)


def test_a_proof_too_large_is_refused(
    contracted: dict[str, Any],
    deliverable: Deliverable,
    client: Client,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PROOF_MAX_BYTES = 10
    client.force_login(contracted["coordinator"])
    big = SimpleUploadedFile(
        "cr.pdf", b"%PDF-1.4 more than ten bytes", content_type="application/pdf"
    )
    response = client.post(upload_url(contracted, deliverable), {"ticked": "on", "proof": big})
    assert "Fichier trop volumineux" in response.content.decode()


def test_a_proof_is_readable_by_the_community_its_cpam_and_its_ars_only(
    contracted: dict[str, Any],
    deliverable: Deliverable,
    client: Client,
    settings: Any,
    tmp_path: Any,
    make_user: Any,
) -> None:
    from cpts.accounts.models import Role

    settings.MEDIA_ROOT = tmp_path
    client.force_login(contracted["coordinator"])
    pdf = SimpleUploadedFile("emargement.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    assert (
        client.post(upload_url(contracted, deliverable), {"ticked": "on", "proof": pdf}).status_code
        == 302
    )
    deliverable.refresh_from_db()
    assert deliverable.ticked
    url = reverse("communities:proof", args=[contracted["nord"].pk, 1, deliverable.pk])
    other_cpam = make_user("cpam62", Role.CPAM, departements=["62"])
    for user, status in (
        (contracted["coordinator"], 200),
        (contracted["cpam"], 200),
        (contracted["ars"], 200),
        (contracted["national"], 404),
        (contracted["facilitator"], 404),
        (other_cpam, 404),
        (contracted["ars_occitanie"], 404),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user.username
        if status == 200:
            assert b"".join(response.streaming_content) == b"%PDF-1.4 proof"


def test_reminders_of_deadlines_within_30_days_are_e_mailed(contracted: dict[str, Any]) -> None:
    contracted["coordinator"].email = "coordination@cpts-nord.example"
    contracted["coordinator"].save()
    # signed 15/01/2023: the access mission must start by 15/07/2023 (6 months)
    assert [r.label for r in due_soon(dt.date(2023, 6, 20))] == [
        "démarrage de la mission « Accès aux soins »",
        "démarrage de la mission « Réponse aux crises sanitaires graves »",
        "rédaction du plan de crise",  # no plan yet: due when the crisis mission must start
    ]
    assert due_soon(dt.date(2023, 6, 1)) == []  # 44 days before: not yet
    assert send_reminders(dt.date(2023, 6, 20)) == 1
    assert mail.outbox[0].to == ["coordination@cpts-nord.example"]
    assert "15/07/2023 : démarrage de la mission « Accès aux soins »" in mail.outbox[0].body
    access = contracted["contract"].missions.get(mission="access")
    services.record_mission(access, contracted["cpam"], dt.date(2023, 6, 1), None)
    assert [r.label for r in due_soon(dt.date(2023, 6, 20))] == [
        "démarrage de la mission « Réponse aux crises sanitaires graves »",
        "rédaction du plan de crise",
    ]


def test_a_crisis_plan_is_adopted_then_updated(contracted: dict[str, Any], client: Client) -> None:
    client.force_login(contracted["coordinator"])
    url = reverse("communities:crisis_plans", args=[contracted["nord"].pk])
    data = {
        "year": "2023",
        "adopted_on": "2023-06-01",
        "typologies": ["epidemic", "climate"],
        "axis_actions": "Cellule de crise",
        "axis_coordination_medico_social": "Liste des personnes fragiles",
        "axis_coordination_hospitals": "Lien avec le GHT",
        "axis_information_professionals": "Messagerie sécurisée",
        "axis_information_population": "Site et réseaux sociaux",
    }
    assert client.post(url, data).status_code == 302
    refused = client.post(url, data).content.decode()  # nothing changed: not a new version
    assert (
        "Rien n&#x27;a changé par rapport à la version en vigueur (plan 2023, version 1)" in refused
    )
    update = {**data, "adopted_on": "2023-09-01", "axis_actions": "Cellule de crise et astreinte"}
    assert client.post(url, update).status_code == 302
    assert list(CrisisPlan.objects.values_list("year", "version")) == [(2023, 1), (2023, 2)]
    for plan in CrisisPlan.objects.all():  # each version shows its five axes, in order
        page = client.get(
            reverse("communities:crisis_plan", args=[contracted["nord"].pk, plan.pk])
        ).content.decode()
        for number, (label, text) in enumerate(
            [
                ("Modalités d&#x27;action adaptées au territoire", "Cellule de crise"),
                ("Coordination ville et médico-social", "Liste des personnes fragiles"),
                ("Coordination secteur ambulatoire et établissements", "Lien avec le GHT"),
                ("Information des professionnels de santé", "Messagerie sécurisée"),
                ("Information de la population", "Site et réseaux sociaux"),
            ],
            start=1,
        ):
            assert f"Axe {number}. {label}" in page
            assert text in page
    response = client.post(url, {**data, "typologies": []})
    assert "Ce champ est obligatoire." in response.content.decode()
    assert CrisisPlan.objects.count() == 2
    client.force_login(contracted["national"])
    assert client.post(url, data).status_code == 403
