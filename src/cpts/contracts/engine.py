"""The bridge between the database and the rules engine: every amount comes from :mod:`cpts.aci`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

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
from cpts.aci.financing import INCREASE, mission_exists
from cpts.aci.indicators import Indicator as EngineIndicator
from cpts.aci.money import apply_ratio
from cpts.crises.models import HealthCrisis

from .models import Contract, Indicator


def members_on(contract: Contract, day: dt.date) -> int:
    """Members who had adhered on ``day`` (the size-4 increase counts them)."""
    return contract.community.members.filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=day)
    ).count()


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


def engine_input(contract: Contract, number: int, *, final: bool = False) -> ContractYearInput:
    """The facts of a contract year as the engine takes them.

    ``final``: use the evaluation's verdicts (accepted indicators only); otherwise project the
    values recorded so far.
    """
    year = contract_year(contract.signed_on, number)
    tree = default_tree()
    indicators: dict[str, list[Indicator]] = {}
    for indicator in contract.indicators.filter(contract_year=number):
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
        population=contract.community.population,
        signed=contract.signed_on,
        contract_year=number,
        members=members_on(contract, year.start),
        missions=tuple(missions),
        crises=crisis_dates(contract),
    )


def compute(contract: Contract, number: int, *, final: bool = False) -> ContractYearResult:
    return compute_contract_year(engine_input(contract, number, final=final))


def full_variable_parts(contract: Contract, number: int) -> dict[str, Decimal]:
    """What each mission's indicators must add up to: its whole variable part, increase included."""
    year = contract_year(contract.signed_on, number)
    tree = default_tree()
    missions = [
        Mission(commitment.mission)
        for commitment in contract.missions.all()
        if commitment.mission != Mission.CRISIS.value
        and mission_exists(tree, Mission(commitment.mission), year.start)
    ]
    result = compute_contract_year(
        ContractYearInput(
            population=contract.community.population,
            signed=contract.signed_on,
            contract_year=number,
            members=members_on(contract, year.start),
            missions=tuple(MissionInput(mission) for mission in missions),
        )
    )
    increase = Fraction(0)
    for line in result.lines:
        if line.code == INCREASE:
            increase = Fraction(line.value)
    return {
        line.code.split(".")[0]: apply_ratio(line.amount, 1 + increase)
        for line in result.lines
        if line.code.endswith(".variable")
    }


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
