"""The community's functioning (ACI art. 7.2 and 8; avenant 2, art. 4).

A yearly amount per size class, and once, for the contracts signed before the date set by
avenant 2 (``functioning.additional_eligibility``), an additional functioning amount.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from .calendar import ContractYear, contract_year
from .lines import Line, parameter_line
from .parameters import ParameterTree

# Stable line codes (public: CLI, API, stored explanations of payments).
FUNCTIONING = "functioning"
ADDITIONAL_FUNCTIONING = "additional_functioning"


@lru_cache(maxsize=65536)
def additional_functioning_year(signed: dt.date, tree: ParameterTree) -> int | None:
    """The contract year for which the additional functioning is due, or None if not eligible
    (avenant 2, art. 4).

    Eligible: contracts signed before ``functioning.additional_eligibility.signed_before``
    (communities that adhered in 2019, 2020 and 2021 included). Paid once, for the first
    contract year that starts on or after ``paid_in_first_contract_year_from``.
    """
    first = tree.parameter("functioning.additional_eligibility.signed_before").dates[0]
    day = max(signed, first)
    limit = dt.date.fromisoformat(
        tree.at("functioning.additional_eligibility.signed_before", day).text()
    )
    if signed >= limit:
        return None
    start = dt.date.fromisoformat(
        tree.at("functioning.additional_eligibility.paid_in_first_contract_year_from", day).text()
    )
    number = 1
    while contract_year(signed, number).start < start:
        number += 1
    return number


def functioning_lines(
    signed: dt.date, year: ContractYear, key: str, grid: str, tree: ParameterTree
) -> list[Line]:
    """The functioning of the contract year (ACI art. 7.2 and 8) and, in the year it is due, the
    additional functioning (avenant 2, art. 4)."""
    lines = [
        parameter_line(
            FUNCTIONING,
            tree.label("functioning.base"),
            tree.at(f"functioning.base.{key}", year.start),
            grid,
        )
    ]
    if additional_functioning_year(signed, tree) == year.number:
        lines.append(
            parameter_line(
                ADDITIONAL_FUNCTIONING,
                tree.label("functioning.additional"),
                tree.at(f"functioning.additional.{key}", year.start),
                grid,
            )
        )
    return lines


def full_functioning_lines(key: str, day: dt.date, grid: str, tree: ParameterTree) -> list[Line]:
    """The functioning and, where the grid has it, the additional functioning in force on ``day``
    (ACI art. 7.2 and 8; avenant 2, art. 4)."""
    lines = [
        parameter_line(
            FUNCTIONING,
            tree.label("functioning.base"),
            tree.at(f"functioning.base.{key}", day),
            grid,
        )
    ]
    additional = tree.maybe_at(f"functioning.additional.{key}", day)
    if additional is not None:
        lines.append(
            parameter_line(
                ADDITIONAL_FUNCTIONING, tree.label("functioning.additional"), additional, grid
            )
        )
    return lines
