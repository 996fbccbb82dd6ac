"""What a community is owed for one contract year (ACI art. 7 and 8; avenant 2, art. 4).

:func:`compute_contract_year` takes the facts of a contract year and returns its lines —
functioning, additional functioning, each mission's fixed and variable part, the size-4
increase — each with its amount to the cent and everything that explains it: the parameter and
its value, the grid version, the legal reference and the factors applied (pro rata temporis,
achievement of the objectives, declared crisis).

Rules decided where the texts are silent are parameters, listed in ``docs/rules.md``:

* the grid applied is the one in force on the first day of the contract year;
* a mission started during the year has its fixed part paid pro rata temporis (contrat type,
  art. 6.2), its variable part is not prorated (``missions.proration``);
* the crisis mission's fixed part is the first-year amount in the contract year the mission
  starts, then the later-years amount; its variable part is due in full when the ARS declares a
  serious crisis, at most once per twelve months (``missions.crisis.retrigger_months``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .calendar import ContractYear, add_months, contract_year, year_of
from .errors import InvalidInput
from .indicators import Achievement
from .missions import MISSION_ORDER, Mission
from .money import ONE, ZERO, apply_ratio, euros, euros_fr, fraction_text
from .parameters import ParameterTree, ParameterValue, Reference, default_tree
from .size_class import SizeClass, size_class

# Stable line codes (public: CLI, API, stored explanations of payments).
FUNCTIONING = "functioning"
ADDITIONAL_FUNCTIONING = "additional_functioning"
INCREASE = "size4_increase"
UNSCHEDULED_CARE = "access.unscheduled_care"


@dataclass(frozen=True, slots=True)
class MissionInput:
    """A mission of the contract: when it started and how far its objectives were reached.

    ``started`` None means "at the start of the contract year".
    """

    mission: Mission
    started: dt.date | None = None
    achievement: Achievement = field(default_factory=Achievement)


@dataclass(frozen=True, slots=True)
class ContractYearInput:
    """The facts of one contract year."""

    population: int
    signed: dt.date
    contract_year: int = 1
    members: int = 0
    missions: tuple[MissionInput, ...] = ()
    #: Dates on which the ARS declared (« caractérisé ») a serious health crisis concerning the
    #: community, over the whole contract (earlier ones matter: one payment per twelve months).
    crises: tuple[dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class Factor:
    """A factor applied to a parameter's value: pro rata temporis, achievement, crisis."""

    name: str
    ratio: Fraction
    detail: str


@dataclass(frozen=True, slots=True)
class Line:
    """One amount of the contract year, and why."""

    code: str
    label: str
    amount: Decimal
    parameter: str
    value: Decimal
    grid: str
    effective_from: dt.date
    references: tuple[Reference, ...]
    confidence: str
    factors: tuple[Factor, ...] = ()
    note: str = ""
    #: For the crisis variable part: the declared crisis that triggered the payment.
    crisis_declared: dt.date | None = None

    @property
    def reference(self) -> str:
        return " ; ".join(reference.title for reference in self.references)

    def explanation(self) -> str:
        """The computation in words: value, source, factors, result."""
        if self.code == INCREASE:
            parts = [f"{self.value * 100:g} % ({self.parameter}, grille {self.grid})"]
            parts += [f"{factor.detail}" for factor in self.factors]
        else:
            parts = [f"{euros_fr(self.value)} ({self.parameter}, grille {self.grid})"]
            parts += [
                f"{factor.name} {fraction_text(factor.ratio)} ({factor.detail})"
                for factor in self.factors
            ]
        text = " × ".join(parts) + f" = {euros_fr(self.amount)}"
        return f"{text}. {self.note}" if self.note else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "amount": euros(self.amount),
            "parameter": self.parameter,
            "value": str(self.value),
            "grid": self.grid,
            "effective_from": self.effective_from.isoformat(),
            "reference": self.reference,
            "references": [{"title": ref.title, "href": ref.href} for ref in self.references],
            "confidence": self.confidence,
            "factors": [
                {"name": factor.name, "ratio": fraction_text(factor.ratio), "detail": factor.detail}
                for factor in self.factors
            ],
            "note": self.note,
            "explanation": self.explanation(),
        }


@dataclass(frozen=True, slots=True)
class ContractYearResult:
    """Every line of a contract year and their total."""

    inputs: ContractYearInput
    year: ContractYear
    size: SizeClass
    grid: str
    lines: tuple[Line, ...]

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
            "lines": [line.to_dict() for line in self.lines],
        }


def _line(
    code: str,
    label: str,
    parameter: ParameterValue,
    grid: str,
    factors: Sequence[Factor] = (),
    note: str = "",
) -> Line:
    ratio = ONE
    for factor in factors:
        if factor.ratio.numerator != factor.ratio.denominator:
            ratio = factor.ratio if ratio is ONE else ratio * factor.ratio
    value = parameter.decimal()
    return Line(
        code=code,
        label=label,
        amount=apply_ratio(value, ratio),
        parameter=parameter.path,
        value=value,
        grid=grid,
        effective_from=parameter.effective_from,
        references=parameter.references,
        confidence=parameter.confidence,
        factors=tuple(factors),
        note=note,
    )


def first_valid_date(tree: ParameterTree) -> dt.date:
    """The ACI's entry into force: the first date of the grid."""
    return tree.parameter("agreement.grid_version").dates[0]


def mission_exists(tree: ParameterTree, mission: Mission, day: dt.date) -> bool:
    return tree.maybe_at(f"missions.core.{mission.value}", day) is not None


def core_missions(day: dt.date, tree: ParameterTree | None = None) -> tuple[Mission, ...]:
    """The core (« socle ») missions in force on ``day``."""
    tree = tree or default_tree()
    found = []
    for mission in MISSION_ORDER:
        value = tree.maybe_at(f"missions.core.{mission.value}", day)
        if value is not None and value.boolean():
            found.append(mission)
    return tuple(found)


@lru_cache(maxsize=65536)
def additional_functioning_year(signed: dt.date, tree: ParameterTree) -> int | None:
    """The contract year for which the additional functioning is due, or None if not eligible.

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


def crisis_triggers(
    mission_start: dt.date, crises: Iterable[dt.date], tree: ParameterTree
) -> list[dt.date]:
    """The declared crises that trigger a payment of the crisis variable part.

    A crisis counts once the crisis mission has started; one payment covers the twelve months to
    come, whatever the number of crises declared in them (avenant 2).
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
                f"La mission « {mission_input.mission.label} » est indiquée deux fois.",
            )
        seen.add(mission_input.mission)


def compute_contract_year(
    inputs: ContractYearInput, tree: ParameterTree | None = None
) -> ContractYearResult:
    """Every amount due for one contract year, each explained (ACI art. 7 and 8, avenant 2)."""
    tree = tree or default_tree()
    _validate(inputs, tree)
    year = contract_year(inputs.signed, inputs.contract_year)
    day = year.start  # the grid in force at the start of the contract year applies all year
    grid = tree.at("agreement.grid_version", day).text()
    size = size_class(inputs.population, day, tree)
    key = size.key

    lines = [_line(FUNCTIONING, "Fonctionnement", tree.at(f"functioning.base.{key}", day), grid)]
    if additional_functioning_year(inputs.signed, tree) == year.number:
        lines.append(
            _line(
                ADDITIONAL_FUNCTIONING,
                "Fonctionnement additionnel (une année seulement)",
                tree.at(f"functioning.additional.{key}", day),
                grid,
            )
        )

    mission_lines: list[Line] = []
    by_mission = {mission_input.mission: mission_input for mission_input in inputs.missions}
    for mission in MISSION_ORDER:
        if mission in by_mission:
            mission_lines += _mission_lines(by_mission[mission], inputs, year, size, grid, tree)
    lines += mission_lines

    increase = _increase(inputs, lines, size, grid, day, tree)
    if increase is not None:
        lines.append(increase)
    return ContractYearResult(inputs=inputs, year=year, size=size, grid=grid, lines=tuple(lines))


def _mission_lines(
    mission_input: MissionInput,
    inputs: ContractYearInput,
    year: ContractYear,
    size: SizeClass,
    grid: str,
    tree: ParameterTree,
) -> list[Line]:
    mission = mission_input.mission
    code = mission.value
    where = f"missions.{code}"
    day = year.start
    if not mission_exists(tree, mission, day):
        raise InvalidInput(
            where,
            "mission.exists_in_grid",
            f"La mission « {mission.label} » n'existe pas dans la grille {grid} applicable à l'année "
            f"contractuelle qui commence le {day:%d/%m/%Y}.",
        )
    started = mission_input.started or year.start
    if started < inputs.signed:
        raise InvalidInput(
            f"{where}.started",
            "mission.started_after_signature",
            f"La mission « {mission.label} » ne peut pas démarrer le {started:%d/%m/%Y}, avant la "
            f"signature du contrat ({inputs.signed:%d/%m/%Y}).",
        )
    exists_from = tree.parameter(f"missions.core.{mission.value}").dates[0]
    if started < exists_from:
        raise InvalidInput(
            f"{where}.started",
            "mission.started_after_it_exists",
            f"La mission « {mission.label} » ne peut pas démarrer le {started:%d/%m/%Y} : elle n'existe "
            f"que depuis le {exists_from:%d/%m/%Y}.",
        )
    if mission is Mission.CRISIS and (
        mission_input.achievement.indicators or mission_input.achievement.ratio != ONE
    ):
        raise InvalidInput(
            f"{where}.achievement",
            "crisis.no_result_objective",
            "La part variable de la mission de crise n'a pas d'objectif de résultat : elle est due "
            "quand l'ARS caractérise une crise sanitaire grave.",
        )
    achievement = mission_input.achievement.value(f"{where}.achievement")

    key = size.key
    not_started = started >= year.end
    partial = started > year.start
    note = ""
    prorata_factors: list[Factor] = []
    if partial:
        days = max(0, (year.end - started).days)
        prorata_factors = [
            Factor(
                "prorata temporis",
                Fraction(days, year.days),
                f"{days} jours de mission sur {year.days} jours de l'année contractuelle",
            )
        ]
        if not_started:
            note = f"Mission non démarrée pendant cette année contractuelle (démarrage le {started:%d/%m/%Y})."
    prorate_fixed = not_started or tree.at("missions.proration.fixed_part", day).boolean()
    prorate_variable = not_started or tree.at("missions.proration.variable_part", day).boolean()
    fixed_factors = prorata_factors if prorate_fixed else []
    variable_factors = prorata_factors if prorate_variable else []

    lines = []
    label = mission.label
    if mission is Mission.CRISIS:
        first_year = year_of(inputs.signed, started) == year.number or not_started
        fixed_path = "fixed_first_year" if first_year else "fixed_later_years"
        lines.append(
            _line(
                f"{code}.fixed",
                f"{label} : part fixe ({'première année : rédaction du plan' if first_year else 'mise à jour annuelle du plan'})",
                tree.at(f"missions.crisis.{fixed_path}.{key}", day),
                grid,
                fixed_factors,
                note,
            )
        )
        lines.append(_crisis_variable(started, inputs, year, key, grid, tree, not_started))
        return lines

    lines.append(
        _line(
            f"{code}.fixed",
            f"{label} : part fixe",
            tree.at(f"missions.{code}.fixed.{key}", day),
            grid,
            fixed_factors,
            note,
        )
    )
    if mission is Mission.ACCESS:
        unscheduled = tree.maybe_at(f"missions.access.unscheduled_care.{key}", day)
        if unscheduled is not None:
            lines.append(
                _line(
                    UNSCHEDULED_CARE,
                    f"{label} : financement spécifique des soins non programmés",
                    unscheduled,
                    grid,
                    fixed_factors,
                    note,
                )
            )
    achieved = Factor("atteinte des objectifs", achievement, "évaluation annuelle")
    lines.append(
        _line(
            f"{code}.variable",
            f"{label} : part variable",
            tree.at(f"missions.{code}.variable.{key}", day),
            grid,
            [*variable_factors, achieved],
            note,
        )
    )
    return lines


def _crisis_variable(
    started: dt.date,
    inputs: ContractYearInput,
    year: ContractYear,
    key: str,
    grid: str,
    tree: ParameterTree,
    not_started: bool,
) -> Line:
    parameter = tree.at(f"missions.crisis.variable.{key}", year.start)
    label = "Réponse aux crises sanitaires graves : part variable (crise caractérisée par l'ARS)"
    triggers = [day for day in crisis_triggers(started, inputs.crises, tree) if day in year]
    if triggers and not not_started:
        delay = tree.at("payment.crisis_delay_months", triggers[0]).integer()
        factor = Factor(
            "crise caractérisée",
            ONE,
            f"crise caractérisée par l'ARS le {triggers[0]:%d/%m/%Y}, versement au plus tard le "
            f"{add_months(triggers[0], delay):%d/%m/%Y}, pour les douze mois à venir",
        )
        line = _line(f"{Mission.CRISIS.value}.variable", label, parameter, grid, [factor])
        return replace(line, crisis_declared=triggers[0])
    factor = Factor(
        "crise caractérisée",
        Fraction(0),
        "aucune crise caractérisée par l'ARS qui ouvre un versement pendant l'année",
    )
    return _line(f"{Mission.CRISIS.value}.variable", label, parameter, grid, [factor])


def _increase(
    inputs: ContractYearInput,
    lines: Sequence[Line],
    size: SizeClass,
    grid: str,
    day: dt.date,
    tree: ParameterTree,
) -> Line | None:
    """+ 10 % for size 4 with at least 100 members, never on the additional functioning."""
    rate = tree.maybe_at("increase.rate", day)
    if rate is None:
        return None
    if size.value != tree.at("increase.size_class", day).integer():
        return None
    minimum = tree.at("increase.minimum_members", day).integer()
    if inputs.members < minimum:
        return None
    with_functioning = tree.at("increase.applies_to_functioning", day).boolean()
    base_lines = [
        line
        for line in lines
        if line.code not in (ADDITIONAL_FUNCTIONING, FUNCTIONING)
        or (with_functioning and line.code == FUNCTIONING)
    ]
    base = sum((line.amount for line in base_lines), ZERO)
    ratio = Fraction(rate.decimal())
    return Line(
        code=INCREASE,
        label="Majoration de 10 % (taille 4, au moins 100 membres)",
        amount=apply_ratio(base, ratio),
        parameter=rate.path,
        value=rate.decimal(),
        grid=grid,
        effective_from=rate.effective_from,
        references=rate.references,
        confidence=rate.confidence,
        factors=(
            Factor(
                "assiette",
                Fraction(base),
                f"{euros_fr(base)} : "
                + ", ".join(line.code for line in base_lines)
                + f" ; {inputs.members} membres (minimum {minimum})",
            ),
        ),
    )


def grid_maximum(
    size_value: int, day: dt.date, members: int = 0, tree: ParameterTree | None = None
) -> Decimal:
    """The most a community of this size can receive in a year of the grid in force on ``day``:
    functioning, additional functioning, every mission in full (crisis: first year and a declared
    crisis), and the increase where it applies."""
    tree = tree or default_tree()
    key = f"size_{size_value}"
    total = tree.at(f"functioning.base.{key}", day).decimal()
    additional = tree.maybe_at(f"functioning.additional.{key}", day)
    missions = ZERO
    for mission in MISSION_ORDER:
        if not mission_exists(tree, mission, day):
            continue
        if mission is Mission.CRISIS:
            parts = ("fixed_first_year", "variable")
        else:
            parts = (
                "fixed",
                "variable",
                *(("unscheduled_care",) if mission is Mission.ACCESS else ()),
            )
        for part in parts:
            value = tree.maybe_at(f"missions.{mission.value}.{part}.{key}", day)
            if value is not None:
                missions += value.decimal()
    increase = ZERO
    rate = tree.maybe_at("increase.rate", day)
    if (
        rate is not None
        and size_value == tree.at("increase.size_class", day).integer()
        and members >= tree.at("increase.minimum_members", day).integer()
    ):
        base = missions + (
            total if tree.at("increase.applies_to_functioning", day).boolean() else ZERO
        )
        increase = apply_ratio(base, Fraction(rate.decimal()))
    return total + missions + increase + (additional.decimal() if additional is not None else ZERO)
