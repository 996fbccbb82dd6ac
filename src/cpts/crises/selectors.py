"""Reads of the crisis response: which communities a crisis concerns, which crises concern a
community, what each community did (filtered by the user's scope, decided in
:mod:`cpts.accounts.access`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cpts.accounts.access import may_read_crisis_reports, scope_of
from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.territory.models import Departement

from .models import CrisisActivation, CrisisPlan, DeliveryStatus, HealthCrisis


def concerned_communities(crisis: HealthCrisis) -> QuerySet[Community]:
    """The communities whose seat (département) lies in the crisis's départements, or in its
    region when it names none."""
    departements = list(crisis.departements.values_list("code", flat=True))
    communities = Community.objects.select_related("departement")
    if departements:
        return communities.filter(departement_id__in=departements).order_by("name")
    return communities.filter(departement__region_id=crisis.region_id).order_by("name")


def crises_concerning(community: Community) -> QuerySet[HealthCrisis]:
    """The crises that concern ``community`` (the converse of :func:`concerned_communities`)."""
    return (
        HealthCrisis.objects.filter(region_id=community.departement.region_id)
        .filter(Q(departements=None) | Q(departements=community.departement_id))
        .distinct()
        .order_by("-declared_on", "-pk")
    )


def concerns(crisis: HealthCrisis, community: Community) -> bool:
    return crises_concerning(community).filter(pk=crisis.pk).exists()


def plan_in_force(community: Community, day: dt.date) -> CrisisPlan | None:
    """The plan in force on ``day``: the last one adopted on or before it."""
    return (
        CrisisPlan.objects.filter(community=community, adopted_on__lte=day)
        .order_by("-adopted_on", "-year", "-version")
        .first()
    )


def may_read_report(user: User, crisis: HealthCrisis) -> bool:
    """The ARS of the crisis's region, a CPAM of one of its départements, national and
    administrators read a crisis's report."""
    if not may_read_crisis_reports(user):
        return False
    scope = scope_of(user)
    if scope.everything or crisis.region_id in scope.regions:
        return True
    departements = set(crisis.departements.values_list("code", flat=True)) or set(
        Departement.objects.filter(region_id=crisis.region_id).values_list("code", flat=True)
    )
    return bool(scope.departements & departements)


def crisis_for_report(user: User, pk: int) -> HealthCrisis:
    """A crisis whose report ``user`` may read (:func:`may_read_report`); 404 otherwise."""
    crisis = HealthCrisis.objects.select_related("region").filter(pk=pk).first()
    if crisis is None or not may_read_report(user, crisis):
        raise Http404("Crise introuvable")
    return crisis


def concerned_in_scope(user: User, crisis: HealthCrisis) -> QuerySet[Community]:
    return concerned_communities(crisis).filter(scope_of(user).q())


@dataclass(frozen=True)
class ResponseRow:
    """One concerned community in a crisis's report."""

    community: Community
    activation: CrisisActivation | None
    actions: int
    mobilised: int
    messages: int
    sent: int
    failed: int
    queued: int
    no_address: int


def crisis_report(user: User, crisis: HealthCrisis) -> list[ResponseRow]:
    """Each concerned community in ``user``'s scope: did it activate, when, and what it did."""
    communities = list(concerned_in_scope(user, crisis))
    activations = {
        activation.community_id: activation
        for activation in CrisisActivation.objects.filter(crisis=crisis, community__in=communities)
        .select_related("plan")
        .annotate(
            n_actions=Count("actions", distinct=True),
            n_mobilised=Count("mobilised", distinct=True),
            n_messages=Count("messages", distinct=True),
        )
    }
    deliveries: dict[int, dict[str, int]] = {}
    for row in (
        CrisisActivation.objects.filter(crisis=crisis, community__in=communities)
        .values("community_id", "messages__deliveries__status")
        .annotate(n=Count("messages__deliveries"))
    ):
        status = row["messages__deliveries__status"]
        if status:
            deliveries.setdefault(row["community_id"], {})[status] = row["n"]
    rows = []
    for community in communities:
        activation = activations.get(community.pk)
        counts = deliveries.get(community.pk, {})
        rows.append(
            ResponseRow(
                community=community,
                activation=activation,
                actions=getattr(activation, "n_actions", 0),
                mobilised=getattr(activation, "n_mobilised", 0),
                messages=getattr(activation, "n_messages", 0),
                sent=counts.get(DeliveryStatus.SENT, 0),
                failed=counts.get(DeliveryStatus.FAILED, 0),
                queued=counts.get(DeliveryStatus.QUEUED, 0),
                no_address=counts.get(DeliveryStatus.NO_ADDRESS, 0),
            )
        )
    return rows


def delivery_counts(message_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per message: how many deliveries in each status."""
    from .models import MessageDelivery

    counts: dict[int, dict[str, int]] = {pk: {} for pk in message_ids}
    for row in (
        MessageDelivery.objects.filter(message_id__in=message_ids)
        .values("message_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["message_id"]][row["status"]] = row["n"]
    return counts
