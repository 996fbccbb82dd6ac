"""The outbox to the SAS platform, against a fake platform on loopback: down, the declarations
stay queued; a 500 is retried; then each is received once, in booking order, and is a valid
FrAppointmentSAS."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from typer.testing import CliRunner

from cpts.cli import app
from cpts.core import tasks
from cpts.core.models import Task, TaskStatus
from cpts.territory.models import Commune
from cpts.unscheduled_care.declarations import KIND, ORDERED_KEY, outbox_state, send_outbox
from cpts.unscheduled_care.fhir import APPOINTMENT_OPERATOR, RPPS_SYSTEM
from cpts.unscheduled_care.models import Appointment, Declaration
from cpts.unscheduled_care.services import SlotTaken, book, record_request
from tests.factories import regulator, slot, volunteer

from .fake_platform import fake_platform, free_port

pytestmark = pytest.mark.django_db


def _booked(count: int) -> list[Appointment]:
    """``count`` appointments booked from the screens, in this order, a few hours ahead."""
    user = regulator()
    helper = volunteer()
    now = timezone.now()
    booked = []
    for number in range(count):
        request = record_request(
            user,
            commune=Commune.objects.get(code="59350"),
            urgency="within_deadline",
            received_at=now - dt.timedelta(minutes=5),
        )
        free = slot(helper, now + dt.timedelta(hours=2 + number))
        booked.append(book(user, free, request))
    return booked


def test_a_booking_queues_its_declaration_and_a_refused_booking_none(geography: None) -> None:
    [appointment] = _booked(1)
    declaration = Declaration.objects.get()
    assert declaration.appointment == appointment
    assert declaration.status == Declaration.Status.QUEUED
    task = Task.objects.get()
    assert declaration.task == task
    assert (task.kind, task.ordered_key, task.payload) == (
        KIND,
        ORDERED_KEY,
        {"declaration": declaration.pk},
    )
    user = regulator()
    request = record_request(
        user,
        commune=Commune.objects.get(code="59350"),
        urgency="same_day",
        received_at=timezone.now(),
    )
    with pytest.raises(SlotTaken):
        book(user, appointment.slot, request)
    assert Declaration.objects.count() == 1
    assert Task.objects.count() == 1


def test_not_configured_they_wait_and_the_screen_can_say_so(geography: None, settings: Any) -> None:
    settings.SAS_PLATFORM_URL = ""
    _booked(2)
    summary = send_outbox()
    assert not summary.configured
    assert summary.waiting == 2
    assert "non configurée" in summary.french()
    tasks.run_due()  # the worker meets them: they stay queued, to be retried
    state = outbox_state()
    assert (state.configured, state.waiting, state.failed) == (False, 2, 0)
    assert (
        Declaration.objects.order_by("pk")
        .first()
        .response_body.endswith("plateforme SAS non configurée (SAS_PLATFORM_URL)")
    )


def test_platform_down_then_500_then_received_once_in_booking_order(
    geography: None, settings: Any
) -> None:
    first, second = _booked(2)
    settings.SAS_PLATFORM_URL = f"http://127.0.0.1:{free_port()}/fhir"  # nothing listens
    settings.SAS_PLATFORM_TIMEOUT = 2
    now = timezone.now()
    summary = tasks.run_due(now=now)
    assert (summary.done, summary.retried) == (0, 1)  # the head only: the second waits behind
    head = Declaration.objects.get(appointment=first)
    assert head.status == Declaration.Status.QUEUED
    assert head.attempts == 1
    assert head.response_status is None
    assert "pas de réponse" in head.response_body
    assert Declaration.objects.get(appointment=second).attempts == 0

    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        settings.SAS_PLATFORM_TOKEN = "sas-secret"
        assert tasks.run_due(now=now).ran == 0  # the head's retry is not due yet
        assert platform.received == []

        platform.answers = [500]
        later = now + dt.timedelta(hours=2)
        assert tasks.run_due(now=later).retried == 1
        head.refresh_from_db()
        assert (head.attempts, head.response_status, head.status) == (2, 500, "queued")

        summary = tasks.run_due(now=later + dt.timedelta(hours=2))
        assert summary.done == 2
        assert tasks.run_due(now=later + dt.timedelta(hours=4)).ran == 0  # once

    accepted = platform.accepted()
    assert [r.body["identifier"][0]["value"] for r in accepted] == [
        first.identifier_value,
        second.identifier_value,
    ]
    assert len(platform.received) == 3  # the 500, then the two
    for received in accepted:
        assert received.path == "/fhir/Appointment"
        assert received.headers["content-type"] == "application/fhir+json"
        assert received.headers["authorization"] == "Bearer sas-secret"
        FhirAppointment.model_validate(received.body)  # FHIR structure
        body = received.body
        assert body["status"] == "booked"
        [operator] = body["extension"]
        assert operator["url"] == APPOINTMENT_OPERATOR
        assert operator["valueReference"]["identifier"]["value"]
        [participant] = body["participant"]
        assert participant["actor"]["identifier"]["system"] == RPPS_SYSTEM
        assert participant["actor"]["identifier"]["value"] == "8" + first.slot.volunteer.member.rpps
    assert set(Declaration.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.DONE}


def test_a_4xx_is_failed_for_good_and_the_next_goes_on(geography: None, settings: Any) -> None:
    first, second = _booked(2)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        platform.answers = [400]
        summary = send_outbox()
    assert (summary.sent, summary.refused, summary.waiting) == (1, 1, 0)
    failed = Declaration.objects.get(appointment=first)
    assert failed.status == Declaration.Status.FAILED
    assert failed.response_status == 400
    assert "OperationOutcome" in failed.response_body
    assert Declaration.objects.get(appointment=second).status == Declaration.Status.SENT


def test_a_429_is_retried(geography: None, settings: Any) -> None:
    _booked(1)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        platform.answers = [429]
        assert send_outbox().waiting == 1
        assert send_outbox().sent == 1  # send-outbox does not wait for the retry's time
    assert Declaration.objects.get().status == Declaration.Status.SENT


def test_the_command_sends_and_prints_a_french_summary(geography: None, settings: Any) -> None:
    _booked(1)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        result = CliRunner().invoke(app, ["sas", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert "1 envoyée(s), 0 en échec, 0 en attente" in result.output
    assert len(platform.received) == 1


def test_the_declared_appointment_keeps_the_profile_of_the_ig_example() -> None:
    example = json.loads(
        (Path(__file__).parent / "fhir_examples" / "appointment-booked.json").read_text()
    )
    FhirAppointment.model_validate(example)
    assert example["extension"][0]["url"] == APPOINTMENT_OPERATOR


def test_refusals_are_counted_failed_by_the_worker_each_line_its_own(
    geography: None, settings: Any
) -> None:
    first, second = _booked(2)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        platform.answers = [422, 422]
        result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "0 envoyée(s), 2 en échec, 0 en attente." in lines  # not « 2 envoyée(s) »
    refusals = [line for line in lines if "refused for good" in line]
    assert len(refusals) == 2
    assert all(line.startswith("task ") and "HTTP 422" in line for line in refusals)
    for appointment in (first, second):
        declaration = Declaration.objects.get(appointment=appointment)
        assert (declaration.status, declaration.response_status) == ("failed", 422)
        assert declaration.attempts == 1
        assert declaration.response_body == '{"resourceType": "OperationOutcome"}'
        assert declaration.task.status == TaskStatus.REFUSED
    assert outbox_state().failed == 2


def test_send_outbox_speaks_the_workers_words(geography: None, settings: Any) -> None:
    _booked(2)
    with fake_platform() as platform:
        settings.SAS_PLATFORM_URL = platform.url
        platform.answers = [422]
        result = CliRunner().invoke(app, ["sas", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert (
        "Déclarations à la plateforme SAS : 1 envoyée(s), 1 en échec, 0 en attente."
        in result.output.splitlines()
    )
