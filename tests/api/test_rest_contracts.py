"""Contracts, their recorded years, ledger entries and crises through the REST API: the scope of
each role, ISO dates, amounts as strings with two decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cpts.api.rest.schemas import amount
from cpts.contracts import services
from cpts.crises.models import Typology
from cpts.crises.services import declare_crisis
from tests.factories import regulator

from .rest import get


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("admin", True),
        ("national", True),
        ("cpam", True),
        ("ars", True),
        ("coordinator", True),
        ("facilitator", False),  # accompanies Pas-de-Calais only
        ("ars_occitanie", False),
    ],
)
def test_contracts_in_scope_only(contracted: dict[str, Any], role: str, sees: bool) -> None:
    contract = contracted["contract"]
    listed = get(contracted[role], "/contracts").json()
    detail = get(contracted[role], f"/contracts/{contract.pk}")
    if sees:
        assert [item["id"] for item in listed["items"]] == [contract.pk]
        assert detail.status_code == 200
    else:
        assert listed == {"count": 0, "limit": 50, "offset": 0, "items": []}
        assert detail.status_code == 404


def test_a_contract_with_its_recorded_years(contracted: dict[str, Any]) -> None:
    contract = contracted["contract"]
    body = get(contracted["cpam"], f"/contracts/{contract.pk}").json()
    assert body["community"] == contracted["nord"].pk
    assert (body["signed_on"], body["ends_on"], body["terminated_on"]) == (
        "2023-01-15",
        "2028-01-15",
        None,
    )
    assert (body["population"], body["size_class"], body["members"]) == (100_000, 3, 0)
    [year] = body["years"]  # year 1 is recorded at the signature
    assert (year["number"], year["start"], year["end"]) == (1, "2023-01-15", "2024-01-15")
    assert (year["closed"], year["total"]) == (False, None)


def test_contract_filters(contracted: dict[str, Any]) -> None:
    national = contracted["national"]
    nord = contracted["nord"].pk
    assert get(national, "/contracts", community=nord).json()["count"] == 1
    assert get(national, "/contracts", departement="62").json()["count"] == 0
    assert get(national, "/contracts", in_force_on="2023-01-14").json()["count"] == 0
    assert get(national, "/contracts", in_force_on="2023-01-15").json()["count"] == 1
    assert get(national, "/contracts", in_force_on="2028-01-15").json()["count"] == 0
    assert get(national, "/contracts", in_force_on="demain").status_code == 400


# --- Payments ----------------------------------------------------------------------------------


@pytest.fixture
def accelerated(people: dict[str, Any]) -> dict[str, Any]:
    """CPTS Nord granted the accélérateur on 1 June 2024 (100 000 inhabitants: 25 000 €, due)."""
    nord = people["nord"]
    letter = services.file_letter_of_intent(nord, people["coordinator"], dt.date(2024, 1, 5), "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
    services.grant_accelerator(nord, people["cpam"], dt.date(2024, 6, 1))
    return people


def test_a_payment_as_strings_and_iso_dates(accelerated: dict[str, Any]) -> None:
    body = get(accelerated["cpam"], "/payments").json()
    assert body["count"] == 1
    [entry] = body["items"]
    assert entry["community"] == accelerated["nord"].pk
    assert (entry["kind"], entry["amount"], entry["due_on"], entry["status"]) == (
        "accelerator",
        "25000.00",
        "2024-06-01",
        "due",
    )
    assert (entry["contract"], entry["contract_year"], entry["paid_on"]) == (None, None, None)


@pytest.mark.parametrize(
    ("role", "count"),
    [("admin", 1), ("national", 1), ("ars", 1), ("coordinator", 1), ("facilitator", 0)],
)
def test_payments_in_scope_only(accelerated: dict[str, Any], role: str, count: int) -> None:
    assert get(accelerated[role], "/payments").json()["count"] == count


def test_payment_filters(accelerated: dict[str, Any]) -> None:
    cpam = accelerated["cpam"]
    assert get(cpam, "/payments", kind="accelerator", status="due").json()["count"] == 1
    assert get(cpam, "/payments", kind="balance").json()["count"] == 0
    assert get(cpam, "/payments", due_from="2024-06-02").json()["count"] == 0
    assert get(cpam, "/payments", due_to="2024-06-01").json()["count"] == 1
    bad_kind = get(cpam, "/payments", kind="gift")
    assert bad_kind.status_code == 400
    assert bad_kind.json()["errors"][0]["parameter"] == "kind"
    backwards = get(cpam, "/payments", due_from="2024-07-01", due_to="2024-06-01")
    assert backwards.status_code == 400
    assert backwards.json()["detail"] == "« due_from » doit précéder ou égaler « due_to »."


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.5"), "1234.50"),
        (Decimal("-300"), "-300.00"),
        (Decimal("0.005"), "0.01"),  # half up, once
        (Decimal("12.34"), "12.34"),
    ],
)
def test_amounts_are_strings_with_two_decimals(value: Decimal, text: str) -> None:
    assert amount(value) == text


# --- Crises ------------------------------------------------------------------------------------


@pytest.fixture
def crises(people: dict[str, Any]) -> dict[str, Any]:
    declare_crisis(people["ars"], dt.date(2025, 1, 10), Typology.EPIDEMIC, "Grippe du Nord")
    declare_crisis(
        people["ars_occitanie"], dt.date(2025, 7, 20), Typology.CLIMATE, "Canicule d'Occitanie"
    )
    return {**people, "regulator": regulator(["59"], username="sas59")}


@pytest.mark.parametrize(
    ("role", "titles"),
    [
        ("admin", ["Canicule d'Occitanie", "Grippe du Nord"]),
        ("national", ["Canicule d'Occitanie", "Grippe du Nord"]),
        ("ars", ["Grippe du Nord"]),
        ("cpam", ["Grippe du Nord"]),
        ("coordinator", ["Grippe du Nord"]),
        ("facilitator", ["Grippe du Nord"]),
        ("ars_occitanie", ["Canicule d'Occitanie"]),
        ("regulator", []),
    ],
)
def test_crises_of_the_regions_each_role_follows(
    crises: dict[str, Any], role: str, titles: list[str]
) -> None:
    body = get(crises[role], "/crises").json()
    assert [item["title"] for item in body["items"]] == titles


def test_a_crisis_and_its_filters(crises: dict[str, Any]) -> None:
    national = crises["national"]
    [crisis] = get(national, "/crises", typology="epidemic").json()["items"]
    assert (crisis["region"], crisis["declared_on"], crisis["departements"]) == (
        "32",
        "2025-01-10",
        [],
    )
    assert get(national, "/crises", region="76").json()["count"] == 1
    assert get(national, "/crises", declared_from="2025-02-01").json()["count"] == 1
    assert get(national, "/crises", typology="flood").status_code == 400


def test_the_finess_of_a_community_filters_every_list(accelerated: dict[str, Any]) -> None:
    """``finess`` names a community as ``community`` does, on each list that has one."""
    nord = accelerated["nord"]
    nord.finess = "590000014"
    nord.save()
    national = accelerated["national"]
    for path in ("/communities", "/payments"):
        assert get(national, path, finess="590000014").json()["count"] == 1, path
        assert get(national, path, finess="620000010").json()["count"] == 0, path
        bad = get(national, path, finess="5900")
        assert bad.status_code == 400
        assert bad.json()["errors"] == [{"parameter": "finess", "message": "format inattendu"}]


def test_a_contract_by_the_finess_of_its_community(contracted: dict[str, Any]) -> None:
    nord = contracted["nord"]
    nord.finess = "2A0000015"
    nord.save()
    national = contracted["national"]
    assert get(national, "/contracts", finess="2A0000015").json()["count"] == 1
    assert get(national, "/contracts", finess="590000014").json()["count"] == 0
