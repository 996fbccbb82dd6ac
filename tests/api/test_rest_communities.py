"""Communities through the REST API, role by role: the same scope as the screens (out of scope is
a 404), member identities only to whom may read them, perimeters by date, pages and filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpts.accounts.models import User
from cpts.communities.models import Member
from cpts.communities.perimeters import set_perimeter
from cpts.territory.models import Commune
from tests.factories import MemberFactory, regulator

from .rest import get, names

ALL = ["CPTS Nord", "CPTS Pas-de-Calais", "CPTS Toulouse"]

#: role → the communities it sees (Nord 59 and Pas-de-Calais 62 in Hauts-de-France 32, Toulouse
#: 31 in Occitanie 76); the facilitator accompanies Pas-de-Calais, the regulator works for 59.
SEEN = {
    "admin": ALL,
    "national": ALL,
    "cpam": ["CPTS Nord"],
    "ars": ["CPTS Nord", "CPTS Pas-de-Calais"],
    "ars_occitanie": ["CPTS Toulouse"],
    "coordinator": ["CPTS Nord"],
    "facilitator": ["CPTS Pas-de-Calais"],
    "regulator": ["CPTS Nord"],
}


@pytest.fixture
def everyone(people: dict[str, Any]) -> dict[str, Any]:
    return {**people, "regulator": regulator(["59"], username="sas59")}


@pytest.mark.parametrize("role", sorted(SEEN))
def test_each_role_lists_the_communities_of_its_scope(everyone: dict[str, Any], role: str) -> None:
    assert names(get(everyone[role], "/communities")) == SEEN[role]


@pytest.mark.parametrize("role", sorted(SEEN))
def test_a_community_out_of_scope_is_a_404(everyone: dict[str, Any], role: str) -> None:
    for key, name in [("nord", "CPTS Nord"), ("toulouse", "CPTS Toulouse")]:
        response = get(everyone[role], f"/communities/{everyone[key].pk}")
        if name in SEEN[role]:
            assert response.status_code == 200
            assert response.json()["name"] == name
        else:
            assert response.status_code == 404
            assert response.json()["detail"] == "Ressource introuvable, ou hors de votre périmètre."


def test_a_community_with_its_identifiers_and_codes(people: dict[str, Any]) -> None:
    nord = people["nord"]
    nord.finess, nord.siret, nord.created_on = "590000014", "12345678901234", dt.date(2021, 3, 4)
    nord.save()
    body = get(people["cpam"], f"/communities/{nord.pk}").json()
    assert body == {
        "id": nord.pk,
        "name": "CPTS Nord",
        "finess": "590000014",
        "siret": "12345678901234",
        "rna": None,
        "departement": "59",
        "region": "32",
        "population": 100_000,
        # 100 000 inhabitants: size 3 (thresholds 40 000, 80 000, 175 000; ACI art. 8)
        "size_class": 3,
        "created_on": "2021-03-04",
    }


def test_filters_by_region_departement_and_size(
    people: dict[str, Any], make_community: Any
) -> None:
    make_community("CPTS Lille petite", "59", population=30_000)
    national = people["national"]
    assert names(get(national, "/communities", region="76")) == ["CPTS Toulouse"]
    assert names(get(national, "/communities", departement="62")) == ["CPTS Pas-de-Calais"]
    assert names(get(national, "/communities", size_class=1)) == ["CPTS Lille petite"]
    assert names(get(national, "/communities", region="32", size_class=3)) == [
        "CPTS Nord",
        "CPTS Pas-de-Calais",
    ]
    # a well-formed code that names no region filters everything out
    assert names(get(national, "/communities", region="99")) == []


def test_pages_with_limit_and_offset(people: dict[str, Any]) -> None:
    first = get(people["admin"], "/communities", limit=2).json()
    assert (first["count"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [item["name"] for item in first["items"]] == ALL[:2]
    second = get(people["admin"], "/communities", limit=2, offset=2).json()
    assert [item["name"] for item in second["items"]] == ALL[2:]
    assert get(people["admin"], "/communities", offset=10).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"limit": 0}, "limit", "au moins 1"),
        ({"limit": 201}, "limit", "au plus 200"),
        ({"limit": "abc"}, "limit", "un nombre entier est attendu"),
        ({"offset": -1}, "offset", "au moins 0"),
        ({"offset": "9" * 5000}, "offset", ""),
        ({"region": "Nord"}, "region", "format inattendu"),
        ({"departement": "591"}, "departement", "format inattendu"),
        ({"size_class": 5}, "size_class", "au plus 4"),
    ],
)
def test_a_bad_parameter_is_a_400_in_french(
    people: dict[str, Any], params: dict[str, Any], parameter: str, message: str
) -> None:
    response = get(people["admin"], "/communities", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Requête invalide")
    assert [error["parameter"] for error in body["errors"]] == [parameter]
    assert message in body["errors"][0]["message"]


def test_a_huge_identifier_is_a_400_not_a_500(people: dict[str, Any]) -> None:
    assert get(people["admin"], f"/communities/{2**31}").status_code == 400
    assert get(people["admin"], "/communities/0").status_code == 400
    assert get(people["admin"], f"/communities/{2**31 - 1}").status_code == 404


# --- Members -----------------------------------------------------------------------------------


@pytest.fixture
def nord_members(everyone: dict[str, Any]) -> dict[str, Any]:
    nord = everyone["nord"]
    MemberFactory(community=nord, name="Dr A", profession="general_practitioner")
    MemberFactory(community=nord, name="Dr B", profession="general_practitioner")
    MemberFactory(community=nord, name="Mme C", profession="nurse")
    Member.objects.create(
        community=nord,
        kind="structure",
        name="Maison de santé",
        finess="590000014",
        structure_kind="msp",
    )
    return everyone


COUNTS = {
    "total": 4,
    "professionals": 3,
    "structures": 1,
    "by_profession": {"general_practitioner": 2, "nurse": 1},
    "by_structure_kind": {"msp": 1},
}


@pytest.mark.parametrize(
    ("role", "identities"),
    [
        ("admin", True),
        ("cpam", True),
        ("ars", True),
        ("coordinator", True),
        ("national", False),
        ("regulator", False),
    ],
)
def test_members_identities_only_to_whom_may_read_them(
    nord_members: dict[str, Any], role: str, identities: bool
) -> None:
    user: User = nord_members[role]
    body = get(user, f"/communities/{nord_members['nord'].pk}/members").json()
    assert body["counts"] == COUNTS
    assert body["identities"] is identities
    if identities:
        assert body["members"]["count"] == 4
        assert [m["name"] for m in body["members"]["items"]] == [
            "Dr A",
            "Dr B",
            "Maison de santé",
            "Mme C",
        ]
        structure = body["members"]["items"][2]
        assert (structure["kind"], structure["finess"], structure["rpps"]) == (
            "structure",
            "590000014",
            None,
        )
    else:
        assert body["members"] is None
        assert "Dr A" not in str(body)


def test_members_out_of_scope_are_a_404(nord_members: dict[str, Any]) -> None:
    response = get(nord_members["facilitator"], f"/communities/{nord_members['nord'].pk}/members")
    assert response.status_code == 404


def test_members_pages(nord_members: dict[str, Any]) -> None:
    body = get(
        nord_members["cpam"], f"/communities/{nord_members['nord'].pk}/members", limit=1, offset=1
    ).json()
    assert body["members"]["count"] == 4
    assert [m["name"] for m in body["members"]["items"]] == ["Dr B"]


# --- Perimeters --------------------------------------------------------------------------------


def test_the_perimeter_in_force_on_a_date(people: dict[str, Any]) -> None:
    nord = people["nord"]
    communes = {code: Commune.objects.get(code=code) for code in ("59350", "59009", "59512")}
    set_perimeter(nord, [communes["59350"]], dt.date(2022, 1, 1), user=people["admin"])
    set_perimeter(
        nord, [communes["59350"], communes["59009"]], dt.date(2024, 1, 1), user=people["admin"]
    )
    old = get(people["cpam"], f"/communities/{nord.pk}/perimeter", on="2023-06-30").json()
    assert (old["valid_from"], old["valid_to"], old["communes"]) == (
        "2022-01-01",
        "2024-01-01",
        ["59350"],
    )
    today = get(people["cpam"], f"/communities/{nord.pk}/perimeter").json()
    assert (today["valid_from"], today["valid_to"], today["communes"]) == (
        "2024-01-01",
        None,
        ["59009", "59350"],
    )
    before = get(people["cpam"], f"/communities/{nord.pk}/perimeter", on="2021-12-31")
    assert before.status_code == 404
    bad = get(people["cpam"], f"/communities/{nord.pk}/perimeter", on="31/12/2021")
    assert bad.status_code == 400
    assert bad.json()["errors"][0] == {
        "parameter": "on",
        "message": "une date AAAA-MM-JJ est attendue",
    }
    assert get(people["ars_occitanie"], f"/communities/{nord.pk}/perimeter").status_code == 404
