"""Properties of the engine over random contract years (Hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from cpts.aci import (
    ADDITIONAL_FUNCTIONING,
    INCREASE,
    Achievement,
    ContractYearInput,
    Mission,
    MissionInput,
    compute_contract_year,
    contract_year,
    grid_maximum,
    mission_exists,
    payment_schedule,
)
from cpts.aci.parameters import default_tree

ACI_START = dt.date(2019, 8, 25)
ratios = st.fractions(min_value=0, max_value=1, max_denominator=1000)


@st.composite
def contract_years(draw: st.DrawFn, achievement: Fraction | None = None) -> ContractYearInput:
    signed = draw(st.dates(min_value=ACI_START, max_value=dt.date(2030, 12, 31)))
    number = draw(st.integers(min_value=1, max_value=5))
    year = contract_year(signed, number)
    available = [
        mission for mission in Mission if mission_exists(default_tree(), mission, year.start)
    ]
    chosen = draw(st.lists(st.sampled_from(available), unique=True))
    missions = []
    for mission in chosen:
        exists_from = default_tree().parameter(f"missions.core.{mission.value}").dates[0]
        earliest = max(signed, exists_from)
        started = draw(
            st.one_of(
                st.none(), st.dates(min_value=earliest, max_value=year.end + dt.timedelta(days=30))
            )
        )
        ratio = achievement if achievement is not None else draw(ratios)
        missions.append(
            MissionInput(
                mission,
                started,
                Achievement() if mission is Mission.CRISIS else Achievement(ratio=ratio),
            )
        )
    crises = draw(st.lists(st.dates(min_value=signed, max_value=year.end), max_size=3))
    return ContractYearInput(
        population=draw(st.integers(min_value=0, max_value=400_000)),
        members=draw(st.integers(min_value=0, max_value=300)),
        signed=signed,
        contract_year=number,
        missions=tuple(missions),
        crises=tuple(crises),
    )


@given(contract_years())
def test_no_amount_is_negative_and_every_amount_is_in_cents(inputs: ContractYearInput) -> None:
    result = compute_contract_year(inputs)
    for line in result.lines:
        assert line.amount >= 0
        assert line.amount == line.amount.quantize(Decimal("0.01"))


@given(contract_years())
def test_total_never_exceeds_the_grid_maximum_for_the_size(inputs: ContractYearInput) -> None:
    result = compute_contract_year(inputs)
    assert result.total <= grid_maximum(result.size_class, result.year.start, inputs.members)


@given(contract_years(), ratios, ratios)
@settings(max_examples=150)
def test_monotonic_in_achievement(
    inputs: ContractYearInput, first: Fraction, second: Fraction
) -> None:
    low, high = sorted((first, second))

    def with_ratio(ratio: Fraction) -> ContractYearInput:
        missions = tuple(
            MissionInput(
                m.mission,
                m.started,
                m.achievement if m.mission is Mission.CRISIS else Achievement(ratio=ratio),
            )
            for m in inputs.missions
        )
        return ContractYearInput(
            inputs.population,
            inputs.signed,
            inputs.contract_year,
            inputs.members,
            missions,
            inputs.crises,
        )

    assert (
        compute_contract_year(with_ratio(low)).total
        <= compute_contract_year(with_ratio(high)).total
    )


@given(contract_years())
def test_the_increase_never_touches_the_additional_functioning(inputs: ContractYearInput) -> None:
    result = compute_contract_year(inputs)
    amounts = result.amounts()
    if INCREASE in amounts:
        base = result.line(INCREASE).factors[0]
        assert ADDITIONAL_FUNCTIONING not in base.detail
        missions_total = sum((line.amount for line in result.lines if "." in line.code), Decimal(0))
        assert amounts[INCREASE] == (missions_total * Decimal("0.10")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        # Changing the additional functioning would not change the increase: it is not in its base.
        assert base.ratio == Fraction(missions_total)
        # Produced once: each line's share is 10 % of it to within a cent, the missions' lines add
        # the shares up, and the year's line adds the missions' lines up.
        for line in result.lines:
            exact = line.amount * Decimal("0.10") if "." in line.code else Decimal(0)
            assert abs(result.increase_on(line) - exact) < Decimal("0.01")
        parts = result.increase_lines
        assert amounts[INCREASE] == sum((part.amount for part in parts), Decimal(0))
        for part in parts:
            mission = part.code.split(".")[0]
            assert part.amount == sum(
                (
                    result.increase_on(line)
                    for line in result.lines
                    if line.code.startswith(f"{mission}.")
                ),
                Decimal(0),
            )
    else:
        assert all(result.increase_on(line) == 0 for line in result.lines)


@given(contract_years())
def test_the_payment_schedule_adds_up_to_the_total(inputs: ContractYearInput) -> None:
    plan = payment_schedule(inputs)
    assert plan.total == plan.result.total
    assert all(payment.amount >= 0 for payment in plan.payments)
    assert [payment.due for payment in plan.payments] == sorted(
        payment.due for payment in plan.payments
    )
