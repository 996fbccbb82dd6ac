"""The annual report of a community for one contract year: what the PDF shows, assembled here
(read-only; rendering is the screens' business, ``cpts.www.annual_report``).

The period is the **contract year** (its number within the contract, from the anniversary of the
signature), not the calendar year: the evaluation, the indicator annex and the payments are all
kept by contract year. Every amount comes from the rules engine (``cpts.contracts.engine``): the
result kept when the year's evaluation was closed, else the engine's projection from the year's
recorded facts; each line keeps its parameter, value, computation and legal reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cpts.aci import (
    InvalidInput,
    Mission,
    contract_year,
    default_tree,
    mission_deadlines,
    readable_explanation,
)
from cpts.communities.models import Community
from cpts.communities.perimeters import current_perimeter
from cpts.communities.selectors import MemberCounts, member_counts
from cpts.contracts import engine
from cpts.contracts.models import Contract, Evaluation, Indicator, Payment
from cpts.payments.ledger import Totals, totals
from cpts.territory.models import Departement, Perimeter


class NoContractYear(Exception):
    """No contract year of that number to report on; ``message`` is for the user, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MissionRow:
    """A mission of the contract and its deadlines, as they stood on the report's day."""

    label: str
    started_on: dt.date | None
    deployed_on: dt.date | None
    start_due: dt.date | None
    start_status: str
    deployment_due: dt.date | None
    deployment_status: str


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator of the year's annex: its value against its objective."""

    mission: str
    label: str
    kind: str
    percent: bool  # a share in per cent (bound to a computed rate), else a number
    measured: Decimal | None
    objective: Decimal | None  # target: the objective; graded: the threshold of the top tier
    top_tier: bool  # the objective is the top tier of a graded indicator
    done: bool | None  # for an action done or not
    lower_is_better: bool
    amount: Decimal  # what it pays when reached (graded: the top tier)
    verdict: str

    @property
    def reached(self) -> bool | None:
        """Whether the value meets the objective (None when there is nothing to compare)."""
        if self.done is not None:
            return self.done
        if self.measured is None or self.objective is None:
            return None
        if self.lower_is_better:
            return self.measured <= self.objective
        return self.measured >= self.objective


@dataclass(frozen=True)
class AmountLine:
    """A line computed by the rules engine, with why."""

    label: str
    amount: Decimal
    parameter: str
    value: str
    explanation: str
    reference: str


@dataclass(frozen=True)
class PaymentRow:
    due_on: dt.date
    paid_on: dt.date | None
    kind: str
    label: str
    amount: Decimal
    status: str


@dataclass(frozen=True)
class PerimeterPart:
    """The communes of the year's perimeter in one département."""

    code: str
    name: str
    communes: int


@dataclass(frozen=True)
class AnnualReport:
    community: Community
    contract: Contract
    number: int
    start: dt.date
    last_day: dt.date
    as_of: dt.date  # the day the report was drawn up: deadlines and payments as they stood
    population: int  # the year's recorded facts (or projected before the year is recorded)
    size_class: int
    members: int
    grid: str
    recorded: bool
    final: bool  # the evaluation is closed and the amounts are the kept ones
    perimeter: Perimeter | None
    perimeter_parts: tuple[PerimeterPart, ...]
    member_counts: MemberCounts  # today's members, by profession and type of structure
    missions: tuple[MissionRow, ...]
    indicators: tuple[IndicatorRow, ...]
    lines: tuple[AmountLine, ...]
    total: Decimal | None
    payments: tuple[PaymentRow, ...]
    payment_totals: Totals
    error: str | None = None  # the engine's refusal, when the amounts cannot be computed

    @property
    def perimeter_communes(self) -> int:
        return sum(part.communes for part in self.perimeter_parts)


def report_contract(community: Community) -> Contract | None:
    """The contract a report reads by default: the latest signed (in force, or the last one)."""
    return community.contracts.order_by("-signed_on").first()


def report_years(contract: Contract | None, today: dt.date) -> list[int]:
    """The contract years of ``contract`` that have started by ``today`` (those with a report)."""
    if contract is None:
        return []
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    years = []
    for number in range(1, duration + 1):
        start = contract_year(contract.signed_on, number).start
        if start >= contract.period_end or start > today:
            break
        years.append(number)
    return years


def annual_report(
    community: Community, number: int, today: dt.date, contract: Contract | None = None
) -> AnnualReport:
    """The report of contract year ``number`` of ``contract`` (the latest by default), as it
    stands on ``today``. Raises :class:`NoContractYear` when there is no such year to report."""
    contract = contract or report_contract(community)
    if contract is None:
        raise NoContractYear(f"{community.name} n'a pas de contrat : pas de rapport annuel.")
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    if not 1 <= number <= duration:
        raise NoContractYear(
            f"Le contrat signé le {contract.signed_on:%d/%m/%Y} compte {duration} années "
            f"contractuelles : il n'a pas d'année {number}."
        )
    year = contract_year(contract.signed_on, number)
    if year.start >= contract.period_end:
        raise NoContractYear(
            f"Le contrat a pris fin le {contract.period_end:%d/%m/%Y}, avant l'année "
            f"contractuelle {number} (qui aurait commencé le {year.start:%d/%m/%Y})."
        )
    if year.start > today:
        raise NoContractYear(
            f"L'année contractuelle {number} commence le {year.start:%d/%m/%Y} : "
            "pas encore de rapport annuel."
        )
    facts = engine.year_facts(contract, number)
    evaluation = contract.evaluations.filter(contract_year=number).first()
    closed = evaluation is not None and evaluation.status == Evaluation.Status.CLOSED
    lines, total, error = _amounts(contract, number, facts, closed)
    perimeter = _perimeter(community, facts)
    entries = contract.payments.filter(contract_year=number)
    return AnnualReport(
        community=community,
        contract=contract,
        number=number,
        start=facts.start,
        last_day=year.last_day,
        as_of=today,
        population=facts.population,
        size_class=facts.size_class,
        members=facts.members,
        grid=facts.grid,
        recorded=facts.recorded,
        final=facts.total is not None,
        perimeter=perimeter,
        perimeter_parts=_perimeter_parts(perimeter),
        member_counts=member_counts(community),
        missions=_missions(contract, min(today, year.last_day)),
        indicators=tuple(
            _indicator_row(item) for item in contract.indicators.filter(contract_year=number)
        ),
        lines=lines,
        total=total,
        payments=tuple(_payment_row(entry) for entry in entries.order_by("due_on", "pk")),
        payment_totals=totals(entries),
        error=error,
    )


def _amounts(
    contract: Contract, number: int, facts: engine.YearFacts, closed: bool
) -> tuple[tuple[AmountLine, ...], Decimal | None, str | None]:
    """The year's lines: kept at the close of the evaluation, else computed by the engine."""
    result: dict[str, Any]
    if facts.result is not None and facts.total is not None:
        result, total = facts.result, facts.total
    else:
        try:
            computed = engine.compute(contract, number, final=closed)
        except InvalidInput as refusal:
            return (), None, refusal.message
        result, total = computed.to_dict(), computed.total
    labels = {line["code"]: line["label"] for line in result.get("lines", []) if "code" in line}
    tree = default_tree()
    lines = tuple(
        AmountLine(
            label=line["label"],
            amount=Decimal(line["amount"]),
            parameter=line["parameter"],
            value=line["value"],
            explanation=readable_explanation(line, labels, tree),  # French, not engine keys
            reference=line["reference"],
        )
        for line in result.get("lines", [])
    )
    return lines, total, None


def _perimeter(community: Community, facts: engine.YearFacts) -> Perimeter | None:
    """The perimeter recorded with the year, else the one in force on its first day."""
    if facts.perimeter_id is not None:
        return Perimeter.objects.filter(pk=facts.perimeter_id).first()
    return current_perimeter(community, facts.start) or current_perimeter(community)


def _perimeter_parts(perimeter: Perimeter | None) -> tuple[PerimeterPart, ...]:
    if perimeter is None:
        return ()
    counts: dict[str, int] = {}
    for code in perimeter.communes.values_list("departement_id", flat=True):
        counts[code] = counts.get(code, 0) + 1
    names = dict(Departement.objects.filter(code__in=counts).values_list("code", "name"))
    return tuple(
        PerimeterPart(code, names.get(code, code), count) for code, count in sorted(counts.items())
    )


def _missions(contract: Contract, on: dt.date) -> tuple[MissionRow, ...]:
    """Each committed mission with its start and deployment deadlines, their state on ``on``."""
    commitments = {Mission(c.mission): c for c in contract.missions.all()}
    started = {
        m: c.started_on for m, c in commitments.items() if c.started_on and c.started_on <= on
    }
    deployed = {
        m: c.deployed_on for m, c in commitments.items() if c.deployed_on and c.deployed_on <= on
    }
    try:
        found = mission_deadlines(contract.signed_on, on, started, deployed)
    except InvalidInput:  # dates the lifecycle refuses: the missions are listed without deadlines
        found = ()
    deadlines = {item.mission: item for item in found}
    rows = []
    for mission, commitment in commitments.items():
        deadline = deadlines.get(mission)
        rows.append(
            MissionRow(
                label=mission.label,
                started_on=commitment.started_on,
                deployed_on=commitment.deployed_on,
                start_due=deadline.start_due if deadline else None,
                start_status=deadline.start_status.label if deadline else "sans échéance",
                deployment_due=deadline.deployment_due if deadline else None,
                deployment_status=(
                    deadline.deployment_status.label if deadline else "sans échéance"
                ),
            )
        )
    return tuple(rows)


def _indicator_row(indicator: Indicator) -> IndicatorRow:
    objective = indicator.objective
    amount = indicator.amount
    if indicator.kind == Indicator.Kind.GRADED and indicator.tiers:
        top = max(indicator.tiers, key=lambda tier: Decimal(str(tier["amount"])))
        objective, amount = Decimal(str(top["threshold"])), Decimal(str(top["amount"]))
    return IndicatorRow(
        mission=Mission(indicator.mission).label,
        label=indicator.label,
        kind=indicator.get_kind_display(),
        percent=indicator.computed_measure == Indicator.Measure.PERCENT,
        measured=indicator.measured_value,
        objective=None if indicator.kind == Indicator.Kind.DONE else objective,
        top_tier=indicator.kind == Indicator.Kind.GRADED and bool(indicator.tiers),
        done=indicator.done if indicator.kind == Indicator.Kind.DONE else None,
        lower_is_better=indicator.lower_is_better,
        amount=amount,
        verdict=indicator.get_verdict_display(),
    )


def _payment_row(entry: Payment) -> PaymentRow:
    return PaymentRow(
        entry.due_on,
        entry.paid_on,
        entry.get_kind_display(),
        entry.label,
        entry.amount,
        entry.get_status_display(),
    )
