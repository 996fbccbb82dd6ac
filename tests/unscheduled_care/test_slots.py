"""A volunteer's slots never overlap (one person is never booked twice at once): the service
refuses an overlap in French, all or nothing, and the database refuses it too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from cpts.accounts.models import Role
from cpts.core.errors import RuleError
from cpts.unscheduled_care.enums import SlotStatus
from cpts.unscheduled_care.models import Slot
from cpts.unscheduled_care.services import add_slots, slot_series
from tests.factories import UserFactory, slot, volunteer

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=PARIS)


def minutes(start: dt.datetime, length: int) -> tuple[dt.datetime, dt.datetime]:
    return start, start + dt.timedelta(minutes=length)


@pytest.fixture
def person():  # type: ignore[no-untyped-def]
    return volunteer()


def coordinator(person):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COORDINATOR, community=person.community)


@pytest.mark.django_db
class TestService:
    def test_a_slot_overlapping_an_existing_one_is_refused_naming_it(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        add_slots(user, person, [minutes(at(2, 9), 20)], ["SNP"], NOW)
        with pytest.raises(RuleError, match="chevauche celui du 02/06/2026 à 09:00"):
            add_slots(user, person, [minutes(at(2, 9, 10), 20)], ["SNP"], NOW)
        assert Slot.objects.filter(volunteer=person).count() == 1

    def test_the_same_slot_twice_is_refused(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        add_slots(user, person, [minutes(at(2, 9), 20)], ["SNP"], NOW)
        with pytest.raises(RuleError, match="chevauche"):
            add_slots(user, person, [minutes(at(2, 9), 20)], ["PRO"], NOW)
        assert Slot.objects.filter(volunteer=person).count() == 1

    def test_back_to_back_slots_and_other_volunteers_are_fine(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        add_slots(user, person, [minutes(at(2, 9), 20)], ["SNP"], NOW)
        add_slots(user, person, [minutes(at(2, 9, 20), 20)], ["SNP"], NOW)  # 09:20, the end
        other = volunteer(person.community)
        add_slots(user, other, [minutes(at(2, 9), 20)], ["SNP"], NOW)
        assert Slot.objects.count() == 3

    def test_a_cancelled_slot_frees_its_time(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        (first,) = add_slots(user, person, [minutes(at(2, 9), 20)], ["SNP"], NOW)
        Slot.objects.filter(pk=first.pk).update(status=SlotStatus.CANCELLED)
        add_slots(user, person, [minutes(at(2, 9, 10), 20)], ["SNP"], NOW)
        assert Slot.objects.filter(volunteer=person).count() == 2

    def test_a_series_overlapping_one_existing_slot_is_refused_whole(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        add_slots(user, person, [minutes(at(4, 9, 10), 20)], ["SNP"], NOW)
        # 2, 3, 4 and 5 June at 09:00 for 20 minutes: the 4th overlaps 09:10
        series = slot_series(dt.date(2026, 6, 2), dt.time(9, 0), 20, 4)
        with pytest.raises(RuleError, match=r"04/06/2026 à 09:00.*04/06/2026 à 09:10"):
            add_slots(user, person, series, ["SNP"], NOW)
        assert Slot.objects.filter(volunteer=person).count() == 1  # none of the four

    def test_a_series_overlapping_itself_is_refused_whole(self, person) -> None:  # type: ignore[no-untyped-def]
        user = coordinator(person)
        periods = [minutes(at(2, 9), 20), minutes(at(2, 14), 20), minutes(at(2, 9, 10), 20)]
        with pytest.raises(RuleError, match="chevauche celui du 02/06/2026 à 09:00"):
            add_slots(user, person, periods, ["SNP"], NOW)
        assert not Slot.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_overlapping_live_slots(person) -> None:  # type: ignore[no-untyped-def]
    slot(person, at(2, 9))
    with pytest.raises(IntegrityError, match="volunteer_slots_never_overlap"), transaction.atomic():
        slot(person, at(2, 9, 10))
    cancelled = slot(person, at(3, 9))
    Slot.objects.filter(pk=cancelled.pk).update(status=SlotStatus.CANCELLED)
    slot(person, at(3, 9, 10))  # overlapping a cancelled slot only
    assert Slot.objects.filter(volunteer=person).count() == 3
