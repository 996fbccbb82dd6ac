"""Hostile review of issue 18: odd input on the unscheduled care and regulation screens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cpts.unscheduled_care.models import Request, Slot
from tests.api.conftest import Sas
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-20"])
def test_a_series_of_slots_past_the_last_date_is_a_form_error_not_a_500(
    client: Client, sas: Sas, day: str
) -> None:
    coordinator = UserFactory(role="coordinator", community=sas.community)
    client.force_login(coordinator)
    before = Slot.objects.count()
    response = client.post(
        reverse("communities:unscheduled_care_slots", args=[sas.community.pk]),
        {
            "slots-volunteer": sas.volunteer.pk,
            "slots-day": day,
            "slots-start": "23:50",
            "slots-minutes": "720",
            "slots-repeat": "31",
            "slots-kinds": ["SNP"],
        },
    )
    assert response.status_code == 200
    assert Slot.objects.count() == before


@pytest.mark.parametrize("received", ["0001-01-01T00:05", "0001-01-01T23:59"])
def test_a_request_received_in_year_one_is_a_form_error_not_a_500(
    client: Client, sas: Sas, received: str
) -> None:
    client.force_login(sas.user)
    response = client.post(
        reverse("sas:new_request"),
        {"commune": "59350", "urgency": "within_deadline", "received_at": received},
    )
    assert response.status_code == 200
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    "query",
    ["au=9999-12-31", "du=0001-01-01&au=0001-01-02", "du=9999-12-31", "page=-1", "statut=<x>"],
)
def test_odd_periods_of_the_regulations_delays_are_not_a_500(
    client: Client, sas: Sas, query: str
) -> None:
    client.force_login(sas.user)
    response = client.get(f"{reverse('sas:requests')}?{query}")
    assert response.status_code == 200
