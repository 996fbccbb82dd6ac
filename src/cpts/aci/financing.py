"""What a community is owed for one contract year (ACI art. 7 and 8; avenant 2, art. 4).

:func:`compute_contract_year` takes the facts of a contract year and assembles its lines, each
from the module of its legal concept: the functioning (:mod:`.functioning`), each mission's fixed
and variable parts (:mod:`.missions`, and :mod:`.crisis` for the crisis mission), and the
size-4 increase (:mod:`.increase`). Every line has its amount to the cent and everything that
explains it. When the amounts are paid: :mod:`.schedule` and :mod:`.settlement`.

The grid applied is the one in force on the first day of the contract year (``docs/rules.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .calendar import ContractYear, contract_year
from .crisis import crisis_lines, crisis_triggers, full_crisis_lines
from .errors import InvalidInput
from .functioning import (
    ADDITIONAL_FUNCTIONING,
    FUNCTIONING,
    additional_functioning_year,
    full_functioning_lines,
    functioning_lines,
)
from .increase import INCREASE, Increase, apply_increase, increase_rule
from .lines import Factor, Line
from .missions import (
    MISSION_ORDER,
    UNSCHEDULED_CARE,
    Mission,
    MissionInput,
    core_missions,
    full_mission_lines,
    mission_exists,
    mission_label,
    mission_lines,
)
from .money import ZERO, euros
from .parameters import ParameterTree, default_tree
from .size_class import SizeClass, size_class

__all__ = [
    "ADDITIONAL_FUNCTIONING",
    "FUNCTIONING",
    "INCREASE",
    "UNSCHEDULED_CARE",
    "ContractYearInput",
    "ContractYearResult",
    "Factor",
    "Line",
    "MissionInput",
    "additional_functioning_year",
    "compute_contract_year",
    "core_missions",
    "crisis_triggers",
    "first_valid_date",
    "grid_maximum",
    "mission_exists",
]


@dataclass(frozen=True, slots=True)
class ContractYearInput:
    """The facts of one contract year."""

    population: int
    signed: dt.date
    contract_year: int = 1
    members: int = 0
    missions: tuple[MissionInput, ...] = ()
    #: Dates on which the ARS declared (« caractérisé ») a serious health crisis concerning the
    #: community, over the whole contract (earlier ones matter: one payment covers the months
    #: of ``missions.crisis.retrigger_months``).
    crises: tuple[dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class ContractYearResult:
    """Every line of a contract year and their total."""

    inputs: ContractYearInput
    year: ContractYear
    size: SizeClass
    grid: str
    lines: tuple[Line, ...]
    #: The year's increase, where it applies: its line (in ``lines``) and each line's share.
    increase: Increase | None = None

    @property
    def size_class(self) -> int:
        return self.size.value

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def line(self, code: str) -> Line:
        for line in self.lines:
            if line.code == code:
                return line
        raise KeyError(code)

    def amounts(self) -> dict[str, Decimal]:
        return {line.code: line.amount for line in self.lines}

    def increase_on(self, line: Line) -> Decimal:
        """The line's share of the year's increase (avenant 2, art. 4); zero when none."""
        return self.increase.share(line.code) if self.increase is not None else ZERO

    def with_increase(self, line: Line) -> Decimal:
        """The line's amount and its share of the increase."""
        return line.amount + self.increase_on(line)

    @property
    def increase_lines(self) -> tuple[Line, ...]:
        """The detail of the line ``size4_increase``: one line per mission
        (``<mission>.increase``), adding up to it; not counted again in the total."""
        return self.increase.mission_lines(self.lines) if self.increase is not None else ()

    def variable_parts(self) -> dict[str, Decimal]:
        """Each mission's variable part, its share of the increase included, by mission code
        (ACI art. 8; avenant 2, art. 4): what the indicators of the annex pay."""
        return {
            line.code.split(".", 1)[0]: self.with_increase(line)
            for line in self.lines
            if line.code.endswith(".variable")
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "population": self.size.population,
            "members": self.inputs.members,
            "signed": self.inputs.signed.isoformat(),
            "contract_year": self.year.number,
            "year_start": self.year.start.isoformat(),
            "year_end": self.year.last_day.isoformat(),
            "size_class": self.size_class,
            "size_class_explanation": self.size.explanation(),
            "grid": self.grid,
            "missions": [mission.mission.value for mission in self.inputs.missions],
            "total": euros(self.total),
            "lines": [
                {**line.to_dict(), "increase": euros(self.increase_on(line))} for line in self.lines
            ],
            "increase_lines": [line.to_dict() for line in self.increase_lines],
        }


def first_valid_date(tree: ParameterTree) -> dt.date:
    """The ACI's entry into force: the first date of the grid (arrêté du 21 août 2019)."""
    return tree.parameter("agreement.grid_version").dates[0]


def _validate(inputs: ContractYearInput, tree: ParameterTree) -> None:
    if (
        isinstance(inputs.members, bool)
        or not isinstance(inputs.members, int)
        or inputs.members < 0
    ):
        raise InvalidInput(
            "members",
            "members.non_negative",
            f"Le nombre de membres est un entier positif ou nul (reçu : {inputs.members}).",
        )
    start = first_valid_date(tree)
    if inputs.signed < start:
        raise InvalidInput(
            "signed",
            "signed.after_entry_into_force",
            f"Le contrat ne peut pas être signé le {inputs.signed:%d/%m/%Y} : l'ACI CPTS est entré en "
            f"vigueur le {start:%d/%m/%Y}.",
        )
    duration = tree.at("agreement.contract_duration_years", inputs.signed).integer()
    number = inputs.contract_year
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= duration:
        raise InvalidInput(
            "contract_year",
            "contract_year.within_contract",
            f"L'année contractuelle va de 1 à {duration} (durée du contrat) ; reçu : {number}.",
        )
    seen: set[Mission] = set()
    for mission_input in inputs.missions:
        if not isinstance(mission_input.mission, Mission):
            raise InvalidInput(
                "missions",
                "mission.known",
                f"Mission inconnue : {mission_input.mission!r} ; missions possibles : "
                + ", ".join(mission.value for mission in Mission)
                + ".",
            )
        if mission_input.mission in seen:
            raise InvalidInput(
                f"missions.{mission_input.mission.value}",
                "mission.once",
                f"La mission « {mission_label(mission_input.mission, tree)} » est indiquée deux "
                "fois.",
            )
        seen.add(mission_input.mission)


def compute_contract_year(
    inputs: ContractYearInput, tree: ParameterTree | None = None
) -> ContractYearResult:
    """Every amount due for one contract year, each explained (ACI art. 7 and 8; avenant 2,
    art. 4): functioning, missions in the order of the agreement, then the increase."""
    tree = tree or default_tree()
    _validate(inputs, tree)
    year = contract_year(inputs.signed, inputs.contract_year)
    day = year.start  # the grid in force at the start of the contract year applies all year
    grid = tree.at("agreement.grid_version", day).text()
    size = size_class(inputs.population, day, tree)

    lines = functioning_lines(inputs.signed, year, size.key, grid, tree)
    by_mission = {mission_input.mission: mission_input for mission_input in inputs.missions}
    for mission in MISSION_ORDER:
        if mission not in by_mission:
            continue
        if mission is Mission.CRISIS:
            lines += crisis_lines(
                by_mission[mission], inputs.signed, inputs.crises, year, size, grid, tree
            )
        else:
            lines += mission_lines(by_mission[mission], inputs.signed, year, size, grid, tree)

    rule = increase_rule(size.value, inputs.members, day, tree)
    increase = None
    if rule is not None:
        increase = apply_increase(lines, rule, grid, tree)
        lines.append(increase.line)
    return ContractYearResult(inputs, year, size, grid, tuple(lines), increase)


def grid_maximum(
    size_value: int, day: dt.date, members: int = 0, tree: ParameterTree | None = None
) -> Decimal:
    """The most a community of this size can receive in a year of the grid in force on ``day``
    (ACI art. 7 and 8; avenant 2, art. 4): the functioning and the additional functioning, every
    mission in full (crisis: first year and a declared crisis), and the increase where it
    applies — the lines of such a year, added up."""
    tree = tree or default_tree()
    key = f"size_{size_value}"
    grid = tree.at("agreement.grid_version", day).text()
    lines = full_functioning_lines(key, day, grid, tree)
    for mission in MISSION_ORDER:
        if not mission_exists(tree, mission, day):
            continue
        if mission is Mission.CRISIS:
            lines += full_crisis_lines(key, day, grid, tree)
        else:
            lines += full_mission_lines(mission, key, day, grid, tree)
    rule = increase_rule(size_value, members, day, tree)
    if rule is not None:
        lines.append(apply_increase(lines, rule, grid, tree).line)
    return sum((line.amount for line in lines), ZERO)
