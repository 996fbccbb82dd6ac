"""Fixtures of the FHIR API tests: a SAS regulation with a token, a publishing community (a valid
FINESS) with a volunteer and free slots a day ahead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.accounts.models import User
from cpts.communities.models import Community
from tests.factories import CommunityFactory, regulator, slot, volunteer

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
