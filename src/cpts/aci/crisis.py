"""The crisis mission (avenant 2, art. 4): a fixed part for its crisis plan, a variable part due
when the ARS declares (« caractérise ») a serious health crisis.

* Fixed part: the first-year amount (writing the plan) in the contract year the mission starts,
  then the later-years amount (updating it), per size class.
* Variable part: due in full when the ARS declares a crisis concerning the community once the
  mission has started; one payment covers the months that follow
  (``missions.crisis.retrigger_months``), whatever the number of crises declared in them. It has
  no objective of result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

from .calendar import ContractYear, add_months, year_of
from .errors import InvalidInput
from .lines import Factor, Line, parameter_line
from .missions import Mission, MissionInput, mission_period, part_label
from .money import ONE
from .parameters import ParameterTree
from .size_class import SizeClass

FIXED = f"{Mission.CRISIS.value}.fixed"
VARIABLE = f"{Mission.CRISIS.value}.variable"
DECLARED = "crise caractérisée"


def crisis_triggers(
    mission_start: dt.date, crises: Iterable[dt.date], tree: ParameterTree
) -> list[dt.date]:
    """The declared crises that trigger a payment of the crisis variable part (avenant 2, art. 4).

    A crisis counts once the crisis mission has started; one payment covers the months to come
    (``missions.crisis.retrigger_months``), whatever the number of crises declared in them.
    """
    triggers: list[dt.date] = []
    for day in sorted(set(crises)):
        if day < mission_start:
            continue
        if triggers:
            months = tree.at("missions.crisis.retrigger_months", triggers[-1]).integer()
            if day < add_months(triggers[-1], months):
                continue
        triggers.append(day)
    return triggers


def crisis_lines(
    mission_input: MissionInput,
    signed: dt.date,
    crises: Iterable[dt.date],
    year: ContractYear,
    size: SizeClass,
    grid: str,
    tree: ParameterTree,
) -> list[Line]:
    """The crisis mission's fixed part and its variable part for the contract year (avenant 2,
    art. 4; contrat type, art. 6.2 for a mission started during the year)."""
    period = mission_period(mission_input, signed, year, grid, tree)
    if mission_input.achievement.indicators or mission_input.achievement.ratio != ONE:
        raise InvalidInput(
            "missions.crisis.achievement",
            "crisis.no_result_objective",
            "La part variable de la mission de crise n'a pas d'objectif de résultat : elle est due "
            "quand l'ARS caractérise une crise sanitaire grave.",
        )
    first_year = period.not_started or year_of(signed, period.started) == year.number
    fixed = (
        "missions.crisis.fixed_first_year" if first_year else "missions.crisis.fixed_later_years"
    )
    return [
        parameter_line(
            FIXED,
            part_label(Mission.CRISIS, fixed, tree),
            tree.at(f"{fixed}.{size.key}", year.start),
            grid,
            period.fixed_factors,
            period.note,
        ),
        crisis_variable(period.started, period.not_started, crises, year, size, grid, tree),
    ]


def crisis_variable(
    started: dt.date,
    not_started: bool,
    crises: Iterable[dt.date],
    year: ContractYear,
    size: SizeClass,
    grid: str,
    tree: ParameterTree,
) -> Line:
    """The crisis variable part: in full for the first crisis declared during the year that opens
    a payment, else nothing (avenant 2, art. 4; ``missions.crisis.retrigger_months``,
    ``payment.crisis_delay_months``)."""
    parameter = tree.at(f"missions.crisis.variable.{size.key}", year.start)
    label = part_label(Mission.CRISIS, "missions.crisis.variable", tree)
    triggers = [day for day in crisis_triggers(started, crises, tree) if day in year]
    if triggers and not not_started:
        declared = triggers[0]
        delay = tree.at("payment.crisis_delay_months", declared).integer()
        covered = tree.at("missions.crisis.retrigger_months", declared).integer()
        factor = Factor(
            DECLARED,
            ONE,
            f"crise caractérisée par l'ARS le {declared:%d/%m/%Y}, versement au plus tard le "
            f"{add_months(declared, delay):%d/%m/%Y}, pour les {covered} mois à venir",
        )
        line = parameter_line(VARIABLE, label, parameter, grid, [factor])
        return replace(line, crisis_declared=declared)
    factor = Factor(
        DECLARED,
        Fraction(0),
        "aucune crise caractérisée par l'ARS qui ouvre un versement pendant l'année",
    )
    return parameter_line(VARIABLE, label, parameter, grid, [factor])


def full_crisis_lines(key: str, day: dt.date, grid: str, tree: ParameterTree) -> list[Line]:
    """The most the crisis mission pays in a year of the grid in force on ``day``: the first-year
    fixed part and a declared crisis (avenant 2, art. 4)."""
    return [
        parameter_line(
            path_code,
            part_label(Mission.CRISIS, path, tree),
            tree.at(f"{path}.{key}", day),
            grid,
        )
        for path_code, path in (
            (FIXED, "missions.crisis.fixed_first_year"),
            (VARIABLE, "missions.crisis.variable"),
        )
    ]
