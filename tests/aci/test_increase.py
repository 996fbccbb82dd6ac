"""The size-4 increase, produced once (avenant 2, art. 4) and added up everywhere else; every
label, reference and duration of an explanation taken from the parameter files."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

from cpts.aci import (
    INCREASE,
    Achievement,
    ContractYearInput,
    Mission,
    MissionInput,
    compute_contract_year,
    grid_maximum,
    payment_schedule,
)
from cpts.aci.parameters import PARAMETERS_DIR, ParameterTree, load_tree

SIGNED = dt.date(2023, 1, 15)


def size_4(members: int = 120, **changes: object) -> ContractYearInput:
    return ContractYearInput(
        population=200_000,
        signed=SIGNED,
        contract_year=2,
        members=members,
        missions=(
            MissionInput(Mission.ACCESS, achievement=Achievement.of(Decimal("0.5"))),
            MissionInput(Mission.CRISIS, SIGNED),
        ),
        crises=(dt.date(2024, 3, 1),),
    )


def test_one_increase_line_per_mission_adding_up_to_the_year_s_increase() -> None:
    result = compute_contract_year(size_4())
    increase = result.line(INCREASE)
    assert [(line.code, line.amount) for line in result.increase_lines] == [
        ("access.increase", Decimal("13500.00")),  # 10 % × (115 000 + 20 000)
        ("crisis.increase", Decimal("10000.00")),  # 10 % × (25 000 + 75 000)
    ]
    assert increase.amount == Decimal("23500.00")
    assert increase.amount == sum(line.amount for line in result.increase_lines)
    assert result.increase_on(result.line("access.variable")) == Decimal("2000.00")
    # the year's total counts the increase once
    assert result.total == sum(line.amount for line in result.lines)
    assert result.total == Decimal("90000") + 115000 + 20000 + 25000 + 75000 + 23500


def test_the_annex_and_the_schedule_add_the_shares_up() -> None:
    result = compute_contract_year(size_4())
    assert result.variable_parts() == {
        "access": Decimal("22000.00"),  # 20 000 + its share of the increase
        "crisis": Decimal("82500.00"),
    }
    plan = payment_schedule(size_4())
    crisis = next(payment for payment in plan.payments if payment.kind == "crisis")
    assert crisis.amount == Decimal("82500.00")
    advance = next(payment for payment in plan.payments if payment.kind == "advance")
    # 75 % × (90 000 + 115 000 + 11 500 + 25 000 + 2 500)
    assert advance.amount == Decimal("183000.00")
    assert plan.total == result.total


def test_no_increase_below_the_minimum_of_members() -> None:
    result = compute_contract_year(size_4(members=99))
    assert INCREASE not in result.amounts()
    assert result.increase_lines == ()
    assert all(result.increase_on(line) == 0 for line in result.lines)
    assert result.variable_parts()["access"] == Decimal("20000.00")


def test_the_grid_maximum_adds_up_the_lines_of_a_full_year() -> None:
    day = dt.date(2022, 4, 1)
    assert grid_maximum(4, day, members=100) - grid_maximum(4, day, members=0) == Decimal(
        "49000.00"
    )  # 10 % of the missions: 580 000 − 90 000 functioning


def _tree_with(tmp_path: Path, changes: dict[str, tuple[str, str]]) -> ParameterTree:
    """A copy of the parameter files where ``file: (old, new)`` replaces a text."""
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    for name, (old, new) in changes.items():
        file = target / name
        text = file.read_text(encoding="utf-8")
        assert old in text, (name, old)
        file.write_text(text.replace(old, new), encoding="utf-8")
    return load_tree(target)


def test_labels_references_and_durations_follow_the_parameter_files(tmp_path: Path) -> None:
    tree = _tree_with(
        tmp_path,
        {
            "increase/rate.yaml": ("value: 0.10", "value: 0.15"),
            "increase/minimum_members.yaml": ("value: 100", "value: 80"),
            "increase/index.yaml": ("short_label: Majoration", "short_label: Bonification"),
            "missions/crisis/retrigger_months.yaml": ("value: 12", "value: 6"),
            "missions/access/index.yaml": ("Accès aux soins", "Accès aux soins de premier recours"),
            "payment/advance_share.yaml": ("value: 0.75", "value: 0.8"),
            "payment/index.yaml": ("art. 9.1 ;", "art. 9.2 ;"),
        },
    )
    result = compute_contract_year(size_4(members=90), tree)
    increase = result.line(INCREASE)
    assert increase.label == "Bonification de 15 % (taille 4, au moins 80 membres)"
    assert result.increase_lines[0].label == "Bonification : Accès aux soins de premier recours"
    assert "15 %" in increase.explanation()
    assert result.line("access.fixed").label == "Accès aux soins de premier recours : part fixe"
    crisis = result.line("crisis.variable").explanation()
    assert "pour les 6 mois à venir" in crisis
    plan = payment_schedule(size_4(members=90), tree)
    advance = next(payment for payment in plan.payments if payment.kind == "advance")
    assert advance.label == "Avance de 80 % au début de l'année contractuelle"
    assert "art. 9.2" in advance.detail
    assert "6 mois à venir" in next(p.detail for p in plan.payments if p.kind == "crisis")
