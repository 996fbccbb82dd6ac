"""The « Pilotage » page: who may open it, filters in and out of scope, bad filters, DSFR markup."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role

pytestmark = pytest.mark.django_db

URL = "/pilotage/"


def get(client: Client, user: Any, **params: str) -> Any:
    client.force_login(user)
    return client.get(URL, params)


def test_the_url_is_named() -> None:
    assert reverse("steering:dashboard") == URL


@pytest.mark.parametrize("role", ["national", "admin", "ars", "cpam", "facilitator"])
def test_steering_roles_open_the_page_with_its_navigation_entry(
    client: Client, contracted: dict[str, Any], role: str
) -> None:
    response = get(client, contracted[role])
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{URL}"' in html
    assert ">Pilotage<" in html
    assert "<caption>CPTS par stade" in html
    assert 'role="img"' in html
    assert "<svg" in html
    assert '<th scope="col">' in html
    assert "Population couverte au premier jour de chaque mois" in html


def test_a_coordinator_is_sent_to_its_community(client: Client, contracted: dict[str, Any]) -> None:
    response = get(client, contracted["coordinator"])
    assert response.status_code == 302
    assert response["Location"] == reverse("communities:dashboard", args=[contracted["nord"].pk])
    assert ">Pilotage<" not in client.get(response["Location"]).content.decode()


def test_a_sas_regulation_has_no_steering(client: Client, make_user: Any, geography: None) -> None:
    regulator = make_user("regul", Role.REGULATOR, departements=["59"])
    assert get(client, regulator).status_code == 404


def test_the_national_page_counts_every_community(
    client: Client, contracted: dict[str, Any]
) -> None:
    html = get(client, contracted["national"]).content.decode()
    assert "France entière" in html
    assert " 3 CPTS," in html


def test_an_ars_never_reads_another_region(client: Client, contracted: dict[str, Any]) -> None:
    ars = contracted["ars"]  # Hauts-de-France
    html = get(client, ars).content.decode()
    assert " 2 CPTS," in html  # Nord and Pas-de-Calais, not Toulouse
    assert 'name="region"' not in html  # its region is fixed
    assert get(client, ars, region="76").status_code == 404
    assert get(client, ars, departement="31").status_code == 404
    assert get(client, ars, departement="62").status_code == 200


def test_a_cpam_reads_its_departements_only(client: Client, contracted: dict[str, Any]) -> None:
    cpam = contracted["cpam"]  # Nord (59)
    assert " 1 CPTS," in get(client, cpam).content.decode()
    assert get(client, cpam, departement="62").status_code == 404
    assert get(client, cpam, region="76").status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "deux-mille"}, "Sélectionnez un choix valide"),
        ({"year": "1990"}, "Sélectionnez un choix valide"),
        ({"size_class": "9"}, "Sélectionnez un choix valide"),
        ({"departement": "999"}, "Sélectionnez un choix valide"),
        ({"region": "76", "departement": "59"}, "appartient pas à la région choisie"),
    ],
)
def test_bad_filters_are_a_french_message(
    client: Client, contracted: dict[str, Any], params: dict[str, str], message: str
) -> None:
    response = get(client, contracted["national"], **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Filtres invalides" in html


def test_filters_narrow_the_page(client: Client, contracted: dict[str, Any]) -> None:
    html = get(client, contracted["national"], region="76", year="2024").content.decode()
    assert "Occitanie" in html
    assert " 1 CPTS," in html
