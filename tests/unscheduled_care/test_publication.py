"""The slots published to the SAS platform are only those a booking received now may take: they
start after now and at most the deadline in force now later (48 hours since avenant 2, 24 before;
seed 004), whatever the window asked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cpts.unscheduled_care.publication import bookable_until, published_slots
from tests.factories import CommunityFactory, regulator, slot, volunteer

PARIS = ZoneInfo("Europe/Paris")
FINESS = "590000014"  # a valid FINESS of the Nord (see tests/api/conftest.py)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_bookable_until_is_now_plus_the_deadline_in_force() -> None:
    assert bookable_until(at(2026, 6, 1, 10, 0)) == at(2026, 6, 3, 10, 0)  # 48 h
    assert bookable_until(at(2022, 3, 30, 10, 0)) == at(2022, 3, 31, 10, 0)  # 24 h, before
    assert bookable_until(at(2010, 1, 1, 10, 0)) is None  # before the agreement


@pytest.mark.django_db
def test_a_week_asked_publishes_only_the_next_48_hours(geography: None) -> None:
    helper = volunteer(CommunityFactory(finess=FINESS), commune_id="59350")
    now = at(2026, 6, 1, 10, 0)
    soon = slot(helper, at(2026, 6, 1, 14, 0))  # 4 h later
    edge = slot(helper, at(2026, 6, 3, 10, 0))  # exactly 48 h later: still bookable
    slot(helper, at(2026, 6, 3, 10, 20))  # 48 h 20 later: a booking now would be refused
    slot(helper, at(2026, 6, 6, 9, 0))  # within the week asked, beyond the deadline
    found = published_slots(regulator(["59"]), now, now + dt.timedelta(days=7), now=now)
    assert [s.pk for s in found] == [soon.pk, edge.pk]
    # a booking's lookup of one slot by its start is not clamped (its refusal says why)
    late = published_slots(
        regulator(["59"]), at(2026, 6, 6, 9, 0), at(2026, 6, 6, 9, 0), now=now, bookable_now=False
    )
    assert late.count() == 1
