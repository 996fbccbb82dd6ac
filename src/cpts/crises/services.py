"""Declaring a serious health crisis: the crisis variable part becomes due within a month for every
contracted community concerned whose crisis mission has started (avenant 2), once per twelve
months whatever the number of crises."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from cpts.accounts.access import Action, require, writable_region_ids
from cpts.accounts.models import User
from cpts.aci import Mission, default_tree
from cpts.aci.calendar import year_of
from cpts.aci.schedule import payment_schedule
from cpts.contracts import engine
from cpts.contracts.models import Contract, Payment, PaymentKind
from cpts.contracts.services import RuleError, check_day, save_audited
from cpts.territory.models import Departement

from .models import HealthCrisis, Typology


def declare_crisis(
    user: User,
    declared_on: dt.date,
    typology: Typology,
    title: str,
    description: str = "",
    departements: Iterable[Departement] = (),
) -> tuple[HealthCrisis, list[Payment]]:
    """The ARS characterises a crisis in its region (or some of its départements)."""
    require(user, Action.DECIDE)
    check_day(
        declared_on,
        "Date de caractérisation de la crise",
        default_tree().parameter(f"missions.core.{Mission.CRISIS.value}").dates[0],
    )
    departements = list(departements)
    allowed = writable_region_ids(user)  # an ARS: its region; an administrator: every region
    if allowed is None:
        region_id = departements[0].region_id if departements else None
    else:
        region_id = next(iter(allowed), None)
    if region_id is None:
        raise RuleError("Indiquez les départements concernés.")
    if any(departement.region_id != region_id for departement in departements):
        raise RuleError("Une ARS ne déclare une crise que dans sa région.")
    with transaction.atomic():
        crisis = save_audited(
            HealthCrisis(
                region_id=region_id,
                declared_on=declared_on,
                typology=typology,
                title=title,
                description=description,
                declared_by=user,
            ),
            user,
        )
        crisis.departements.set(departements)
        payments = _crisis_payments(crisis, user)
    return crisis, payments


def _crisis_payments(crisis: HealthCrisis, user: User) -> list[Payment]:
    contracts = Contract.objects.filter(
        community__departement__region_id=crisis.region_id,
        signed_on__lte=crisis.declared_on,
        ends_on__gt=crisis.declared_on,
        terminated_on__isnull=True,
        missions__mission=Mission.CRISIS.value,
        missions__started_on__lte=crisis.declared_on,
    ).select_related("community__departement")
    departements = list(crisis.departements.all())
    if departements:
        contracts = contracts.filter(Q(community__departement__in=departements))
    created = []
    for contract in contracts.distinct():
        number = year_of(contract.signed_on, crisis.declared_on)
        if (
            number
            > default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
        ):
            continue
        if engine.year_facts(contract, number).total is not None:
            continue  # the year is settled: its total never changes (an adjustment, if due)
        plan = payment_schedule(engine.engine_input(contract, number))
        for scheduled in plan.payments:
            if scheduled.kind != PaymentKind.CRISIS:
                continue
            if contract.payments.filter(contract_year=number, kind=PaymentKind.CRISIS).exists():
                continue
            payment = Payment(
                community=contract.community,
                contract=contract,
                contract_year=number,
                kind=PaymentKind.CRISIS,
                label=scheduled.label,
                amount=scheduled.amount,
                due_on=scheduled.due,
                explanation={"payment": scheduled.to_dict(), "year": plan.result.to_dict()},
            )
            created.append(save_audited(payment, user))
    return created
