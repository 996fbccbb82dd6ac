"""Declaring a serious health crisis (an ARS, in its region): recorded here; the crisis part it
makes due is the payments' business (:data:`.signals.crisis_declared`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import Http404

from cpts.accounts.access import Action, require, writable_region_ids
from cpts.accounts.models import User
from cpts.aci import Mission, default_tree
from cpts.core.audit import save_audited
from cpts.core.dates import check_day, today
from cpts.core.errors import RuleError
from cpts.territory.models import Departement

from .models import HealthCrisis, Typology
from .signals import crisis_declared


def declare_crisis(
    user: User,
    declared_on: dt.date,
    typology: Typology,
    title: str,
    description: str = "",
    departements: Iterable[Departement] = (),
) -> tuple[HealthCrisis, list[Any]]:
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
        # the payments, above, make the crisis part due (in the same transaction)
        payments = [
            payment
            for _, answer in crisis_declared.send(sender=HealthCrisis, crisis=crisis, user=user)
            for payment in (answer or [])
        ]
    return crisis, payments


def end_crisis(user: User, crisis: HealthCrisis, ended_on: dt.date) -> HealthCrisis:
    """The ARS of the crisis's region (or an administrator) ends it, on a day between its
    declaration and today. The communities can no longer activate their plan for it; their open
    activations stay open until they close them."""
    require(user, Action.DECIDE)
    allowed = writable_region_ids(user)
    if allowed is not None and crisis.region_id not in allowed:
        raise Http404("Crise introuvable")
    with transaction.atomic():
        # read again under the row's lock: two ARS users ending it at once, one wins, once
        crisis = HealthCrisis.objects.select_for_update().get(pk=crisis.pk)
        return _end(user, crisis, ended_on)


def _end(user: User, crisis: HealthCrisis, ended_on: dt.date) -> HealthCrisis:
    if crisis.ended_on is not None:
        raise RuleError(f"La crise est déjà close (fin le {crisis.ended_on:%d/%m/%Y}).")
    if not crisis.declared_on <= ended_on <= today():
        raise RuleError(
            f"La date de fin de la crise doit être comprise entre le "
            f"{crisis.declared_on:%d/%m/%Y} (déclaration) et aujourd'hui ({today():%d/%m/%Y})."
        )
    crisis.ended_on = ended_on
    return save_audited(crisis, user, update_fields=["ended_on"])
