"""record_outcome on a request without appointment decides its scope itself: a regulation of
another département gets a 404, as the screens answer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from cpts.territory.models import Commune
from cpts.unscheduled_care.enums import Outcome
from cpts.unscheduled_care.models import Request
from cpts.unscheduled_care.services import record_outcome, record_request
from tests.factories import regulator

pytestmark = pytest.mark.django_db


def test_another_departements_regulation_cannot_record_an_outcome(geography: None) -> None:
    received = dt.datetime(2026, 6, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    request = record_request(
        regulator(["59"]),
        commune=Commune.objects.get(code="59350"),
        urgency="within_deadline",
        received_at=received,
        now=received,
    )
    with pytest.raises(Http404):
        record_outcome(regulator(["62"], username="sas62"), request, Outcome.REDIRECTED)
    assert Request.objects.get(pk=request.pk).outcome == ""
