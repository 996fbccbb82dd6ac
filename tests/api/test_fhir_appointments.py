"""POST /fhir/Appointment (a FrAppointmentSAS) and GET /fhir/Appointment/<id>: the IG's example
adapted to one of our slots is booked (201, Location), then refused (409); the profile broken is
a 400/422 naming the element; the deadline, the past, the scope and the tokens."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from cpts.accounts import tokens
from cpts.accounts.models import Role
from cpts.unscheduled_care import fhir
from cpts.unscheduled_care.enums import Channel, SlotStatus
from cpts.unscheduled_care.models import Appointment, Declaration, Request, Slot
from tests.factories import CommunityFactory, UserFactory, regulator, slot, volunteer

from .conftest import FINESS, Sas

EXAMPLE = json.loads(
    (
        Path(__file__).parents[1] / "unscheduled_care" / "fhir_examples" / "appointment-booked.json"
    ).read_text()
)
OPERATOR = f"Appointment.extension.where(url='{fhir.APPOINTMENT_OPERATOR}')"


def appointment_for(
    target: Slot, identifier: str = "b6e39355-8a61-4556-b340-36f7b95fec6a"
) -> dict[str, Any]:
    """The IG's ExampleAppointmentBooked, moved to ``target`` (its professional, its times)."""
    body = copy.deepcopy(EXAMPLE)
    del body["id"]
    body["identifier"][0]["value"] = identifier
    body["start"] = fhir.instant(target.start)
    body["end"] = fhir.instant(target.end)
    body["slot"] = [{"reference": f"Slot/{target.pk}"}]
    body["participant"][0]["actor"]["identifier"]["value"] = "8" + target.volunteer.member.rpps
    return body


def post(api: Client, body: Any, token: str | None, **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.post(
        "/fhir/Appointment", data, content_type="application/fhir+json", **headers, **extra
    )


def issue_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    [issue] = body["issue"]
    return issue


@pytest.mark.django_db
def test_the_ig_example_books_the_slot_then_the_same_slot_is_a_409(api: Client, sas: Sas) -> None:
    target = sas.slots[0]
    response = post(api, appointment_for(target), sas.token)
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get()
    assert response["Location"] == f"http://testserver/fhir/Appointment/{appointment.pk}"
    stored = response.json()
    FhirAppointment.model_validate(stored)
    assert stored["id"] == str(appointment.pk)
    assert stored["identifier"] == EXAMPLE["identifier"]
    assert stored["extension"] == EXAMPLE["extension"]  # the regulator, as the platform sent it
    assert (stored["start"], stored["end"]) == (
        fhir.instant(target.start),
        fhir.instant(target.end),
    )
    assert stored["slot"] == [{"reference": f"Slot/{target.pk}"}]
    assert Slot.objects.get(pk=target.pk).status == SlotStatus.BUSY
    request = Request.objects.get()
    assert request.channel == Channel.FHIR
    assert request.commune is None
    assert request.departement_id == "59"
    assert (appointment.operator_system, appointment.operator_value) == (
        "urn:oid:1.2.250.1.71.4.2.1",
        "3456780581/11242343",
    )
    assert Declaration.objects.filter(appointment=appointment).count() == 1  # the outbox

    again = post(api, appointment_for(target, identifier="another-one"), sas.token)
    assert again.status_code == 409
    assert issue_of(again)["expression"] == ["Appointment.slot"]
    assert Appointment.objects.count() == 1
    assert Request.objects.count() == 1

    read = api.get(f"/fhir/Appointment/{appointment.pk}", **sas.headers())
    assert read.status_code == 200
    assert read.json() == stored


@pytest.mark.django_db
def test_the_same_identifier_posted_twice_is_a_409(api: Client, sas: Sas) -> None:
    assert post(api, appointment_for(sas.slots[0]), sas.token).status_code == 201
    response = post(api, appointment_for(sas.slots[1]), sas.token)  # same identifier
    assert response.status_code == 409
    issue = issue_of(response)
    assert issue["code"] == "duplicate"
    assert issue["expression"] == ["Appointment.identifier"]
    first = Appointment.objects.get()
    assert f"(Appointment/{first.pk})" in issue["diagnostics"]  # where the first one is
    assert Slot.objects.get(pk=sas.slots[1].pk).status == SlotStatus.FREE
    assert Request.objects.count() == 1


@pytest.mark.django_db
def test_without_a_slot_reference_the_slot_is_found_by_professional_and_start(
    api: Client, sas: Sas
) -> None:
    body = appointment_for(sas.slots[1])
    del body["slot"]
    response = post(api, body, sas.token)
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().slot_id == sas.slots[1].pk


def _break(body: dict[str, Any], change: str) -> None:
    match change:
        case "no identifier":
            del body["identifier"]
        case "two identifiers":
            body["identifier"].append({"system": "urn:x", "value": "2"})
        case "no operator":
            del body["extension"]
        case "operator without system":
            del body["extension"][0]["valueReference"]["identifier"]["system"]
        case "operator coded elsewhere":
            body["extension"][0]["valueReference"]["identifier"]["type"]["coding"][0]["system"] = (
                "urn:x"
            )
        case "status proposed":
            body["status"] = "proposed"
        case "no end":
            del body["end"]
        case "professional not IDNPS":
            body["participant"][0]["actor"]["identifier"]["type"]["coding"][0]["code"] = "INTRN"
        case "professional in another system":
            body["participant"][0]["actor"]["identifier"]["system"] = "urn:x"
        case "participant declined":
            body["participant"][0]["status"] = "declined"
        case "another professional":
            body["participant"][0]["actor"]["identifier"]["value"] = "810002909371"
        case "start moved":
            body["start"] = "2030-01-01T10:00:00+01:00"
        case "slot not a reference to a Slot":
            body["slot"] = [{"reference": "Schedule/1"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ("no identifier", "Appointment.identifier"),
        ("two identifiers", "Appointment.identifier"),
        ("no operator", OPERATOR),
        ("operator without system", f"{OPERATOR}.valueReference.identifier"),
        ("operator coded elsewhere", f"{OPERATOR}.valueReference.identifier.type.coding"),
        ("status proposed", "Appointment.status"),
        ("no end", "Appointment.end"),
        ("professional not IDNPS", "Appointment.participant[0].actor.identifier.type"),
        ("professional in another system", "Appointment.participant[0].actor.identifier.system"),
        ("participant declined", "Appointment.participant[0].status"),
        ("another professional", "Appointment.participant.actor.identifier"),
        ("start moved", "Appointment.start"),
        ("slot not a reference to a Slot", "Appointment.slot"),
    ],
)
def test_the_profile_broken_is_a_422_naming_the_element(
    api: Client, sas: Sas, change: str, expression: str
) -> None:
    body = appointment_for(sas.slots[0])
    _break(body, change)
    response = post(api, body, sas.token)
    assert response.status_code == 422, response.content
    assert issue_of(response)["expression"] == [expression]
    assert not Appointment.objects.exists()
    assert not Request.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "expression"),
    [
        ("{not json", None),
        (b"\xff\xfe", None),
        ("[1, 2]", None),
        ('"text"', None),
        ({"resourceType": "Patient"}, "Appointment.resourceType"),
        ({"resourceType": "Appointment", "status": 3, "participant": []}, "Appointment.status"),
        (
            {"resourceType": "Appointment", "status": "booked", "participant": "x"},
            "Appointment.participant",
        ),
        (
            {
                "resourceType": "Appointment",
                "status": "booked",
                "participant": [{"status": "accepted"}],
                "start": "tomorrow",
            },
            "Appointment.start",
        ),
        (
            {
                "resourceType": "Appointment",
                "status": "booked",
                "participant": [{"status": "accepted"}],
                "unknown": 1,
            },
            "Appointment.unknown",
        ),
        ("[" * 30_000 + "]" * 30_000, None),  # deep, under the cap
    ],
)
def test_anything_malformed_is_a_400_never_a_500(
    api: Client, sas: Sas, body: Any, expression: str | None
) -> None:
    response = post(api, body, sas.token)
    assert response.status_code == 400, response.content
    issue = issue_of(response)
    if expression:
        assert issue["expression"] == [expression]


@pytest.mark.django_db
def test_a_huge_body_or_the_wrong_content_type_is_refused(api: Client, sas: Sas) -> None:
    body = appointment_for(sas.slots[0])
    body["comment"] = "x" * 100_000
    assert post(api, body, sas.token).status_code == 413
    response = api.post(
        "/fhir/Appointment",
        "a=1",
        content_type="application/x-www-form-urlencoded",
        **sas.headers(),
    )
    assert response.status_code == 415
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_outside_the_deadline_or_in_the_past_is_a_422_in_french(api: Client, sas: Sas) -> None:
    far = slot(sas.volunteer, timezone.now() + dt.timedelta(days=3))  # after the 48 hours
    response = post(api, appointment_for(far), sas.token)
    assert response.status_code == 422
    issue = issue_of(response)
    assert "délai de prise en charge" in issue["diagnostics"]
    assert "48 heures" in issue["diagnostics"]
    past = slot(sas.volunteer, timezone.now() - dt.timedelta(hours=1))
    past.status = SlotStatus.FREE
    response = post(api, appointment_for(past, identifier="past"), sas.token)
    # a slot that has begun is no longer published: unknown to the platform
    assert response.status_code in {404, 422}
    assert not Appointment.objects.exists()
    assert not Request.objects.exists()


@pytest.mark.django_db
def test_tokens_roles_and_scope(api: Client, sas: Sas) -> None:
    body = appointment_for(sas.slots[0])
    response = post(api, body, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    revoked = tokens.issue(sas.user)
    tokens.revoke(revoked, by=None)
    assert post(api, body, revoked).status_code == 401
    coordinator = UserFactory(role=Role.COORDINATOR, community=sas.community)
    response = post(api, body, tokens.issue(coordinator))
    assert response.status_code == 403
    assert issue_of(response)["code"] == "forbidden"
    pas_de_calais = regulator(["62"])
    response = post(api, body, tokens.issue(pas_de_calais))
    assert response.status_code == 404  # the slot is out of its scope
    no_finess = slot(volunteer(CommunityFactory()), sas.slots[0].start)
    assert post(api, appointment_for(no_finess, "nf"), sas.token).status_code == 404
    unknown = appointment_for(sas.slots[0], "unknown")
    unknown["slot"] = [{"reference": "Slot/999999"}]
    assert post(api, unknown, sas.token).status_code == 404
    assert not Appointment.objects.exists()
    # the read is scoped too
    assert post(api, body, sas.token).status_code == 201
    pk = Appointment.objects.get().pk
    assert (
        api.get(
            f"/fhir/Appointment/{pk}", HTTP_AUTHORIZATION=f"Bearer {tokens.issue(pas_de_calais)}"
        ).status_code
        == 404
    )
    assert api.get(f"/fhir/Appointment/{pk}").status_code == 401


@pytest.mark.django_db
def test_csrf_is_not_asked_and_get_on_the_collection_is_a_405(sas: Sas) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, appointment_for(sas.slots[0]), sas.token).status_code == 201
    assert strict.get("/fhir/Appointment", **sas.headers()).status_code == 405
    assert strict.delete(f"/fhir/Slot/{sas.slots[0].pk}", **sas.headers()).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_posts_for_one_slot_at_once_exactly_one_is_201(geography: None) -> None:
    community = CommunityFactory(finess=FINESS)
    target = slot(volunteer(community), timezone.now() + dt.timedelta(hours=3))
    token = tokens.issue(regulator(["59"]))
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def attempt(number: int) -> None:
        try:
            barrier.wait()
            statuses.append(
                post(Client(), appointment_for(target, f"race-{number}"), token).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert Appointment.objects.count() == 1
    assert Request.objects.count() == 1
    assert Declaration.objects.count() == 1


def test_the_documented_example_books_a_slot_once_its_placeholders_are_filled(
    api: Client, sas: Sas
) -> None:
    """docs/examples/appointment.json (used by docs/sas.md's curl example) is a valid booking."""
    text = (Path(__file__).parents[2] / "docs" / "examples" / "appointment.json").read_text()
    target = sas.slots[0]
    for placeholder, value in (
        ("{{IDENTIFIANT}}", "doc-example-1"),
        ("{{SLOT_ID}}", str(target.pk)),
        ("{{START}}", fhir.instant(target.start)),
        ("{{END}}", fhir.instant(target.end)),
        ("{{IDNPS}}", "8" + target.volunteer.member.rpps),
    ):
        assert placeholder in text
        text = text.replace(placeholder, value)
    assert "{{" not in text
    response = post(api, text, sas.token)
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().identifier_value == "doc-example-1"
