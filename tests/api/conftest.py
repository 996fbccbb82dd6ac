"""Fixtures of the FHIR API tests: a SAS regulation with a token, a publishing community (a valid
FINESS) with a volunteer and free slots a day ahead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.territory.models import Commune
from cpts.unscheduled_care.services import (
    add_slots,
    add_volunteer,
    book,
    record_outcome,
    record_request,
)
from tests.factories import CommunityFactory, MemberFactory, regulator, slot, volunteer

#: A fictional FINESS of the Nord: 59 000 001 and its Luhn key 4 (by hand: doubling every second
#: digit from the right of 590000014 gives 5+9+0+0+0+0+0+2+4 = 20, a multiple of 10).
FINESS = "590000014"


@dataclass
class Sas:
    user: User
    token: str
    community: Community
    volunteer: Any
    slots: list[Any]

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


@pytest.fixture
def sas(geography: None) -> Sas:
    community = CommunityFactory(finess=FINESS)
    helper = volunteer(community, commune_id="59350")
    tomorrow = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        days=1
    )
    slots = [
        slot(helper, tomorrow, kinds=("SNP", "CPTS")),
        slot(helper, tomorrow + dt.timedelta(hours=1), kinds=("PUBLIC",)),
    ]
    user = regulator(["59"])
    return Sas(user, tokens.issue(user), community, helper, slots)


@pytest.fixture
def api() -> Client:
    return Client()


PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def world(computable: dict[str, Any], claims_dir: Any) -> dict[str, Any]:
    """CPTS Nord's contract with its two indicators of year 1 filled from the claims (rate 50 %,
    3 patients: the département's and the nation's values computed with them), and three SAS
    requests: one booked in a slot of CPTS Nord and honoured (Lille), one of the Nord waiting
    (Roubaix), one of the Pas-de-Calais (Arras) recorded by its own regulation."""
    from cpts.contracts import measures

    nord, coordinator = computable["nord"], computable["coordinator"]
    measures.fill_measured_values(computable["contract"], 1, computable["cpam"], claims_dir)
    regulation = regulator(["59"], username="sas59")
    helper = add_volunteer(
        coordinator,
        MemberFactory(community=nord, profession="general_practitioner"),
        dt.date(2023, 1, 1),
    )
    [free] = add_slots(
        coordinator, helper, [(at(2023, 5, 2, 14), at(2023, 5, 2, 14, 20))], ["SNP"],
        now=at(2023, 5, 1, 8),
    )  # fmt: skip
    booked = record_request(
        regulation, commune=Commune.objects.get(code="59350"), urgency="within_deadline",
        received_at=at(2023, 5, 2, 9), now=at(2023, 5, 2, 9),
    )  # fmt: skip
    book(regulation, free, booked, now=at(2023, 5, 2, 9, 5))
    record_outcome(regulation, booked, "honoured")
    waiting = record_request(
        regulation, commune=Commune.objects.get(code="59512"), urgency="same_day",
        received_at=at(2023, 5, 3, 9), now=at(2023, 5, 3, 9),
    )  # fmt: skip
    elsewhere = record_request(
        regulator(["62"], username="sas62"), commune=Commune.objects.get(code="62041"),
        urgency="same_day", received_at=at(2023, 5, 4, 9), now=at(2023, 5, 4, 9),
    )  # fmt: skip
    return {
        **computable,
        "regulator": regulation,
        "booked": booked,
        "waiting": waiting,
        "elsewhere": elsewhere,
    }
