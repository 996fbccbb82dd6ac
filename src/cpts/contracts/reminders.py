"""E-mail reminders of deadlines due within the next 30 days (missions, health project)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail

from cpts.accounts.models import Role, User
from cpts.aci import Status
from cpts.communities.models import Community

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
    """Deadlines not yet met that fall between ``today`` and ``today + window_days``."""
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
    return sorted(reminders, key=lambda reminder: (reminder.community.name, reminder.due))


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
            subject=f"[CPTS Pilote] {community.name} : {len(reminders)} échéance(s) dans les {WINDOW_DAYS} jours",
            message=f"Bonjour,\n\nÉchéances à venir pour {community.name} :\n{lines}\n\nCPTS Pilote",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent += 1
    return sent
