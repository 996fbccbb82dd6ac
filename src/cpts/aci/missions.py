"""The missions and their fixed and variable parts (ACI art. 5 and 8; contrat type art. 6.2;
avenant 2, art. 4).

Each mission is paid a fixed part (means) and a variable part (the achievement of the objectives
set in the contract), per size class. A mission started during the contract year has its fixed
part paid pro rata temporis (contrat type, art. 6.2); whether the variable part is prorated too is
the parameter ``missions.proration.variable_part``. The crisis mission has rules of its own:
:mod:`.crisis`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from .calendar import ContractYear
from .errors import InvalidInput
from .indicators import Achievement
from .lines import Factor, Line, parameter_line
from .parameters import ParameterTree, default_tree
from .size_class import SizeClass

# Stable line code (public: CLI, API, stored explanations of payments).
UNSCHEDULED_CARE = "access.unscheduled_care"


class Mission(StrEnum):
    """Missions of a community (ACI art. 5; avenant 2 adds the crisis mission)."""

    ACCESS = "access"
    PATHWAYS = "pathways"
    PREVENTION = "prevention"
    CRISIS = "crisis"
    QUALITY = "quality"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        """The French name of the mission, from the parameter files shipped with the package."""
        return mission_label(self, default_tree())


@lru_cache(maxsize=1024)
def mission_label(mission: Mission, tree: ParameterTree) -> str:
    """The French name of a mission: the description of its node ``missions.<code>``."""
    return tree.description(f"missions.{mission.value}")


#: The order in which missions are listed everywhere (the order of the agreement).
MISSION_ORDER: tuple[Mission, ...] = tuple(Mission)


@dataclass(frozen=True, slots=True)
class MissionInput:
    """A mission of the contract: when it started and how far its objectives were reached.

    ``started`` None means "at the start of the contract year".
    """

    mission: Mission
    started: dt.date | None = None
    achievement: Achievement = field(default_factory=Achievement)


def mission_exists(tree: ParameterTree, mission: Mission, day: dt.date) -> bool:
    """Whether the grid in force on ``day`` has this mission (ACI art. 5; avenant 2 for the
    crisis mission): ``missions.core.<mission>`` has a value then."""
    return tree.maybe_at(f"missions.core.{mission.value}", day) is not None


def core_missions(day: dt.date, tree: ParameterTree | None = None) -> tuple[Mission, ...]:
    """The core (« socle ») missions in force on ``day`` (ACI art. 5; avenant 2)."""
    tree = tree or default_tree()
    found = []
    for mission in MISSION_ORDER:
        value = tree.maybe_at(f"missions.core.{mission.value}", day)
        if value is not None and value.boolean():
            found.append(mission)
    return tuple(found)


@lru_cache(maxsize=1024)
def part_label(mission: Mission, path: str, tree: ParameterTree) -> str:
    """« Accès aux soins : part fixe »: the mission's name and the part's short label."""
    return f"{mission_label(mission, tree)} : {tree.label(path)}"


class MissionPeriod(NamedTuple):
    """When a mission runs during a contract year, and the pro rata factors that follow."""

    started: dt.date
    not_started: bool  # starts after the year: nothing is due this year
    fixed_factors: tuple[Factor, ...]
    variable_factors: tuple[Factor, ...]
    note: str


def mission_period(
    mission_input: MissionInput,
    signed: dt.date,
    year: ContractYear,
    grid: str,
    tree: ParameterTree,
) -> MissionPeriod:
    """The mission's time in the contract year: the fixed part of a mission started during the
    year is prorated by its days (contrat type, art. 6.2; ``missions.proration``)."""
    mission = mission_input.mission
    where = f"missions.{mission.value}"
    day = year.start
    if not mission_exists(tree, mission, day):
        raise InvalidInput(
            where,
            "mission.exists_in_grid",
            f"La mission « {mission_label(mission, tree)} » n'existe pas dans la grille {grid} applicable à l'année "
            f"contractuelle qui commence le {day:%d/%m/%Y}.",
        )
    started = mission_input.started or year.start
    if started < signed:
        raise InvalidInput(
            f"{where}.started",
            "mission.started_after_signature",
            f"La mission « {mission_label(mission, tree)} » ne peut pas démarrer le {started:%d/%m/%Y}, avant la "
            f"signature du contrat ({signed:%d/%m/%Y}).",
        )
    exists_from = tree.parameter(f"missions.core.{mission.value}").dates[0]
    if started < exists_from:
        raise InvalidInput(
            f"{where}.started",
            "mission.started_after_it_exists",
            f"La mission « {mission_label(mission, tree)} » ne peut pas démarrer le {started:%d/%m/%Y} : elle n'existe "
            f"que depuis le {exists_from:%d/%m/%Y}.",
        )
    not_started = started >= year.end
    note = ""
    prorata: tuple[Factor, ...] = ()
    if started > year.start:
        days = max(0, (year.end - started).days)
        prorata = (
            Factor(
                tree.label("missions.proration"),
                Fraction(days, year.days),
                f"{days} jours de mission sur {year.days} jours de l'année contractuelle",
            ),
        )
        if not_started:
            note = f"Mission non démarrée pendant cette année contractuelle (démarrage le {started:%d/%m/%Y})."
    if not prorata:  # the whole year: nothing to prorate
        return MissionPeriod(started, not_started, (), (), note)
    prorate_fixed = not_started or tree.at("missions.proration.fixed_part", day).boolean()
    prorate_variable = not_started or tree.at("missions.proration.variable_part", day).boolean()
    return MissionPeriod(
        started=started,
        not_started=not_started,
        fixed_factors=prorata if prorate_fixed else (),
        variable_factors=prorata if prorate_variable else (),
        note=note,
    )


def mission_lines(
    mission_input: MissionInput,
    signed: dt.date,
    year: ContractYear,
    size: SizeClass,
    grid: str,
    tree: ParameterTree,
) -> list[Line]:
    """A mission's fixed part, the 2019 specific funding of unscheduled care for the access
    mission, and its variable part reached by the achievement of the objectives (ACI art. 8;
    avenant 2, art. 4; contrat type, art. 6.2)."""
    mission = mission_input.mission
    code = mission.value
    period = mission_period(mission_input, signed, year, grid, tree)
    achievement = mission_input.achievement.value(f"missions.{code}.achievement")
    day, key = year.start, size.key
    lines = [
        parameter_line(
            f"{code}.fixed",
            part_label(mission, f"missions.{code}.fixed", tree),
            tree.at(f"missions.{code}.fixed.{key}", day),
            grid,
            period.fixed_factors,
            period.note,
        )
    ]
    if mission is Mission.ACCESS:
        unscheduled = tree.maybe_at(f"missions.access.unscheduled_care.{key}", day)
        if unscheduled is not None:
            lines.append(
                parameter_line(
                    UNSCHEDULED_CARE,
                    part_label(mission, "missions.access.unscheduled_care", tree),
                    unscheduled,
                    grid,
                    period.fixed_factors,
                    period.note,
                )
            )
    achieved = Factor("atteinte des objectifs", achievement, "évaluation annuelle")
    lines.append(
        parameter_line(
            f"{code}.variable",
            part_label(mission, f"missions.{code}.variable", tree),
            tree.at(f"missions.{code}.variable.{key}", day),
            grid,
            [*period.variable_factors, achieved],
            period.note,
        )
    )
    return lines


def full_mission_lines(
    mission: Mission, key: str, day: dt.date, grid: str, tree: ParameterTree
) -> list[Line]:
    """Every part of a non-crisis mission in full, in the grid in force on ``day`` (ACI art. 8;
    avenant 2, art. 4): what :func:`~.financing.grid_maximum` adds up."""
    code = mission.value
    parts = {f"{code}.fixed": "fixed", f"{code}.variable": "variable"}
    if mission is Mission.ACCESS:
        parts[UNSCHEDULED_CARE] = "unscheduled_care"
    lines = []
    for line_code, part in parts.items():
        value = tree.maybe_at(f"missions.{code}.{part}.{key}", day)
        if value is not None:
            label = part_label(mission, f"missions.{code}.{part}", tree)
            lines.append(parameter_line(line_code, label, value, grid))
    return lines
