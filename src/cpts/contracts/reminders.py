"""E-mail reminders of deadlines due within the next 30 days (missions, health project), and of
the crisis plan to write or to update (due soon or overdue)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail

from cpts.accounts.models import Role, User
from cpts.aci import Mission, Status
from cpts.communities.models import Community
from cpts.crises.selectors import PlanReminder, plan_reminder

from . import workflow
from .engine import open_deadlines
from .models import AcceleratorGrant, Contract

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Reminder:
    community: Community
    due: dt.date
    label: str


def due_soon(today: dt.date, window_days: int = WINDOW_DAYS) -> list[Reminder]:
    """Deadlines not yet met that fall between ``today`` and ``today + window_days``; and the
    crisis plan to write or to update (:func:`crisis_plan_reminder`: its own window, overdue
    included, since the yearly update pays the mission's fixed part)."""
    limit = today + dt.timedelta(days=window_days)
    reminders = []
    for contract in Contract.objects.filter(
        terminated_on__isnull=True, signed_on__lte=today, ends_on__gt=today
    ).select_related("community"):
        for deadline in open_deadlines(contract, today):
            if deadline.status is Status.PENDING and today <= deadline.due <= limit:
                label = f"{deadline.step} de la mission « {deadline.mission.label} »"
                reminders.append(Reminder(contract.community, deadline.due, label))
    for grant in AcceleratorGrant.objects.select_related("community"):
        # the lifecycle says whether the health project is still to file
        waiting = workflow.stage_of(grant.community, today) in workflow.PROJECT_TO_FILE
        if waiting and today <= grant.health_project_due <= limit:
            reminders.append(
                Reminder(
                    grant.community,
                    grant.health_project_due,
                    "dépôt du projet de santé (accélérateur)",
                )
            )
    reminded: set[int] = set()
    for contract in _with_crisis_mission(today):
        if contract.community_id in reminded:
            continue
        reminded.add(contract.community_id)
        plan = crisis_plan_reminder(contract.community, today, contract)
        if plan is not None:
            reminders.append(Reminder(contract.community, plan.due, plan.label))
    return sorted(reminders, key=lambda reminder: (reminder.community.name, reminder.due))


def _with_crisis_mission(today: dt.date, community: Community | None = None) -> list[Contract]:
    """The contracts in force on ``today`` that commit their community to the crisis mission."""
    contracts = Contract.objects.all() if community is None else community.contracts.all()
    return list(
        contracts.filter(
            terminated_on__isnull=True,
            signed_on__lte=today,
            ends_on__gt=today,
            missions__mission=Mission.CRISIS.value,
        )
        .select_related("community")
        .order_by("-signed_on")
    )


def crisis_plan_reminder(
    community: Community, today: dt.date, contract: Contract | None = None
) -> PlanReminder | None:
    """The crisis plan to write or to update, when the community's contract in force commits it
    to the crisis mission: the yearly update within ``CRISIS_PLAN_REMINDER_DAYS`` or overdue;
    without any plan, the plan is due when the mission starts (its start date, else its start
    deadline)."""
    if contract is None:
        contract = next(iter(_with_crisis_mission(today, community)), None)
        if contract is None:
            return None
    commitment = contract.missions.get(mission=Mission.CRISIS.value)
    first_due = commitment.started_on or next(
        (
            deadline.due
            for deadline in open_deadlines(contract, today)
            if deadline.mission is Mission.CRISIS and deadline.step == "démarrage"
        ),
        None,
    )
    return plan_reminder(community, today, first_due)


def send_reminders(today: dt.date) -> int:
    """One e-mail per community, to its coordinators and its contact address; returns the count sent."""
    by_community: dict[int, list[Reminder]] = {}
    for reminder in due_soon(today):
        by_community.setdefault(reminder.community.pk, []).append(reminder)
    sent = 0
    for reminders in by_community.values():
        community = reminders[0].community
        recipients = sorted(
            {
                user.email
                for user in User.objects.filter(role=Role.COORDINATOR, community=community)
                if user.email
            }
            | ({community.email} if community.email else set())
        )
        if not recipients:
            continue
        lines = "\n".join(f"- {reminder.due:%d/%m/%Y} : {reminder.label}" for reminder in reminders)
        send_mail(
            subject=f"[CPTS Pilote] {community.name} : {len(reminders)} échéance(s) à venir ou en retard",
            message=f"Bonjour,\n\nÉchéances à venir pour {community.name} :\n{lines}\n\nCPTS Pilote",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent += 1
    return sent
