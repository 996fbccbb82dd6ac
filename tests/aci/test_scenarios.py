"""The scenario files: every line and the total, to the cent, as computed by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cpts.aci import INCREASE, compute_contract_year

from .scenario_loader import build_input, load_cases

CASES = load_cases()


def test_there_are_scenarios_for_every_size_and_both_grids() -> None:
    seen = {(case["expect"]["size_class"], case["expect"]["grid"]) for _, case in CASES}
    assert {(size, grid) for size in (1, 2, 3, 4) for grid in ("aci-2019", "avenant-2")} <= seen


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_scenario(case: dict[str, Any]) -> None:
    result = compute_contract_year(build_input(case["input"]))
    expected = case["expect"]
    assert result.size_class == expected["size_class"]
    assert result.grid == expected["grid"]
    assert {code: str(amount) for code, amount in result.amounts().items()} == {
        code: f"{Decimal(str(amount)):.2f}" for code, amount in expected["lines"].items()
    }
    assert result.total == Decimal(str(expected["total"]))
    if INCREASE in result.amounts():
        increase = result.line(INCREASE)
        assert increase.amount == sum(line.amount for line in result.increase_lines)
        assert increase.amount == sum(result.increase_on(line) for line in result.lines)
        if "increase" in expected:
            assert {line.code: str(line.amount) for line in result.increase_lines} == {
                code: f"{Decimal(str(amount)):.2f}" for code, amount in expected["increase"].items()
            }
    else:
        assert "increase" not in expected
        assert all(result.increase_on(line) == 0 for line in result.lines)
    for line in result.lines:
        assert line.reference, f"{line.code} has no reference"
        assert line.explanation()
