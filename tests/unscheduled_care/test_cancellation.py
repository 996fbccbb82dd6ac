"""An outcome is known once the appointment has begun (redirected: anytime); an appointment is
cancelled before its slot starts: the slot is free again (and bookable), the appointment no
longer counts, and the cancellation is declared to the platform after the booking."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cpts.core import tasks
from cpts.core.errors import RuleError
from cpts.territory.models import Commune
from cpts.unscheduled_care import selectors
from cpts.unscheduled_care.enums import Outcome, SlotStatus
from cpts.unscheduled_care.models import Appointment, Declaration, Request, Slot
from cpts.unscheduled_care.services import book, cancel_appointment, record_outcome, record_request
from tests.factories import CommunityFactory, UserFactory, regulator, slot, volunteer

from .fake_platform import fake_platform

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def _booked(user: Any, start: dt.datetime, received: dt.datetime) -> Appointment:
    request = record_request(
        user,
        commune=Commune.objects.get(code="59350"),
        urgency="within_deadline",
        received_at=received,
        now=received,
    )
    return book(user, slot(volunteer(), start), request, now=received)


class TestOutcome:
    def test_honoured_or_not_only_once_the_appointment_has_begun(self, geography: None) -> None:
        user = regulator()
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        request = appointment.request
        for outcome in (Outcome.HONOURED, Outcome.NOT_HONOURED):
            with pytest.raises(RuleError, match="02/06/2026 à 18:00 n'a pas encore eu lieu"):
                record_outcome(user, request, outcome, now=at(2026, 6, 2, 17, 59))
        assert Request.objects.get(pk=request.pk).outcome == ""
        record_outcome(user, request, Outcome.HONOURED, now=at(2026, 6, 2, 18, 0))
        assert Request.objects.get(pk=request.pk).outcome == Outcome.HONOURED

    def test_redirected_anytime(self, geography: None) -> None:
        user = regulator()
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        record_outcome(user, appointment.request, Outcome.REDIRECTED, now=at(2026, 6, 2, 9, 0))
        assert Request.objects.get(pk=appointment.request_id).outcome == Outcome.REDIRECTED


class TestCancel:
    def test_before_the_start_the_slot_is_free_again_and_bookable(self, geography: None) -> None:
        user = regulator()
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        cancel_appointment(user, appointment, now=at(2026, 6, 2, 9, 0))
        assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
        assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.FREE
        assert appointment.history.first().history_user == user  # audited
        # the slot is booked again by another request (the unique constraint of live ones)
        other = record_request(
            user,
            commune=Commune.objects.get(code="59350"),
            urgency="same_day",
            received_at=at(2026, 6, 2, 9, 30),
            now=at(2026, 6, 2, 9, 30),
        )
        again = book(
            user, Slot.objects.get(pk=appointment.slot_id), other, now=at(2026, 6, 2, 9, 31)
        )
        assert again.status == "booked"
        # the cancelled request can only be redirected
        with pytest.raises(RuleError, match="réorientation"):
            record_outcome(user, appointment.request, Outcome.HONOURED, now=at(2026, 6, 3, 9))

    def test_not_once_begun_nor_twice(self, geography: None) -> None:
        user = regulator()
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        with pytest.raises(RuleError, match="a commencé ou est passé"):
            cancel_appointment(user, appointment, now=at(2026, 6, 2, 18, 0))
        assert Appointment.objects.get(pk=appointment.pk).status == "booked"
        cancel_appointment(user, appointment, now=at(2026, 6, 2, 9, 0))
        with pytest.raises(RuleError, match="déjà annulé"):
            cancel_appointment(user, appointment, now=at(2026, 6, 2, 9, 1))
        assert Declaration.objects.count() == 2  # the booking, one cancellation

    def test_scope_and_role(self, geography: None) -> None:
        user = regulator(["59"])
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        with pytest.raises(Http404):
            cancel_appointment(regulator(["62"]), appointment, now=at(2026, 6, 2, 9, 0))
        coordinator = UserFactory(role="coordinator", community=CommunityFactory())
        with pytest.raises((PermissionDenied, Http404)):
            cancel_appointment(coordinator, appointment, now=at(2026, 6, 2, 9, 0))
        assert Appointment.objects.get(pk=appointment.pk).status == "booked"

    def test_a_cancelled_appointment_does_not_count(self, geography: None) -> None:
        user = regulator()
        appointment = _booked(user, at(2026, 6, 2, 18, 0), at(2026, 6, 2, 8, 0))
        community = appointment.slot.volunteer.community
        count = selectors.appointments_count(community, dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        assert count == 1
        cancel_appointment(user, appointment, now=at(2026, 6, 2, 9, 0))
        count = selectors.appointments_count(community, dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        assert count == 0


def test_the_cancellation_is_declared_after_the_booking_as_a_conditional_update(
    geography: None, settings: Any
) -> None:
    user = regulator()
    now = timezone.now()
    appointment = _booked(user, now + dt.timedelta(hours=3), now - dt.timedelta(minutes=5))
    cancel_appointment(user, appointment, now=now)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        assert tasks.run_due(now=now + dt.timedelta(seconds=1)).done == 2
    booking, cancellation = platform.received
    assert (booking.method, booking.path, booking.body["status"]) == (
        "POST",
        "/fhir/Appointment",
        "booked",
    )
    assert cancellation.method == "PUT"
    system, value = appointment.identifier_system, appointment.identifier_value
    assert unquote(cancellation.path) == f"/fhir/Appointment?identifier={system}|{value}"
    assert cancellation.body["status"] == "cancelled"
    assert cancellation.body["identifier"] == [{"system": system, "value": value}]
    assert Declaration.objects.filter(status=Declaration.Status.SENT).count() == 2
