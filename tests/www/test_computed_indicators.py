"""Screens of the computed indicators: the annex's button, values with their provenance, the
binding, the trend on the dashboard; permissions per role; never a 500 on bad claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role
from cpts.contracts.models import Indicator
from cpts.indicators.models import Computation
from tests.indicators.claims_data import write_claims

pytestmark = pytest.mark.django_db


@pytest.fixture
def claims_setting(settings: Any, claims_dir: Path) -> Path:
    settings.CLAIMS_DIR = claims_dir
    return claims_dir


def compute_url(data: dict[str, Any]) -> str:
    return reverse("communities:compute_indicators", args=[data["nord"].pk, 1])


def annex_url(data: dict[str, Any]) -> str:
    return reverse("communities:annex", args=[data["nord"].pk, 1])


def test_the_button_fills_the_values_shown_with_their_provenance(
    computable: dict[str, Any], claims_setting: Path, client: Client
) -> None:
    client.force_login(computable["cpam"])
    page = client.get(annex_url(computable)).content.decode()
    assert "Calculer les indicateurs depuis les données de l'Assurance Maladie" in page
    assert "pas encore calculé" in page
    response = client.post(compute_url(computable), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 valeur(s) modifiée(s)" in page
    assert "50,00&nbsp;%" in page or "50.00&nbsp;%" in page
    assert "par cpam59, données du 15/01/2023 au 14/01/2024, moteur DuckDB" in page
    detail = client.get(
        reverse("communities:indicator", args=[computable["nord"].pk, 1, computable["rate"].pk])
    ).content.decode()
    assert "données du 15/01/2023 au 14/01/2024" in detail


def test_a_get_is_refused_and_a_missing_folder_is_a_french_message(
    computable: dict[str, Any], settings: Any, tmp_path: Path, client: Client
) -> None:
    settings.CLAIMS_DIR = tmp_path / "absent"
    client.force_login(computable["coordinator"])
    assert client.get(compute_url(computable)).status_code == 405
    response = client.post(compute_url(computable), follow=True)
    assert response.status_code == 200
    assert "Les données de l&#x27;Assurance Maladie sont introuvables" in response.content.decode()
    assert not Computation.objects.exists()


def test_an_invalid_claims_folder_is_a_french_message(
    computable: dict[str, Any], settings: Any, tmp_path: Path, client: Client
) -> None:
    settings.CLAIMS_DIR = write_claims(tmp_path / "incomplete", skip=("ER_PRS_F",))
    client.force_login(computable["cpam"])
    response = client.post(compute_url(computable), follow=True)
    assert response.status_code == 200
    assert "ER_PRS_F" in response.content.decode()
    assert not Computation.objects.exists()
    assert Indicator.objects.get(pk=computable["rate"].pk).measured_value is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 302),
        ("cpam", 302),
        ("admin", 302),
        ("ars", 403),
        ("national", 403),
        ("facilitator", 404),  # accompanies another community
        ("coordinator_62", 404),
        ("cpam_31", 404),
    ],
)
def test_who_may_press_the_button(
    computable: dict[str, Any],
    claims_setting: Path,
    make_user: Any,
    client: Client,
    who: str,
    status: int,
) -> None:
    users = {
        "coordinator_62": lambda: make_user(
            "coord62", Role.COORDINATOR, community=computable["pas_de_calais"]
        ),
        "cpam_31": lambda: make_user("cpam31", Role.CPAM, departements=["31"]),
    }
    user = users[who]() if who in users else computable[who]
    client.force_login(user)
    response = client.post(compute_url(computable))
    assert response.status_code == status
    assert Computation.objects.exists() is (status == 302)
    if status in (403, 404):  # the refusal is a page of ours, in French, not Django's default
        text = response.content.decode()
        assert 'lang="fr"' in text
        assert ("Accès refusé" if status == 403 else "Page introuvable") in text
    page = client.get(annex_url(computable))
    if page.status_code == 200:
        shown = "Calculer les indicateurs depuis" in page.content.decode()
        assert shown is (status == 302)


def test_the_binding_is_chosen_on_the_indicator_page(
    computable: dict[str, Any], client: Client
) -> None:
    nord, rate = computable["nord"], computable["rate"]
    url = reverse("communities:indicator_bind", args=[nord.pk, 1, rate.pk])
    client.force_login(computable["coordinator"])
    response = client.post(url, {"binding-computed": "patients_16_with_gp:number"})
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.computed_measure == "number"
    response = client.post(url, {"binding-computed": "nonsense:percent"})
    assert response.status_code == 200  # the form again, with its French error
    client.force_login(computable["national"])
    assert client.post(url, {"binding-computed": ""}).status_code == 403


def test_an_indicator_is_bound_when_added_to_the_annex(
    computable: dict[str, Any], client: Client
) -> None:
    client.force_login(computable["coordinator"])
    response = client.post(
        annex_url(computable),
        {
            "indicator-mission": "access",
            "indicator-action": "Médecin traitant",
            "indicator-label": "Patients consommants",
            "indicator-kind": "target",
            "indicator-amount": "100",
            "indicator-objective": "2",
            "indicator-computed": "consumers:number",
        },
    )
    assert response.status_code == 302
    added = Indicator.objects.get(label="Patients consommants")
    assert (added.computed_code, added.computed_measure) == ("consumers", "number")


def test_the_dashboard_shows_the_trend_with_the_departement_and_the_nation(
    computable: dict[str, Any], claims_setting: Path, client: Client
) -> None:
    client.force_login(computable["ars"])
    dashboard = reverse("communities:dashboard", args=[computable["nord"].pk])
    assert "Indicateurs calculés" not in client.get(dashboard).content.decode()
    client.force_login(computable["cpam"])
    client.post(compute_url(computable))
    client.force_login(computable["ars"])  # reads it
    page = client.get(dashboard).content.decode()
    assert "Indicateurs calculés à partir des données de l'Assurance Maladie" in page
    rows = page.split('data-testid="trend-patients_16_with_gp"')[1].split("</tr>")[0]
    cells = [cell.split("</td>")[0] for cell in rows.split("<td>")[1:]]
    assert "du 15/01/2023 au 14/01/2024" in cells[0]
    assert cells[1].startswith("50,00\u00a0%")  # the CPTS: 1 of 2
    assert "1 sur 2" in cells[1]
    assert cells[2].startswith("66,67\u00a0%")  # the Nord: 2 of 3
    assert "Nord (59)" in cells[2]
    assert cells[3].startswith("50,00\u00a0%")  # France: 2 of 4
    consumers = page.split('data-testid="trend-consumers"')[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in consumers.split("<td>")[2:]][:1] == ["3"]
