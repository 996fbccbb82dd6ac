"""The yearly update of the crisis plan: due on the anniversary of the last adoption
(``missions.crisis.plan_update_months``: 12), reminded ``CRISIS_PLAN_REMINDER_DAYS`` before
(30) and while overdue; without a plan, the plan to write when the crisis mission starts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cpts.contracts import services
from cpts.contracts.reminders import crisis_plan_reminder, due_soon, send_reminders
from cpts.crises.selectors import update_due

pytestmark = pytest.mark.django_db


def test_the_update_is_due_on_the_anniversary_of_the_last_adoption(adopt: Any) -> None:
    nord = adopt().community  # adopted 20/03/2023
    assert update_due(nord) == dt.date(2024, 3, 20)
    adopt(year=2024, adopted_on=dt.date(2024, 2, 29), axis_actions="Autre")
    assert update_due(nord) == dt.date(2025, 2, 28)  # no 29 February in 2025


def test_the_update_is_reminded_30_days_before_then_while_overdue(
    adopt: Any, contracted: dict[str, Any]
) -> None:
    nord = contracted["nord"]
    adopt(year=2024, adopted_on=dt.date(2024, 3, 18))  # due 18/03/2025
    assert crisis_plan_reminder(nord, dt.date(2025, 2, 15)) is None  # 31 days before
    soon = crisis_plan_reminder(nord, dt.date(2025, 2, 16))  # 30 days before
    assert soon is not None
    assert (soon.due, soon.first, soon.overdue) == (dt.date(2025, 3, 18), False, False)
    assert soon.message == "La mise à jour annuelle du plan de crise est due pour le 18/03/2025."
    on_the_day = crisis_plan_reminder(nord, dt.date(2025, 3, 18))
    assert on_the_day is not None
    assert not on_the_day.overdue
    late = crisis_plan_reminder(nord, dt.date(2025, 3, 19))
    assert late is not None
    assert late.overdue
    assert late.message == "La mise à jour annuelle du plan de crise est due depuis le 18/03/2025."
    adopt(year=2025, adopted_on=dt.date(2025, 3, 25), axis_actions="Mis à jour")
    assert crisis_plan_reminder(nord, dt.date(2025, 3, 26)) is None  # next due 25/03/2026


def test_without_a_plan_the_plan_is_due_when_the_crisis_mission_starts(
    contracted: dict[str, Any],
) -> None:
    nord = contracted["nord"]
    # signed 15/01/2023: the crisis mission starts by 15/07/2023 (6 months)
    assert crisis_plan_reminder(nord, dt.date(2023, 6, 14)) is None
    reminder = crisis_plan_reminder(nord, dt.date(2023, 6, 15))
    assert reminder is not None
    assert (reminder.due, reminder.first, reminder.label) == (
        dt.date(2023, 7, 15), True, "rédaction du plan de crise"
    )  # fmt: skip
    crisis = contracted["contract"].missions.get(mission="crisis")
    services.record_mission(crisis, contracted["cpam"], dt.date(2023, 5, 2), None)
    late = crisis_plan_reminder(nord, dt.date(2023, 6, 15))  # started without its plan
    assert late is not None
    assert (late.due, late.overdue, late.label) == (
        dt.date(2023, 5, 2), True, "rédaction du plan de crise (en retard)"
    )  # fmt: skip


def test_no_contract_with_the_crisis_mission_no_reminder(
    people: dict[str, Any], adopt: Any
) -> None:
    assert crisis_plan_reminder(people["toulouse"], dt.date(2025, 3, 19)) is None


def test_the_update_is_e_mailed_with_the_other_deadlines(
    adopt: Any, contracted: dict[str, Any]
) -> None:
    contracted["coordinator"].email = "coordination@cpts-nord.example"
    contracted["coordinator"].save()
    adopt(year=2024, adopted_on=dt.date(2024, 3, 18))
    labels = [(r.due, r.label) for r in due_soon(dt.date(2025, 3, 19))]
    assert (dt.date(2025, 3, 18), "mise à jour annuelle du plan de crise (en retard)") in labels
    assert send_reminders(dt.date(2025, 3, 19)) == 1
    assert "18/03/2025 : mise à jour annuelle du plan de crise (en retard)" in mail.outbox[0].body


def test_the_plans_page_and_the_dashboard_show_the_reminder(
    adopt: Any, contracted: dict[str, Any], client: Client, settings: Any
) -> None:
    nord = contracted["nord"]
    today = timezone.localdate()  # the pages read the day
    adopted = dt.date(today.year - 2, today.month, min(today.day, 28))
    due = dt.date(today.year - 1, adopted.month, adopted.day)  # a year later: overdue today
    adopt(year=adopted.year, adopted_on=adopted)
    client.force_login(contracted["coordinator"])
    for name in ("communities:crisis_plans", "communities:dashboard"):
        page = client.get(reverse(name, args=[nord.pk])).content.decode()
        assert f"La mise à jour annuelle du plan de crise est due depuis le {due:%d/%m/%Y}." in page
        assert "fr-alert--error" in page
    settings.CRISIS_PLAN_REMINDER_DAYS = 0  # the window is a setting; an overdue plan still shows
    page = client.get(reverse("communities:crisis_plans", args=[nord.pk])).content.decode()
    assert 'data-testid="crisis-plan-reminder"' in page
