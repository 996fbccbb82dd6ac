"""Booking a slot for a SAS request: the deadline in force on the day of the request, the slot's
state, and two regulators racing for one slot (exactly one wins, on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import Http404

from cpts.core.errors import RuleError
from cpts.territory.models import Commune
from cpts.unscheduled_care.enums import Outcome, SlotStatus
from cpts.unscheduled_care.models import Appointment, Request, Slot
from cpts.unscheduled_care.services import (
    OutsideDeadline,
    SlotTaken,
    book,
    record_outcome,
    record_request,
)
from tests.factories import CommunityFactory, UserFactory, regulator, slot, volunteer

PARIS = ZoneInfo("Europe/Paris")
LILLE = "59350"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def lille() -> Commune:
    return Commune.objects.get(code=LILLE)


def _request(user, commune, received):  # type: ignore[no-untyped-def]
    return record_request(
        user, commune=commune, urgency="within_deadline", received_at=received, now=received
    )


@pytest.mark.django_db
class TestDeadlineByDate:
    """24 hours before avenant 2's date of effect for the SAS (2022-04-01, seed 004), 48 after:
    figures from the parameter's text, counted by hand from the request's time."""

    def test_before_avenant_2_a_slot_30_hours_later_is_out_of_time(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2022, 3, 30, 9, 0))
        late = slot(volunteer(), at(2022, 3, 31, 15, 0))  # 30 h after
        with pytest.raises(OutsideDeadline, match="24 heures"):
            book(user, late, request, now=at(2022, 3, 30, 9, 5))
        assert not Appointment.objects.exists()
        assert Slot.objects.get(pk=late.pk).status == SlotStatus.FREE

    def test_before_avenant_2_a_slot_at_exactly_24_hours_is_in_time(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2022, 3, 30, 9, 0))
        edge = slot(volunteer(), at(2022, 3, 31, 9, 0))
        appointment = book(user, edge, request, now=at(2022, 3, 30, 9, 5))
        assert appointment.slot_id == edge.pk
        assert Slot.objects.get(pk=edge.pk).status == SlotStatus.BUSY

    def test_after_avenant_2_the_same_30_hours_are_in_time(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2023, 3, 30, 9, 0))
        later = slot(volunteer(), at(2023, 3, 31, 15, 0))  # 30 h after, under 48
        assert book(user, later, request, now=at(2023, 3, 30, 9, 5)).request_id == request.pk

    def test_after_avenant_2_49_hours_is_out_of_time(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2023, 3, 30, 9, 0))
        late = slot(volunteer(), at(2023, 4, 1, 10, 0))  # 49 h after
        with pytest.raises(OutsideDeadline, match="48 heures"):
            book(user, late, request, now=at(2023, 3, 30, 9, 5))


@pytest.mark.django_db
class TestBookingRules:
    def test_a_slot_that_has_begun_is_refused(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2023, 5, 2, 8, 0))
        started = slot(volunteer(), at(2023, 5, 2, 9, 0))
        with pytest.raises(RuleError, match="déjà passé"):
            book(user, started, request, now=at(2023, 5, 2, 9, 10))

    def test_the_second_booking_of_a_slot_is_refused(self, lille: Commune) -> None:
        user = regulator()
        first = _request(user, lille, at(2023, 5, 2, 8, 0))
        second = _request(user, lille, at(2023, 5, 2, 8, 1))
        free = slot(volunteer(), at(2023, 5, 2, 18, 0))
        book(user, free, first, now=at(2023, 5, 2, 8, 5))
        with pytest.raises(SlotTaken):
            book(user, Slot.objects.get(pk=free.pk), second, now=at(2023, 5, 2, 8, 6))
        assert Appointment.objects.count() == 1

    def test_a_regulation_cannot_book_outside_its_departements(self, lille: Commune) -> None:
        user = regulator(["62"])
        request = _request(user, lille, at(2023, 5, 2, 8, 0))
        elsewhere = slot(volunteer(CommunityFactory(departement_id="59")), at(2023, 5, 2, 18, 0))
        with pytest.raises(Http404):
            book(user, elsewhere, request, now=at(2023, 5, 2, 8, 5))

    def test_a_request_needs_a_commune_and_a_time(self, lille: Commune) -> None:
        user = regulator()
        with pytest.raises(RuleError, match="commune"):
            record_request(user, commune=None, urgency="same_day", received_at=at(2023, 1, 1, 8))
        with pytest.raises(RuleError, match="heure"):
            record_request(user, commune=lille, urgency="same_day", received_at=None)
        assert not Request.objects.exists()

    def test_a_coordinator_cannot_record_requests(self, lille: Commune) -> None:
        coordinator = UserFactory(role="coordinator", community=CommunityFactory())
        with pytest.raises(Exception, match="rôle"):
            _request(coordinator, lille, at(2023, 5, 2, 8, 0))

    def test_the_outcome_is_recorded(self, lille: Commune) -> None:
        user = regulator()
        request = _request(user, lille, at(2023, 5, 2, 8, 0))
        book(user, slot(volunteer(), at(2023, 5, 2, 18, 0)), request, now=at(2023, 5, 2, 8, 5))
        record_outcome(user, request, Outcome.HONOURED, now=at(2023, 5, 2, 19, 0))
        assert Request.objects.get(pk=request.pk).outcome == "honoured"


@pytest.mark.django_db(transaction=True)
def test_two_regulators_booking_one_slot_at_once_exactly_one_wins(geography: None) -> None:
    """Two threads, two PostgreSQL connections, released together on a barrier."""
    lille = Commune.objects.get(code=LILLE)
    users = [regulator(), regulator()]
    requests = [_request(user, lille, at(2023, 5, 2, 8, 0)) for user in users]
    contested = slot(volunteer(), at(2023, 5, 2, 18, 0))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            book(users[index], contested, requests[index], now=at(2023, 5, 2, 8, 5))
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "taken"]
    assert Appointment.objects.filter(slot=contested, status="booked").count() == 1
    assert Slot.objects.get(pk=contested.pk).status == SlotStatus.BUSY


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_a_second_live_appointment(geography: None) -> None:
    """Even a write that skips the service (no row lock) cannot put two live appointments in a
    slot: the partial unique constraint answers."""
    from django.db import IntegrityError

    lille = Commune.objects.get(code=LILLE)
    user = regulator()
    contested = slot(volunteer(), at(2023, 5, 2, 18, 0))
    first, second = (_request(user, lille, at(2023, 5, 2, 8, m)) for m in (0, 1))
    common = {"slot": contested, "operator_value": "x", "booked_by": user}
    Appointment.objects.create(
        request=first,
        identifier_system="s",
        identifier_value="1",
        created_at=at(2023, 5, 2, 8, 5),
        **common,
    )
    with pytest.raises(IntegrityError):
        Appointment.objects.create(
            request=second,
            identifier_system="s",
            identifier_value="2",
            created_at=at(2023, 5, 2, 8, 6),
            **common,
        )
