"""Annex indicators, indicators computed from the claims and SAS requests through the REST API:
values, provenance, filters, French 400s. The world: ``world`` in ``conftest.py`` (CPTS Nord's
year 1 filled from ``tests/indicators/claims_data.py``: 1 patient of 16 and over with a GP out
of 2, so 50 %; 3 patients who consumed care)."""

from __future__ import annotations

from typing import Any

from cpts.indicators.models import ComputedIndicator, Scope

from .rest import get


def test_an_annex_indicator_with_its_value_and_provenance(world: dict[str, Any]) -> None:
    rate = world["rate"]
    body = get(world["cpam"], f"/indicators/{rate.pk}").json()
    computed = ComputedIndicator.objects.get(
        computation__scope=Scope.COMMUNITY, code="patients_16_with_gp"
    )
    assert body["community"] == world["nord"].pk
    assert body["contract"] == world["contract"].pk
    assert (body["contract_year"], body["mission"], body["kind"]) == (1, "access", "target")
    assert (body["objective"], body["amount"], body["measured_value"]) == (
        "50.00",
        "1000.00",
        "50.00",
    )
    assert (body["source"], body["verdict"], body["evaluation_closed"]) == (
        "claims",
        "pending",
        False,
    )
    provenance = body["provenance"]
    assert provenance["engine"] == "duckdb"
    assert (provenance["computed_code"], provenance["computed_measure"]) == (
        "patients_16_with_gp",
        "percent",
    )
    assert provenance["computed_result"] == computed.pk
    assert (provenance["data_start"], provenance["data_end"]) == ("2023-01-15", "2024-01-14")


def test_indicator_filters(world: dict[str, Any]) -> None:
    national = world["national"]
    nord = world["nord"]
    nord.finess = "590000014"
    nord.save()
    labels = [item["label"] for item in get(national, "/indicators").json()["items"]]
    assert sorted(labels) == sorted([world["rate"].label, world["patients"].label])
    assert get(national, "/indicators", community=nord.pk).json()["count"] == 2
    assert get(national, "/indicators", finess="590000014").json()["count"] == 2
    assert get(national, "/indicators", finess="620000010").json()["count"] == 0
    assert get(national, "/indicators", contract_year=2).json()["count"] == 0
    assert get(national, "/indicators", verdict="pending").json()["count"] == 2
    assert get(national, "/indicators", verdict="accepted").json()["count"] == 0
    bad = get(national, "/indicators", finess="59-000")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"parameter": "finess", "message": "format inattendu"}]
    assert get(national, "/indicators", verdict="maybe").status_code == 400
    assert get(national, "/indicators", contract_year=0).json()["errors"][0]["message"] == (
        "la valeur doit être au moins 1"
    )


def test_computed_indicators_of_the_community_its_departement_and_the_nation(
    world: dict[str, Any],
) -> None:
    cpam = world["cpam"]
    body = get(cpam, "/computed-indicators", code="patients_16_with_gp").json()
    rows = {item["scope"]: item for item in body["items"]}
    assert set(rows) == {"community", "departement", "national"}
    mine = rows["community"]
    assert (mine["numerator"], mine["denominator"], mine["value"]) == (1, 2, "0.5000")
    assert (mine["start"], mine["end"], mine["engine"]) == ("2023-01-15", "2024-01-14", "duckdb")
    assert mine["departement"] == "59"
    assert rows["national"]["departement"] is None
    # every row says which community's computation made it
    assert {item["community"] for item in body["items"]} == {world["nord"].pk}
    counts = get(cpam, "/computed-indicators", code="consumers", scope="community").json()
    [consumers] = counts["items"]
    assert (consumers["numerator"], consumers["denominator"], consumers["value"]) == (
        3,
        None,
        "3.0000",
    )


def test_computed_indicator_filters(world: dict[str, Any]) -> None:
    national = world["national"]
    total = get(national, "/computed-indicators", limit=200).json()["count"]
    assert total == ComputedIndicator.objects.count()
    assert get(national, "/computed-indicators", year=2023).json()["count"] == total
    assert get(national, "/computed-indicators", year=2024).json()["count"] == 0
    assert get(national, "/computed-indicators", community=world["nord"].pk).json()["count"] == (
        total
    )
    assert get(national, "/computed-indicators", community=world["toulouse"].pk).json() == {
        "count": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }
    assert get(national, "/computed-indicators", scope="region").status_code == 400
    assert get(national, "/computed-indicators", code="Pas un code").status_code == 400
    assert get(world["facilitator"], "/computed-indicators").json()["count"] == 0


# --- SAS requests ------------------------------------------------------------------------------


def test_a_sas_request_as_the_regulation_reads_it(world: dict[str, Any]) -> None:
    booked = world["booked"]
    body = get(world["regulator"], f"/sas/requests/{booked.pk}").json()
    assert (body["departement"], body["commune"], body["urgency"], body["channel"]) == (
        "59",
        "59350",
        "within_deadline",
        "browser",
    )
    assert body["outcome"] == "honoured"
    appointment = body["appointment"]
    assert (appointment["status"], appointment["community"]) == ("booked", world["nord"].pk)
    assert appointment["slot_start"] == "2023-05-02T12:00:00Z"  # 14:00 in Paris, summer time


def test_the_community_reads_its_booked_request_without_the_patients_commune(
    world: dict[str, Any],
) -> None:
    body = get(world["coordinator"], "/sas/requests").json()
    [item] = body["items"]
    assert item["id"] == world["booked"].pk
    assert item["commune"] is None
    assert item["departement"] == "59"
    assert body["by_outcome"] == {"honoured": 1}


def test_sas_request_filters_and_counts_by_outcome(world: dict[str, Any]) -> None:
    admin = world["admin"]
    everything = get(admin, "/sas/requests").json()
    assert everything["count"] == 3
    assert everything["by_outcome"] == {"": 2, "honoured": 1}
    # the most recent first: Arras (4 May), Roubaix (3 May), Lille (2 May)
    assert [item["id"] for item in everything["items"]] == [
        world["elsewhere"].pk,
        world["waiting"].pk,
        world["booked"].pk,
    ]
    assert get(admin, "/sas/requests", departement="62").json()["count"] == 1
    assert get(admin, "/sas/requests", community=world["nord"].pk).json()["count"] == 1
    assert get(admin, "/sas/requests", urgency="same_day").json()["count"] == 2
    assert get(admin, "/sas/requests", outcome="honoured").json()["count"] == 1
    assert get(admin, "/sas/requests", without_outcome=True).json()["count"] == 2
    assert get(admin, "/sas/requests", without_outcome=False).json()["count"] == 1
    assert get(admin, "/sas/requests", received_from="2023-05-03").json()["count"] == 2
    assert get(admin, "/sas/requests", received_to="2023-05-02").json()["count"] == 1
    backwards = get(admin, "/sas/requests", received_from="2023-05-04", received_to="2023-05-01")
    assert backwards.status_code == 400
    assert (
        backwards.json()["detail"] == "« received_from » doit précéder ou égaler « received_to »."
    )
    assert get(admin, "/sas/requests", outcome="lost").status_code == 400
    paged = get(admin, "/sas/requests", limit=1, offset=1).json()
    assert (paged["count"], [item["id"] for item in paged["items"]]) == (3, [world["waiting"].pk])
