"""Contract years, payment schedules, deadlines and the accélérateur."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cpts.aci import (
    ContractYearInput,
    Mission,
    MissionInput,
    Status,
    accelerator,
    add_months,
    contract_year,
    mission_deadlines,
    payment_schedule,
)
from cpts.aci.calendar import year_of


def test_contract_years_follow_the_anniversary() -> None:
    year = contract_year(dt.date(2022, 6, 1), 2)
    assert (year.start, year.last_day, year.days) == (
        dt.date(2023, 6, 1),
        dt.date(2024, 5, 31),
        366,
    )
    assert year_of(dt.date(2022, 6, 1), dt.date(2024, 5, 31)) == 2
    assert year_of(dt.date(2022, 6, 1), dt.date(2024, 6, 1)) == 3


def test_add_months_clamps_to_the_end_of_month() -> None:
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert contract_year(dt.date(2024, 2, 29), 2).start == dt.date(2025, 2, 28)


def test_first_year_schedule_functioning_at_signature_mission_advance_then_balance() -> None:
    plan = payment_schedule(
        ContractYearInput(
            population=100_000,
            signed=dt.date(2023, 1, 15),
            missions=(MissionInput(Mission.ACCESS, dt.date(2023, 7, 15)),),
        )
    )
    rows = [(p.due, p.kind, p.amount) for p in plan.payments]
    assert rows == [
        (dt.date(2023, 1, 15), "functioning", Decimal("75000.00")),
        # 75 % of the prorated fixed part 45 369,86 € = 34 027,395 -> 34 027,40 €
        (dt.date(2023, 7, 15), "mission_start", Decimal("34027.40")),
        (dt.date(2024, 1, 15), "balance", Decimal("46342.46")),
    ]
    assert plan.total == plan.result.total == Decimal("155369.86")


def test_later_year_schedule_advance_crisis_within_a_month_and_balance() -> None:
    plan = payment_schedule(
        ContractYearInput(
            population=100_000,
            signed=dt.date(2023, 1, 15),
            contract_year=2,
            missions=(
                MissionInput(Mission.ACCESS, dt.date(2023, 1, 15)),
                MissionInput(Mission.CRISIS, dt.date(2023, 3, 1)),
            ),
            crises=(dt.date(2024, 2, 10),),
        )
    )
    rows = [(p.due, p.kind, p.amount) for p in plan.payments]
    # advance: 75 % × (75 000 functioning + 90 000 access fixed + 22 500 crisis fixed) = 140 625
    assert rows == [
        (dt.date(2024, 1, 15), "advance", Decimal("140625.00")),
        (dt.date(2024, 3, 10), "crisis", Decimal("67500.00")),
        (dt.date(2025, 1, 15), "balance", Decimal("81875.00")),
    ]
    assert plan.total == Decimal("290000.00")


def test_the_increase_is_advanced_with_the_fixed_parts() -> None:
    plan = payment_schedule(
        ContractYearInput(
            population=200_000,
            members=100,
            signed=dt.date(2023, 1, 15),
            contract_year=2,
            missions=(MissionInput(Mission.PATHWAYS, dt.date(2023, 1, 15)),),
        )
    )
    advance = plan.payments[0]
    # 75 % × (90 000 + 50 000) + 75 % × 10 % × 50 000 = 105 000 + 3 750
    assert (advance.kind, advance.amount) == ("advance", Decimal("108750.00"))
    assert plan.total == plan.result.total == Decimal("200000.00")


def test_deadlines_and_their_status() -> None:
    items = {
        item.mission: item
        for item in mission_deadlines(
            dt.date(2021, 3, 1),
            dt.date(2022, 12, 1),
            started={Mission.ACCESS: dt.date(2021, 10, 1), Mission.PATHWAYS: dt.date(2022, 2, 1)},
            deployed={Mission.PATHWAYS: dt.date(2022, 11, 30)},
        )
    }
    assert set(items) == {Mission.ACCESS, Mission.PATHWAYS, Mission.PREVENTION, Mission.CRISIS}
    access = items[Mission.ACCESS]
    assert (access.start_due, access.deployment_due) == (dt.date(2021, 9, 1), dt.date(2022, 9, 1))
    assert access.start_status is Status.DONE_LATE
    assert access.deployment_status is Status.OVERDUE
    assert items[Mission.PATHWAYS].start_status is Status.DONE
    assert items[Mission.PATHWAYS].deployment_status is Status.DONE
    assert items[Mission.PREVENTION].start_status is Status.OVERDUE
    # the crisis mission did not exist at the signature: counted from avenant 2
    crisis = items[Mission.CRISIS]
    assert crisis.counted_from == dt.date(2022, 4, 1)
    assert (crisis.start_due, crisis.start_status) == (dt.date(2022, 10, 1), Status.OVERDUE)
    assert crisis.deployment_status is Status.PENDING


def test_no_crisis_deadline_for_a_contract_under_the_2019_rules_before_avenant_2() -> None:
    items = mission_deadlines(dt.date(2020, 1, 1), dt.date(2020, 6, 1))
    crisis = next(item for item in items if item.mission is Mission.CRISIS)
    assert crisis.counted_from == dt.date(2022, 4, 1)
    assert crisis.start_status is Status.PENDING


def test_accelerator_amount_and_deadline() -> None:
    result = accelerator(175_001, dt.date(2024, 2, 29))
    assert (result.eligible, result.size_class, result.amount) == (True, 4, Decimal("30000.00"))
    assert result.health_project_due == dt.date(2024, 11, 29)


def test_accelerator_gives_every_reason_of_refusal() -> None:
    result = accelerator(
        30_000,
        dt.date(2022, 3, 31),
        association=False,
        letter_of_intent_validated=False,
        contract_signed=True,
        core_mission_started=False,
    )
    assert not result.eligible
    assert result.amount == 0
    assert len(result.reasons) == 5
    assert "Avenant 2 à l'ACI CPTS, art. 5.1" in result.reasons[0]  # from the parameter file
