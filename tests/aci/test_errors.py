"""Impossible input raises one clear error naming the field and the rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from cpts.aci import (
    Achievement,
    ContractYearInput,
    DoneIndicator,
    GradedIndicator,
    InvalidInput,
    Mission,
    MissionInput,
    TargetIndicator,
    Tier,
    compute_contract_year,
    mission_deadlines,
)

SIGNED = dt.date(2023, 1, 15)


def _input(**changes: object) -> ContractYearInput:
    values: dict[str, object] = {"population": 50_000, "signed": SIGNED}
    values.update(changes)
    return ContractYearInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inputs", "field", "rule"),
    [
        (_input(population=-1), "population", "population.non_negative"),
        (_input(members=-3), "members", "members.non_negative"),
        (_input(signed=dt.date(2019, 8, 24)), "signed", "signed.after_entry_into_force"),
        (_input(contract_year=0), "contract_year", "contract_year.within_contract"),
        (_input(contract_year=6), "contract_year", "contract_year.within_contract"),
        (
            _input(
                missions=(
                    MissionInput(Mission.ACCESS, achievement=Achievement(ratio=Fraction(11, 10))),
                )
            ),
            "missions.access.achievement",
            "achievement.between_0_and_1",
        ),
        (
            _input(
                missions=(
                    MissionInput(
                        Mission.PREVENTION, achievement=Achievement(ratio=Fraction(-1, 10))
                    ),
                )
            ),
            "missions.prevention.achievement",
            "achievement.between_0_and_1",
        ),
        (
            _input(missions=(MissionInput(Mission.ACCESS, started=dt.date(2023, 1, 14)),)),
            "missions.access.started",
            "mission.started_after_signature",
        ),
        (_input(missions=(MissionInput("telemedicine"),)), "missions", "mission.known"),  # type: ignore[arg-type]
        (
            _input(missions=(MissionInput(Mission.ACCESS), MissionInput(Mission.ACCESS))),
            "missions.access",
            "mission.once",
        ),
        (
            _input(signed=dt.date(2020, 1, 1), missions=(MissionInput(Mission.CRISIS),)),
            "missions.crisis",
            "mission.exists_in_grid",
        ),
        (
            _input(
                signed=dt.date(2021, 6, 1),
                contract_year=2,
                missions=(MissionInput(Mission.CRISIS, started=dt.date(2022, 1, 1)),),
            ),
            "missions.crisis.started",
            "mission.started_after_it_exists",
        ),
        (
            _input(
                missions=(
                    MissionInput(Mission.CRISIS, achievement=Achievement(ratio=Fraction(1, 2))),
                )
            ),
            "missions.crisis.achievement",
            "crisis.no_result_objective",
        ),
        (
            _input(
                missions=(
                    MissionInput(
                        Mission.ACCESS,
                        achievement=Achievement(indicators=(DoneIndicator(True, Decimal(0)),)),
                    ),
                )
            ),
            "missions.access.achievement",
            "indicator.weights_not_all_zero",
        ),
        (
            _input(
                missions=(
                    MissionInput(
                        Mission.ACCESS,
                        achievement=Achievement(
                            indicators=(TargetIndicator(Decimal(-1), Decimal(10)),)
                        ),
                    ),
                )
            ),
            "missions.access.achievement.indicators[0]",
            "indicator.non_negative",
        ),
        (
            _input(
                missions=(
                    MissionInput(
                        Mission.ACCESS,
                        achievement=Achievement(indicators=(GradedIndicator(Decimal(3), ()),)),
                    ),
                )
            ),
            "missions.access.achievement.indicators[0]",
            "indicator.tiers",
        ),
    ],
)
def test_impossible_input_names_the_field_and_the_rule(
    inputs: ContractYearInput, field: str, rule: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_contract_year(inputs)
    assert raised.value.field == field
    assert raised.value.rule == rule
    assert raised.value.message  # a sentence in French for the user
    assert field in str(raised.value)
    assert rule in str(raised.value)


def test_deadlines_refuse_a_deployment_before_the_start() -> None:
    with pytest.raises(InvalidInput) as raised:
        mission_deadlines(
            SIGNED,
            SIGNED,
            {Mission.ACCESS: dt.date(2023, 3, 1)},
            {Mission.ACCESS: dt.date(2023, 2, 1)},
        )
    assert raised.value.rule == "mission.deployed_after_start"


def test_graded_tier_amounts_cannot_be_negative() -> None:
    indicator = GradedIndicator(Decimal(1), (Tier(Decimal(1), Decimal(-5)),))
    with pytest.raises(InvalidInput):
        indicator.achievement("x")
