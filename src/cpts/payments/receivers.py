"""What the payments do when the layers below change."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from cpts.accounts.models import User
from cpts.aci import Mission, default_tree
from cpts.aci.calendar import year_of
from cpts.aci.schedule import payment_schedule
from cpts.contracts import engine
from cpts.contracts.models import Contract, Payment, PaymentKind
from cpts.core.audit import save_audited
from cpts.crises.models import HealthCrisis


def crisis_declared(sender: Any, crisis: HealthCrisis, user: User, **kwargs: Any) -> list[Payment]:
    """A serious crisis characterised by the ARS: the crisis variable part becomes due within a
    month for every contracted community concerned whose crisis mission has started (avenant 2),
    once per twelve months whatever the number of crises; never into a settled year."""
    return _crisis_payments(crisis, user)


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
