"""The bridge between the database and the rules engine: every amount comes from :mod:`cpts.aci`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from cpts.aci import (
    Achievement,
    ContractYearInput,
    ContractYearResult,
    DoneIndicator,
    GradedIndicator,
    Mission,
    MissionInput,
    Status,
    TargetIndicator,
    Tier,
    compute_contract_year,
    contract_year,
    default_tree,
    mission_deadlines,
)
from cpts.aci.indicators import Indicator as EngineIndicator
from cpts.aci.missions import mission_exists
from cpts.crises.models import HealthCrisis

from .models import Amendment, Contract, ContractYear, Indicator


def members_on(community_id: int, day: dt.date) -> int:
    """Members who had adhered on ``day`` (the size-4 increase counts them)."""
    from cpts.communities.models import Member

    return (
        Member.objects.filter(community_id=community_id)
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=day))
        .count()
    )


@dataclass(frozen=True)
class Terms:
    """What the contract says on a day: population, size class, members (signature or amendment)."""

    population: int
    size_class: int
    members: int
    perimeter_id: int | None
    amendment: Amendment | None


def terms_on(contract: Contract, day: dt.date) -> Terms:
    """The terms in force on ``day``: those of the signature, or of the latest amendment applied
    with a date of effect on or before ``day``."""
    # read with ``all()`` and chosen here, so that a prefetched ``amendments`` costs no query
    applied = [
        amendment
        for amendment in contract.amendments.all()
        if amendment.status == Amendment.Status.APPLIED
        and amendment.effective_from is not None
        and amendment.effective_from <= day
    ]
    amendment = max(applied, key=lambda a: (a.effective_from, a.pk), default=None)
    if amendment is not None:
        return Terms(
            amendment.population,
            amendment.size_class,
            amendment.members,
            amendment.perimeter_id,
            amendment,
        )
    return Terms(
        contract.population, contract.size_class, contract.members, contract.perimeter_id, None
    )


@dataclass(frozen=True)
class YearFacts:
    """The facts of a contract year: recorded (a :class:`ContractYear` row) once the year has
    started and been recorded, projected from the terms in force on its first day before that."""

    number: int
    start: dt.date
    end: dt.date
    population: int
    size_class: int
    members: int
    grid: str
    perimeter_id: int | None
    amendment_id: int | None
    recorded: bool
    total: Decimal | None = None  # the final total, once the evaluation is closed
    result: dict[str, Any] | None = None


def year_facts(contract: Contract, number: int) -> YearFacts:
    recorded = next((year for year in contract.years.all() if year.number == number), None)
    if recorded is not None:
        return YearFacts(
            recorded.number,
            recorded.start,
            recorded.end,
            recorded.population,
            recorded.size_class,
            recorded.members,
            recorded.grid,
            recorded.perimeter_id,
            recorded.amendment_id,
            True,
            recorded.total,
            recorded.result,
        )
    year = contract_year(contract.signed_on, number)
    terms = terms_on(contract, year.start)
    return YearFacts(
        number,
        year.start,
        year.end,
        terms.population,
        terms.size_class,
        terms.members,
        default_tree().at("agreement.grid_version", year.start).text(),
        terms.perimeter_id,
        terms.amendment.pk if terms.amendment else None,
        False,
    )


def record_year(contract: Contract, number: int, user: Any = None) -> ContractYear:
    """Record the facts of a contract year (once; a later call returns the recorded row)."""
    existing = contract.years.filter(number=number).first()
    if existing is not None:
        return existing
    facts = year_facts(contract, number)
    row = ContractYear(
        contract=contract,
        number=number,
        start=facts.start,
        end=facts.end,
        population=facts.population,
        size_class=facts.size_class,
        members=facts.members,
        grid=facts.grid,
        perimeter_id=facts.perimeter_id,
        amendment_id=facts.amendment_id,
    )
    row._history_user = user  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # recorded at the same moment by another process
        return contract.years.get(number=number)
    return row


def crisis_dates(contract: Contract) -> tuple[dt.date, ...]:
    """Dates of the crises declared by the ARS that concern the community."""
    community = contract.community
    crises = HealthCrisis.objects.filter(region_id=community.departement.region_id).filter(
        Q(departements__isnull=True) | Q(departements=community.departement_id)
    )
    return tuple(sorted(set(crises.values_list("declared_on", flat=True))))


def engine_indicator(indicator: Indicator, *, final: bool) -> EngineIndicator:
    """The rules engine's view of an indicator of the annex.

    ``final``: at the evaluation, a refused or undecided indicator pays nothing.
    """
    amount = indicator.amount
    if (
        final and indicator.verdict != Indicator.Verdict.ACCEPTED
    ) or indicator.verdict == Indicator.Verdict.REFUSED:
        return DoneIndicator(done=False, weight=amount, label=indicator.label)
    if indicator.kind == Indicator.Kind.DONE:
        return DoneIndicator(done=indicator.done, weight=amount, label=indicator.label)
    if indicator.measured_value is None:
        return DoneIndicator(done=False, weight=amount, label=indicator.label)
    if indicator.kind == Indicator.Kind.GRADED:
        tiers = tuple(
            Tier(
                Decimal(str(tier["threshold"])),
                Decimal(str(tier["amount"])),
                str(tier.get("label", "")),
            )
            for tier in indicator.tiers
        )
        return GradedIndicator(
            indicator.measured_value, tiers, indicator.lower_is_better, indicator.label
        )
    return TargetIndicator(
        measured=indicator.measured_value,
        objective=indicator.objective or Decimal(0),
        weight=amount,
        lower_is_better=indicator.lower_is_better,
        all_or_nothing=True,
        label=indicator.label,
    )


def engine_input(
    contract: Contract,
    number: int,
    *,
    final: bool = False,
    crises: tuple[dt.date, ...] | None = None,
) -> ContractYearInput:
    """The facts of a contract year as the engine takes them.

    ``final``: use the evaluation's verdicts (accepted indicators only); otherwise project the
    values recorded so far. ``crises``: the :func:`crisis_dates` of the contract when the caller
    has read them already (the steering reads every crisis once); the relations are read with
    ``all()``, so that prefetched years, amendments, missions and indicators cost no query.
    """
    year = contract_year(contract.signed_on, number)
    facts = year_facts(contract, number)
    tree = default_tree()
    indicators: dict[str, list[Indicator]] = {}
    for indicator in contract.indicators.all():
        if indicator.contract_year == number:
            indicators.setdefault(indicator.mission, []).append(indicator)
    missions = []
    for commitment in contract.missions.all():
        mission = Mission(commitment.mission)
        if commitment.started_on is None or commitment.started_on >= year.end:
            continue
        if not mission_exists(tree, mission, year.start):
            continue
        if mission is Mission.CRISIS:
            achievement = Achievement()
        elif indicators.get(mission.value):
            achievement = Achievement(
                indicators=tuple(
                    engine_indicator(item, final=final) for item in indicators[mission.value]
                )
            )
        else:
            achievement = Achievement(
                ratio=Fraction(0)
            )  # no indicator in the annex: nothing to pay yet
        missions.append(MissionInput(mission, commitment.started_on, achievement))
    return ContractYearInput(
        population=facts.population,
        signed=contract.signed_on,
        contract_year=number,
        members=facts.members,
        missions=tuple(missions),
        crises=crisis_dates(contract) if crises is None else crises,
    )


def compute(contract: Contract, number: int, *, final: bool = False) -> ContractYearResult:
    return compute_contract_year(engine_input(contract, number, final=final))


def year_total(contract: Contract, number: int) -> Decimal:
    """The year's total: kept once the evaluation is closed, else computed from its facts."""
    facts = year_facts(contract, number)
    if facts.total is not None:
        return facts.total
    return compute(contract, number).total


def full_variable_parts(contract: Contract, number: int) -> dict[str, Decimal]:
    """What each mission's indicators must add up to: its whole variable part, with its share of
    the increase (added up by the engine, never recomputed here)."""
    year = contract_year(contract.signed_on, number)
    tree = default_tree()
    missions = [
        Mission(commitment.mission)
        for commitment in contract.missions.all()
        if commitment.mission != Mission.CRISIS.value
        and mission_exists(tree, Mission(commitment.mission), year.start)
    ]
    facts = year_facts(contract, number)
    result = compute_contract_year(
        ContractYearInput(
            population=facts.population,
            signed=contract.signed_on,
            contract_year=number,
            members=facts.members,
            missions=tuple(MissionInput(mission) for mission in missions),
        )
    )
    return result.variable_parts()


@dataclass(frozen=True)
class OpenDeadline:
    """A start or deployment deadline of a committed mission, not yet met."""

    mission: Mission
    step: str  # "démarrage" or "déploiement"
    due: dt.date
    status: Status


def open_deadlines(contract: Contract, today: dt.date) -> list[OpenDeadline]:
    """The deadlines of the contract's missions still to meet on ``today`` (pending or overdue)."""
    commitments = {Mission(c.mission): c for c in contract.missions.all()}
    started = {m: c.started_on for m, c in commitments.items() if c.started_on}
    deployed = {m: c.deployed_on for m, c in commitments.items() if c.deployed_on}
    result = []
    for item in mission_deadlines(contract.signed_on, today, started, deployed):
        if item.mission not in commitments:
            continue
        for step, due, status in (
            ("démarrage", item.start_due, item.start_status),
            ("déploiement", item.deployment_due, item.deployment_status),
        ):
            if status in (Status.PENDING, Status.OVERDUE):
                result.append(OpenDeadline(item.mission, step, due, status))
    return result
