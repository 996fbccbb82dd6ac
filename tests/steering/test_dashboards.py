"""The steering dashboard's figures on a small fixture, against figures counted by hand, and the
scope of each role (an ARS never sees another region, a CPAM only its départements)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cpts.communities.models import Community
from cpts.contracts import engine, services, workflow
from cpts.contracts.models import Indicator, Payment
from cpts.crises.models import CrisisActivation, HealthCrisis
from cpts.steering import dashboards
from cpts.steering.dashboards import Filters
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def entry(
    community: Community, amount: str, kind: str, paid_on: str | None, **fields: Any
) -> Payment:
    return Payment.objects.create(
        community=community,
        kind=kind,
        label=kind,
        amount=Decimal(amount),
        due_on=dt.date.fromisoformat(paid_on or "2026-05-01"),
        paid_on=dt.date.fromisoformat(paid_on) if paid_on else None,
        status="paid" if paid_on else "due",
        explanation={},
        **fields,
    )


@pytest.fixture
def steering(contracted: dict[str, Any]) -> dict[str, Any]:
    """Hauts-de-France (32): CPTS Nord (59, contract signed 15/01/2023, core missions committed,
    none started), CPTS Pas-de-Calais (62, letter validated, accélérateur granted), CPTS Lens (62,
    nothing filed). Occitanie (76): CPTS Toulouse (31, letter filed). Entries booked by hand; a
    crisis in each region, Nord activated its plan; four indicators of Nord's year 1."""
    people = contracted
    nord, pdc, toulouse = people["nord"], people["pas_de_calais"], people["toulouse"]
    lens = CommunityFactory(name="CPTS Lens", departement_id="62")
    contract = people["contract"]
    letter = services.file_letter_of_intent(pdc, people["admin"], dt.date(2024, 1, 2), "Lettre")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 1, 10))
    grant = services.grant_accelerator(pdc, people["ars"], dt.date(2024, 3, 1))
    services.file_letter_of_intent(toulouse, people["admin"], dt.date(2025, 9, 1), "Lettre")
    engine.record_year(contract, 2)
    common = {"contract": contract}
    entry(nord, "10000.00", "advance", "2024-03-01", contract_year=1, **common)
    entry(nord, "5000.00", "advance", "2025-02-01", contract_year=2, **common)
    entry(nord, "-1200.00", "recovery", "2025-06-01", contract_year=1, **common)
    entry(nord, "3000.00", "functioning", None, contract_year=3, **common)
    entry(
        toulouse, "2000.00", "adjustment", "2025-05-01", reason="Test", created_by=people["admin"]
    )
    hdf = HealthCrisis.objects.create(
        region_id="32", declared_on=dt.date(2025, 3, 1), typology="epidemic",
        title="Épidémie HDF", declared_by=people["ars"],
    )  # fmt: skip
    occitanie = HealthCrisis.objects.create(
        region_id="76", declared_on=dt.date(2025, 7, 1), typology="climate",
        title="Canicule Occitanie", declared_by=people["ars_occitanie"],
    )  # fmt: skip
    CrisisActivation.objects.create(
        crisis=hdf, community=nord, activated_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
        activated_by=people["coordinator"],
    )  # fmt: skip
    for label, objective, value, lower in (
        ("Atteint", "50", "60", False),
        ("Manqué", "10", "5", False),
        ("Plus bas est mieux", "10", "5", True),
        ("Sans valeur", "10", None, False),
    ):
        indicator = services.add_indicator(
            contract, 1, people["cpam"],
            {"mission": "access", "action": "Action", "kind": "target", "label": label,
             "amount": Decimal(100), "objective": Decimal(objective), "lower_is_better": lower},
        )  # fmt: skip
        if value is not None:
            Indicator.objects.filter(pk=indicator.pk).update(measured_value=Decimal(value))
    return {**people, "lens": lens, "grant": grant, "hdf": hdf, "occitanie": occitanie}


def board(data: dict[str, Any], role: str, **filters: Any) -> dashboards.Dashboard:
    return dashboards.dashboard(data[role], Filters(**filters), TODAY)


def test_stages_in_bulk_are_those_of_stage_of(steering: dict[str, Any]) -> None:
    ids = list(Community.objects.values_list("pk", flat=True))
    bulk = workflow.stages_of(ids, TODAY)
    assert bulk == {pk: workflow.stage_of(Community.objects.get(pk=pk), TODAY) for pk in ids}
    for day in (dt.date(2022, 7, 1), dt.date(2023, 2, 1), dt.date(2028, 2, 1)):
        assert workflow.stages_of(ids, day) == {
            pk: workflow.stage_of(Community.objects.get(pk=pk), day) for pk in ids
        }


def test_national_figures_by_hand(steering: dict[str, Any]) -> None:
    figures = board(steering, "national")
    assert figures.communities == 4
    counts = {row.stage: row.count for row in figures.stages.rows}
    assert counts["contracted"] == 1  # Nord: missions committed, none deployed
    assert counts["letter_validated"] == 1  # Pas-de-Calais
    assert counts["letter_filed"] == 1  # Toulouse
    assert counts["project"] == 1  # Lens
    assert sum(counts.values()) == 4
    assert figures.stages.accelerator == 1
    assert (figures.stages.renewed, figures.stages.terminated) == (0, 0)

    money = figures.money
    contract = steering["contract"]
    # years 1 to 4 have started by 1 June 2026 (15/01/2023, 2024, 2025, 2026)
    expected = [engine.year_total(contract, number) for number in (1, 2, 3, 4)]
    assert money.years == 4
    assert money.committed == sum(expected)
    by_year = {row.key: row for row in money.by_year}
    assert [by_year[str(y)].committed for y in (2023, 2024, 2025, 2026)] == expected
    assert by_year["2024"].paid == Decimal("10000.00")
    assert by_year["2025"].paid == Decimal("7000.00")  # 5,000 (Nord) + 2,000 (Toulouse)
    assert by_year["2025"].recovered == Decimal("1200.00")
    by_region = {row.key: row for row in money.by_region}
    assert by_region["32"].paid == Decimal("15000.00")
    assert by_region["32"].recovered == Decimal("1200.00")
    assert by_region["76"].paid == Decimal("2000.00")
    assert by_region["76"].committed == 0
    by_size = {row.key: row for row in money.by_size_class}
    assert by_size["-"].paid == Decimal("2000.00")  # no contract year: Toulouse's entry
    size = str(contract.years.get(number=1).size_class)
    assert by_size[size].paid == Decimal("15000.00")
    assert by_size[size].committed == sum(expected)
    assert sum(row.committed for row in money.by_mission) == sum(expected)
    assert money.totals.paid == Decimal("15800.00")  # 10,000 + 5,000 − 1,200 + 2,000
    assert money.totals.due == Decimal("3000.00") + steering["grant"].amount

    overdue = [d for d in engine.open_deadlines(contract, TODAY) if d.status.value == "overdue"]
    assert len(figures.late) == len(overdue) > 0
    assert {row.community for row in figures.late} == {"CPTS Nord"}

    crises = {row.title: row for row in figures.crises}
    assert (crises["Épidémie HDF"].concerned, crises["Épidémie HDF"].activated) == (3, 1)
    assert (crises["Canicule Occitanie"].concerned, crises["Canicule Occitanie"].activated) == (
        1,
        0,
    )

    [access] = figures.indicators
    assert (access.mission, access.total, access.measured, access.met, access.not_met) == (
        "access", 4, 3, 2, 1,
    )  # fmt: skip


def test_year_and_size_filters(steering: dict[str, Any]) -> None:
    contract = steering["contract"]
    in_2024 = board(steering, "national", year=2024)
    assert in_2024.money.committed == engine.year_total(contract, 2)
    assert [row.key for row in in_2024.money.by_year] == ["2024"]
    assert in_2024.money.by_year[0].paid == Decimal("10000.00")
    assert in_2024.crises == []
    assert in_2024.indicators == []  # the indicators are year 1's (2023)
    assert board(steering, "national", year=2023).indicators[0].total == 4
    # sizes on the day from the communities' populations (100,000 each in the fixture)
    assert board(steering, "national", size_class=1).communities == 0


def test_an_ars_sees_its_region_only(steering: dict[str, Any]) -> None:
    figures = board(steering, "ars", region="32")
    assert figures.communities == 3
    assert {row.key for row in figures.money.by_region} == {"32"}
    assert [row.title for row in figures.crises] == ["Épidémie HDF"]
    assert figures.area.departements is not None
    assert "31" not in figures.area.departements
    assert dashboards.out_of_scope(steering["ars"], Filters(region="76"))
    assert dashboards.out_of_scope(steering["ars"], Filters(departement="31"))
    assert not dashboards.out_of_scope(steering["ars"], Filters(departement="62"))


def test_a_cpam_sees_its_departements_only(steering: dict[str, Any]) -> None:
    figures = board(steering, "cpam")
    assert figures.communities == 1
    assert figures.area.departements == frozenset({"59"})
    crisis = figures.crises[0]
    assert (crisis.title, crisis.concerned, crisis.activated) == ("Épidémie HDF", 1, 1)
    assert figures.money.by_region[0].paid == Decimal("15000.00")
    assert dashboards.out_of_scope(steering["cpam"], Filters(departement="62"))


def queries(user: Any, filters: Filters) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboards.dashboard(user, filters, TODAY)
    return len(captured)


def test_queries_do_not_grow_with_the_communities(steering: dict[str, Any]) -> None:
    national = steering["national"]
    dashboards.dashboard(national, Filters(), TODAY)  # the geography's arrays, once per process
    before = queries(national, Filters())
    assert before > 10  # every figure is read from the database
    for index in range(6):
        community = CommunityFactory(name=f"CPTS en plus {index}", departement_id="80")
        letter = services.file_letter_of_intent(
            community, steering["admin"], dt.date(2022, 1, 3), "Lettre"
        )
        services.decide_letter_of_intent(letter, steering["ars"], True, "", dt.date(2022, 2, 1))
        project = services.file_health_project(
            community, steering["admin"], dt.date(2022, 3, 1), "Projet"
        )
        services.decide_health_project(project, steering["ars"], True, "", dt.date(2022, 4, 1))
        services.sign_contract(
            community, steering["admin"], dt.date(2022, 5, 2),
            "A", "B", "C",
        )  # fmt: skip
    assert board(steering, "national").communities == 10
    assert queries(national, Filters()) == before
