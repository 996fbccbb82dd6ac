"""The plan's pages: the list with each version's changes, one version in full, what changed, the
print page; who may read them and who may write (other community: 404; national: reads, 403)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role
from cpts.crises.models import CrisisPlan
from cpts.crises.plans import adopt_plan

from .conftest import PLAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(adopt: Any) -> tuple[CrisisPlan, CrisisPlan]:
    first = adopt()
    second = adopt(
        year=2024,
        adopted_on=dt.date(2024, 3, 18),
        typologies=["epidemic", "climate", "supply"],
        axis_actions="Cellule de crise le mardi <b>matin</b>",
    )
    return first, second


def urls(plan: CrisisPlan, pk: int | None = None) -> dict[str, str]:
    pk = plan.community_id if pk is None else pk
    return {
        "plans": reverse("communities:crisis_plans", args=[pk]),
        "plan": reverse("communities:crisis_plan", args=[pk, plan.pk]),
        "changes": reverse("communities:crisis_plan_changes", args=[pk, plan.pk]),
        "print": reverse("communities:crisis_plan_print", args=[pk, plan.pk]),
    }


def test_the_list_shows_each_version_with_its_changes_and_a_pre_filled_form(
    versions: tuple[CrisisPlan, CrisisPlan], contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["coordinator"])
    page = client.get(urls(versions[1])["plans"]).content.decode()
    assert page.count('data-testid="crisis-plan-version"') == 2
    assert "Axe modifié : 1 ; typologie(s) ajoutée(s) : rupture d&#x27;approvisionnement" in page
    assert "Première version du plan." in page
    assert "Version en vigueur : plan 2024, version 1, adoptée le 18/03/2024." in page
    assert "Prochaine mise à jour annuelle au plus tard le 18/03/2025." in page
    # the form starts from the version in force, its text escaped
    assert "Cellule de crise le mardi &lt;b&gt;matin&lt;/b&gt;</textarea>" in page
    assert re.search(r'<input[^>]*value="supply"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="nrbc"[^>]*checked', page)


def test_what_changed_shows_the_words_removed_and_added(
    versions: tuple[CrisisPlan, CrisisPlan], contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["coordinator"])
    page = client.get(urls(versions[1])["changes"]).content.decode()
    assert (
        'Cellule de crise le <del><span class="fr-sr-only">supprimé : </span>lundi</del>'
        '<ins><span class="fr-sr-only">ajouté : </span>mardi &lt;b&gt;matin&lt;/b&gt;</ins>'
    ) in page
    assert "<b>matin</b>" not in page  # the user's text is never markup
    assert page.count(">inchangé</span>") == 4
    assert page.count(">modifié</span>") == 1
    assert "Ajoutée : rupture d&#x27;approvisionnement ou de l&#x27;offre de soins" in page
    first = client.get(urls(versions[0])["changes"]).content.decode()
    assert "C'est la première version du plan : rien à comparer." in first


def test_the_print_page_holds_the_whole_plan_and_no_navigation(
    versions: tuple[CrisisPlan, CrisisPlan], contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["coordinator"])
    page = client.get(urls(versions[0])["print"]).content.decode()
    assert "CPTS Nord" in page
    assert "<h1>Plan de crise 2023, version 1</h1>" in page
    assert "Adopté le</strong> 20/03/2023" in page
    assert "<li>Épidémie ou pandémie</li>" in page
    assert "<li>Événement climatique (canicule, grand froid, inondation)</li>" in page
    for number in range(1, 6):
        assert f"Axe {number}. " in page
    for text in ("Cellule de crise le lundi", "Lien avec le GHT", "Site et réseaux sociaux"):
        assert text in page
    assert "Imprimer ou enregistrer en PDF</button>" in page
    assert "cpts/print.js" in page
    assert "<script>" not in page  # the CSP allows no inline script
    for navigation in ("fr-sidemenu", "fr-header", "fr-breadcrumb"):
        assert navigation not in page


def test_another_community_s_coordinator_sees_nothing(
    versions: tuple[CrisisPlan, CrisisPlan],
    contracted: dict[str, Any],
    client: Client,
    make_user: Any,
) -> None:
    other = make_user("coord62", Role.COORDINATOR, community=contracted["pas_de_calais"])
    client.force_login(other)
    for url in urls(versions[1]).values():
        assert client.get(url).status_code == 404, url
    assert client.post(urls(versions[1])["plans"], {}).status_code == 404


def test_a_plan_under_another_community_s_address_is_not_found(
    versions: tuple[CrisisPlan, CrisisPlan],
    contracted: dict[str, Any],
    client: Client,
    make_user: Any,
) -> None:
    # the Pas-de-Calais's own plan, asked for under the Nord's address, and the reverse
    other = make_user("coord62", Role.COORDINATOR, community=contracted["pas_de_calais"])
    theirs = adopt_plan(contracted["pas_de_calais"], other, PLAN)
    client.force_login(contracted["coordinator"])
    for name, url in urls(theirs, pk=contracted["nord"].pk).items():
        if name != "plans":
            assert client.get(url).status_code == 404, url
    client.force_login(contracted["admin"])
    assert (
        client.get(urls(versions[0], pk=contracted["pas_de_calais"].pk)["plan"]).status_code == 404
    )
    assert client.get(urls(versions[0])["plan"]).status_code == 200


def test_the_national_viewer_reads_but_may_not_write(
    versions: tuple[CrisisPlan, CrisisPlan], contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["national"])
    for url in urls(versions[1]).values():
        assert client.get(url).status_code == 200, url
    page = client.get(urls(versions[1])["plans"]).content.decode()
    assert "Adopter le plan" not in page
    assert "<textarea" not in page
    data = {**PLAN, "year": "2024", "adopted_on": "2024-06-01", "typologies": ["epidemic"]}
    assert client.post(urls(versions[1])["plans"], data).status_code == 403
    assert CrisisPlan.objects.count() == 2


def test_bad_input_is_a_french_message_never_an_error(
    versions: tuple[CrisisPlan, CrisisPlan], contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["coordinator"])
    url = urls(versions[1])["plans"]
    same = {
        **{key: value for key, value in PLAN.items() if key.startswith("axis_")},
        "axis_actions": "Cellule de crise le mardi <b>matin</b>",
        "year": "2024",
        "adopted_on": "2024-06-01",
        "typologies": ["epidemic", "climate", "supply"],
    }
    response = client.post(url, same)
    assert response.status_code == 200
    assert "Rien n&#x27;a changé par rapport à la version en vigueur (plan 2024, version 1)" in (
        response.content.decode()
    )
    for bad in ({**same, "year": "abc"}, {**same, "typologies": ["volcano"]}, {}):
        assert client.post(url, bad).status_code == 200
    assert CrisisPlan.objects.count() == 2
