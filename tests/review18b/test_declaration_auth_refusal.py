"""A 401/403 from the SAS platform says our token is wrong or expired, not that the declaration
is: it must be retried (and hold the queue) rather than refused for good and lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cpts.core import tasks
from cpts.core.models import TaskStatus
from cpts.territory.models import Commune
from cpts.unscheduled_care.models import Declaration
from cpts.unscheduled_care.services import book, record_request
from tests.factories import regulator, slot, volunteer
from tests.unscheduled_care.fake_platform import fake_platform

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [401, 403])
def test_an_authentication_refusal_is_retried_not_lost(
    geography: None, settings: Any, status: int
) -> None:
    user = regulator()
    now = timezone.now()
    request = record_request(
        user,
        commune=Commune.objects.get(code="59350"),
        urgency="within_deadline",
        received_at=now - dt.timedelta(minutes=5),
    )
    appointment = book(user, slot(volunteer(), now + dt.timedelta(hours=2)), request)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        platform.answers = [status]
        assert tasks.run_due().ran == 1
        assert platform.received
        assert not platform.accepted()
        declaration = Declaration.objects.get(appointment=appointment)
        assert declaration.status == Declaration.Status.QUEUED
        assert declaration.task.status == TaskStatus.PENDING
        # the token fixed: the next try is received
        tasks.run_due(now=now + dt.timedelta(hours=2))
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SENT
    assert len(platform.accepted()) == 1
