"""Reads of the crisis plans: versions in order, what each one changed, when the next yearly
update is due (avenant 2: the plan is written the first year of the mission, then updated every
year; ``missions.crisis.plan_update_months``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.http import Http404

from cpts.aci import default_tree
from cpts.aci.calendar import add_months
from cpts.communities.models import Community

from .changes import PlanChanges, compare
from .models import CrisisPlan


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
