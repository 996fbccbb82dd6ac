"""A same-day request is offered slots of its day only (``selectors.search_until``): a slot of
the next day, though within the 48 hours, must not be bookable with a forged slot id either."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cpts.core.errors import RuleError
from cpts.territory.models import Commune
from cpts.unscheduled_care.enums import SlotStatus
from cpts.unscheduled_care.models import Appointment, Slot
from cpts.unscheduled_care.services import book, record_request
from tests.factories import regulator, slot, volunteer

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_a_same_day_request_cannot_book_the_next_day(geography: None) -> None:
    user = regulator()
    received = dt.datetime(2026, 6, 2, 10, 0, tzinfo=PARIS)
    request = record_request(
        user,
        commune=Commune.objects.get(code="59350"),
        urgency="same_day",
        received_at=received,
        now=received,
    )
    tomorrow = slot(volunteer(), dt.datetime(2026, 6, 3, 9, 0, tzinfo=PARIS))
    with pytest.raises(RuleError, match="dans la journée"):
        book(user, tomorrow, request, now=received)
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=tomorrow.pk).status == SlotStatus.FREE
    # the same day, late evening: bookable
    evening = slot(volunteer(), dt.datetime(2026, 6, 2, 23, 30, tzinfo=PARIS))
    assert book(user, evening, request, now=received).slot_id == evening.pk
