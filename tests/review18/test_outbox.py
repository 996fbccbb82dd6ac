"""Hostile review of issue 18: the outbox to the SAS platform never loses a declaration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cpts.core import tasks
from cpts.core.models import Task, TaskStatus
from cpts.unscheduled_care.declarations import MAX_ATTEMPTS
from cpts.unscheduled_care.models import Declaration
from tests.unscheduled_care.fake_platform import fake_platform
from tests.unscheduled_care.test_declarations import _booked

pytestmark = pytest.mark.django_db


def test_a_declaration_given_up_while_the_platform_was_down_is_sent_once_retried(
    geography: None, settings: Any
) -> None:
    """Four days of outage: the head is given up (the key blocked); the operator retries it
    (cpts.core.tasks.retry) once the platform is back: it must be sent, not skipped as if the
    platform had refused it."""
    first, second = _booked(2)
    now = timezone.now()
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        head = Task.objects.order_by("pk").first()
        assert head is not None
        Task.objects.filter(pk=head.pk).update(attempts=MAX_ATTEMPTS - 1)
        platform.answers = [503]
        assert tasks.run_due(now=now).failed == 1
        declaration = Declaration.objects.get(appointment=first)
        assert declaration.status == Declaration.Status.FAILED
        assert tasks.blocked_keys() == ["sas-platform"]

        tasks.retry(head)
        tasks.run_due(now=now + dt.timedelta(minutes=1))
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SENT
    assert [r.body["identifier"][0]["value"] for r in platform.accepted()] == [
        first.identifier_value,
        second.identifier_value,
    ]
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.DONE}
