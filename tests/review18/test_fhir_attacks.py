"""Hostile review of issue 18: the FHIR API and the booking service attacked."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from cpts.unscheduled_care.enums import SlotStatus
from cpts.unscheduled_care.models import Appointment, Request, Slot
from cpts.unscheduled_care.services import deactivate_volunteer
from tests.api.conftest import Sas
from tests.api.test_fhir_appointments import appointment_for, post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_withdrawn_volunteers_slot_cannot_be_booked_through_fhir(api: Client, sas: Sas) -> None:
    coordinator = UserFactory(role="coordinator", community=sas.community)
    deactivate_volunteer(coordinator, sas.volunteer)
    target = sas.slots[0]
    response = post(api, appointment_for(target), sas.token)
    assert response.status_code in {404, 422}, response.content
    assert not Appointment.objects.exists()
    assert not Request.objects.exists()
    assert Slot.objects.get(pk=target.pk).status == SlotStatus.FREE


def test_an_appointment_start_without_offset_is_a_400_or_422_not_a_500(
    api: Client, sas: Sas
) -> None:
    body = appointment_for(sas.slots[0])
    body["start"] = body["start"][:19]
    body["end"] = body["end"][:19]
    response = post(api, body, sas.token)
    assert response.status_code in {400, 422}, response.content
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "_count=0",
        "_count=100000000000000000000000",
        "_offset=-5",
        "_offset=99999999999999999999999999",
        "start=ge2026-13-45&start=le2026-12-01",
        "start=ge99999-01-01&start=le99999-01-02",
        "start=ge0001-01-01&start=le0001-01-02",
        "_include=Slot:*",
        "schedule.actor:Practitioner.identifier=" + ",".join(["x"] * 100),
    ],
)
def test_odd_searches_never_make_a_500(api: Client, sas: Sas, query: str) -> None:
    if "start=" not in query:
        query += "&start=ge2026-01-01&start=le2026-01-02"
    response = api.get(f"/fhir/Slot?{query}", **sas.headers())
    assert response.status_code in {200, 400}, response.content


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100000 + "]" * 100000,
        json.dumps({"resourceType": "Appointment", "start": 12}),
        json.dumps({"resourceType": "Appointment", "status": "booked", "participant": "x"}),
        b"\xff\xfe",
        "null",
    ],
)
def test_odd_bodies_never_make_a_500(api: Client, sas: Sas, body: Any) -> None:
    response = post(api, body, sas.token)
    assert response.status_code in {400, 413, 422}, response.content


def test_a_slot_reference_beyond_bigint_is_a_404_not_a_500(api: Client, sas: Sas) -> None:
    body = appointment_for(sas.slots[0])
    body["slot"] = [{"reference": "Slot/999999999999999999"}]
    response = post(api, body, sas.token)
    assert response.status_code == 404, response.content
    response = api.get("/fhir/Appointment/999999999999999999", **sas.headers())
    assert response.status_code == 404


def test_an_appointment_whose_start_is_a_date_only_is_refused(api: Client, sas: Sas) -> None:
    body = appointment_for(sas.slots[0])
    body["start"] = (sas.slots[0].start + dt.timedelta(days=0)).date().isoformat()
    response = post(api, body, sas.token)
    assert response.status_code in {400, 422}, response.content


def test_a_withdrawn_volunteers_slot_cannot_be_booked_from_the_screens_by_a_forged_id(
    client: Client, sas: Sas
) -> None:
    from django.utils import timezone

    from cpts.territory.models import Commune
    from cpts.unscheduled_care.services import record_request

    coordinator = UserFactory(role="coordinator", community=sas.community)
    deactivate_volunteer(coordinator, sas.volunteer)
    item = record_request(
        sas.user,
        commune=Commune.objects.get(code="59350"),
        urgency="same_day",
        received_at=timezone.now(),
    )
    client.force_login(sas.user)
    target = sas.slots[0]
    response = client.post(f"/sas/demandes/{item.pk}/reserver/", {"slot": target.pk})
    assert response.status_code in {200, 404}
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=target.pk).status == SlotStatus.FREE
