"""Reads of the crises, filtered by the user's scope (decided in :mod:`cpts.accounts.access`).

* The crisis plans: versions in order, what each one changed, when the next yearly update is due
  (avenant 2: the plan is written the first year of the mission, then updated every year;
  ``missions.crisis.plan_update_months``).
* The crisis response: which communities a crisis concerns, which crises concern a community,
  what each community did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from cpts.accounts.access import crisis_regions, may_read_crisis_reports, scope_of
from cpts.accounts.models import User
from cpts.aci import default_tree
from cpts.aci.calendar import add_months
from cpts.communities.models import Community
from cpts.territory.models import Departement

from .changes import PlanChanges, compare
from .models import CrisisActivation, CrisisPlan, DeliveryStatus, HealthCrisis


def visible_crises(user: User) -> QuerySet[HealthCrisis]:
    """The declared crises ``user`` may read (those of the regions :func:`crisis_regions` gives)."""
    crises = HealthCrisis.objects.select_related("region").prefetch_related("departements")
    regions = crisis_regions(user)
    return crises if regions is None else crises.filter(region_id__in=regions)


def plans_of(community: Community) -> QuerySet[CrisisPlan]:
    """Every version of the community's plan, the latest first."""
    return CrisisPlan.objects.filter(community=community).order_by("-year", "-version")


def latest_plan(community: Community) -> CrisisPlan | None:
    """The version in force: the latest year's latest version."""
    return plans_of(community).first()


def plan_of(community: Community, pk: int) -> CrisisPlan:
    """The version ``pk`` of the community's plan; 404 when it is another community's."""
    plan = plans_of(community).filter(pk=pk).first()
    if plan is None:
        raise Http404("Plan de crise introuvable")
    return plan


def previous_of(plan: CrisisPlan) -> CrisisPlan | None:
    """The version just before ``plan`` (None: the first one)."""
    earlier = Q(year__lt=plan.year) | Q(year=plan.year, version__lt=plan.version)
    return plans_of(plan.community).filter(earlier).first()


def changes_of(plan: CrisisPlan) -> PlanChanges:
    return compare(plan, previous_of(plan))


def plan_history(community: Community) -> list[PlanChanges]:
    """Every version, the latest first, each with what it changed from the one before."""
    plans = list(plans_of(community))
    return [
        compare(plan, plans[index + 1] if index + 1 < len(plans) else None)
        for index, plan in enumerate(plans)
    ]


def update_due(community: Community) -> dt.date | None:
    """When the next yearly update is due: the anniversary of the last adoption (None: no plan)."""
    last = CrisisPlan.objects.filter(community=community).aggregate(day=Max("adopted_on"))["day"]
    if last is None:
        return None
    months = default_tree().at("missions.crisis.plan_update_months", last).integer()
    return add_months(last, months)


@dataclass(frozen=True)
class PlanReminder:
    """The crisis plan is to write (``first``) or to update, by ``due``."""

    due: dt.date
    first: bool
    overdue: bool

    @property
    def label(self) -> str:
        what = (
            "rédaction du plan de crise" if self.first else "mise à jour annuelle du plan de crise"
        )
        return f"{what} (en retard)" if self.overdue else what

    @property
    def message(self) -> str:
        if self.first:
            what = "Le plan de crise est à rédiger"
        else:
            what = "La mise à jour annuelle du plan de crise est due"
        if self.overdue:
            return f"{what} depuis le {self.due:%d/%m/%Y}."
        return f"{what} pour le {self.due:%d/%m/%Y}."


def plan_reminder(
    community: Community,
    today: dt.date,
    first_due: dt.date | None,
    window_days: int | None = None,
) -> PlanReminder | None:
    """The reminder to show or send on ``today``: the yearly update due within ``window_days``
    (``settings.CRISIS_PLAN_REMINDER_DAYS``) or overdue; without any plan, the plan to write by
    ``first_due`` (None: the community has no crisis mission, nothing to remind)."""
    window = settings.CRISIS_PLAN_REMINDER_DAYS if window_days is None else window_days
    due = update_due(community)
    first = due is None
    if due is None:
        if first_due is None:
            return None
        due = first_due
    if today < due - dt.timedelta(days=window):
        return None
    return PlanReminder(due=due, first=first, overdue=today > due)


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
