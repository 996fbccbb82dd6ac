"""Issue 18's « done when », on the seeded demo: the SAS platform's token searches a week of
slots and gets a conforming Bundle, books one (201) and not twice (409), and the platform
receives the declaration from the worker."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from cpts.accounts.models import User
from cpts.cli import app
from cpts.core import tasks
from cpts.demo.seed import seed_demo
from cpts.unscheduled_care import fhir
from tests.unscheduled_care.fake_platform import fake_platform

from .test_fhir_appointments import appointment_for

pytestmark = pytest.mark.django_db


def test_search_book_and_declare_on_the_demo(geography: None, settings: object) -> None:
    seed_demo(timezone.localdate())
    result = CliRunner().invoke(app, ["token", "--user", "sas"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("cpts_")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    api = Client()

    now = timezone.localtime()
    response = api.get(
        "/fhir/Slot",
        {
            "start": [
                f"ge{now.isoformat(timespec='seconds')}",
                f"le{(now + dt.timedelta(days=7)).isoformat(timespec='seconds')}",
            ],
            "status": "free",
            "_include": ["Slot:schedule", "Slot:service-type-reference"],
            "_include:iterate": ["Schedule:actor", "HealthcareService:organization"],
            "_count": "500",
        },
        **headers,
    )
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    # a week asked, the next 48 hours served (the deadline in force: a later slot could not be
    # booked now): five volunteers, three slots a day each, two days: 30 (give or take a daily
    # time at the window's edge on a change of summer time)
    assert 25 <= bundle["total"] <= 35
    due = now + dt.timedelta(hours=48)
    slots = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Slot"]
    assert all(dt.datetime.fromisoformat(slot["start"]) <= due for slot in slots)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert types == {
        "Slot",
        "Schedule",
        "Practitioner",
        "PractitionerRole",
        "HealthcareService",
        "Organization",
    }
    [organisation] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization"
    ]
    assert organisation["name"] == "CPTS Métropole lilloise Nord"
    assert fhir.FINESS_IDENTIFIER.match(organisation["identifier"][0]["value"])

    from cpts.unscheduled_care.models import Slot

    first = Slot.objects.get(pk=int(bundle["entry"][0]["resource"]["id"]))
    body = appointment_for(first, identifier="demo-sas-0001")
    created = api.post(
        "/fhir/Appointment", json.dumps(body), content_type="application/fhir+json", **headers
    )
    assert created.status_code == 201, created.content
    again = api.post(
        "/fhir/Appointment", json.dumps(body), content_type="application/fhir+json", **headers
    )
    assert again.status_code == 409

    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url  # type: ignore[attr-defined]
        assert tasks.run_due().done >= 1
        result = CliRunner().invoke(app, ["sas", "send-outbox"])
    assert result.exit_code == 0
    assert "0 envoyée(s), 0 en échec, 0 en attente" in result.output  # nothing left: once
    [received] = platform.received
    assert received.body["identifier"] == [
        {"system": body["identifier"][0]["system"], "value": "demo-sas-0001"}
    ]
    assert received.body["meta"]["profile"] == [fhir.PROFILE_APPOINTMENT]
    assert User.objects.get(username="sas").role == "regulator"
