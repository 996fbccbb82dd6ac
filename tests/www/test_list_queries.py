"""Screens read by many users at once (the load test's mix, benchmarks/load): their number of
queries does not grow with the number of rows shown, and the figures stay those of the
one-object functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cpts.communities.models import Community
from cpts.contracts import services, workflow


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/communautes/")
    assert response.status_code == 200
    return len(queries)


def _more_communities(people: dict[str, Any], count: int) -> None:
    """``count`` communities at various stages: a letter filed, validated, a project filed."""
    for number in range(count):
        community = Community.objects.create(
            name=f"CPTS supplémentaire {number}", departement_id="59", population=40_000
        )
        letter = services.file_letter_of_intent(
            community, people["admin"], dt.date(2024, 1, 10), "Lettre"
        )
        if number % 3 == 0:
            continue
        services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
        if number % 3 == 1:
            continue
        services.file_health_project(community, people["admin"], dt.date(2024, 5, 1), "Projet")


def test_the_communities_list_reads_a_page_in_a_constant_number_of_queries(
    contracted: dict[str, Any], client: Client
) -> None:
    client.force_login(contracted["national"])
    few = _list_queries(client)
    _more_communities(contracted, 9)
    assert _list_queries(client) == few  # one query per relation, not per row


def test_the_list_shows_the_stage_the_workflow_computes_for_each_community(
    contracted: dict[str, Any], client: Client
) -> None:
    _more_communities(contracted, 6)
    client.force_login(contracted["national"])
    rows = client.get("/communautes/").context["rows"]
    assert len(rows) == 9
    for row in rows:  # the prefetched path gives what the query path gives
        fresh = Community.objects.get(pk=row["community"].pk)
        assert row["state"] == workflow.stage_of(fresh).label
    states = {row["community"].name: row["state"] for row in rows}
    assert states["CPTS Nord"] == workflow.Stage.CONTRACTED.label
    assert states["CPTS supplémentaire 0"] == workflow.Stage.LETTER_FILED.label
    assert states["CPTS supplémentaire 1"] == workflow.Stage.LETTER_VALIDATED.label
    assert states["CPTS supplémentaire 2"] == workflow.Stage.PROJECT_FILED.label


def test_the_territory_overview_reads_the_perimeters_once(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["national"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/territoire/")
    assert response.status_code == 200
    reads = [q for q in queries.captured_queries if '"territory_perimeteritem"' in q["sql"]]
    assert len(reads) == 1  # totals, coverage by département, overlaps, white zones share it


def _reads_of(table: str, client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return sum(f'FROM "{table}"' in q["sql"] for q in queries.captured_queries)


def test_a_dashboard_and_a_contract_page_read_the_contract_years_once(
    contracted: dict[str, Any], client: Client
) -> None:
    # signed on 15 January 2023: four years begun, the first recorded at the signature
    client.force_login(contracted["national"])
    nord = contracted["nord"].pk
    assert _reads_of("contracts_contractyear", client, f"/communautes/{nord}/") == 1
    assert _reads_of("contracts_contractyear", client, f"/communautes/{nord}/contrat/") == 1
