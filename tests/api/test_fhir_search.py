"""GET /fhir/metadata, /fhir/Slot and /fhir/Slot/<id>: the Bundle of the ANS CPTS profile, each
include as asked, the reader's scope, the parameters refused by name, paging."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from cpts.accounts import tokens
from cpts.accounts.models import Role
from cpts.unscheduled_care import fhir
from tests.factories import CommunityFactory, UserFactory, regulator, slot, volunteer

from .conftest import Sas

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parents[1] / "unscheduled_care" / "fhir_examples"
ALL_INCLUDES = {
    "_include": ["Slot:schedule", "Slot:service-type-reference"],
    "_include:iterate": ["Schedule:actor", "HealthcareService:organization"],
}


def window(days: float = 3, **extra: Any) -> dict[str, Any]:
    now = timezone.localtime()
    end = now + dt.timedelta(days=days)
    return {
        "start": [
            f"ge{now.isoformat(timespec='seconds')}",
            f"le{end.isoformat(timespec='seconds')}",
        ],
        "status": "free",
        **extra,
    }


def search(api: Client, sas: Sas, **params: Any) -> Any:
    return api.get("/fhir/Slot", params, **sas.headers())


def test_metadata_needs_no_token_and_states_the_server(api: Client) -> None:
    response = api.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert (statement["kind"], statement["fhirVersion"]) == ("instance", "4.0.1")
    assert "application/fhir+json" in statement["format"]
    [rest] = statement["rest"]
    assert "Bearer" in rest["security"]["description"]
    slot_, appointment = rest["resource"]
    assert {i["code"] for i in slot_["interaction"]} == {"read", "search-type"}
    assert set(slot_["searchInclude"]) == {
        "Slot:schedule",
        "Schedule:actor",
        "Slot:service-type-reference",
        "HealthcareService:organization",
    }
    assert {i["code"] for i in appointment["interaction"]} == {"create", "read"}


def test_the_bundle_has_the_shape_of_the_ans_example(api: Client, sas: Sas) -> None:
    response = search(api, sas, **window(), **ALL_INCLUDES)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    Bundle.model_validate(bundle)  # every resource parsed by its R4 model
    example = json.loads((EXAMPLES / "bundle-cpts-1.json").read_text())
    Bundle.model_validate(example)
    assert bundle["type"] == example["type"] == "searchset"
    assert bundle["total"] == 2
    assert [link["relation"] for link in bundle["link"]] == ["self"]

    def kinds(b: dict[str, Any]) -> list[tuple[str, str]]:
        return [(e["resource"]["resourceType"], e["search"]["mode"]) for e in b["entry"]]

    # the example's one slot and five included resources, in the same order; ours has two slots
    # of one volunteer, so each included resource comes once
    assert kinds(bundle) == [("Slot", "match"), *kinds(example)]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert (
            entry["fullUrl"]
            == f"http://testserver/fhir/{resource['resourceType']}/{resource['id']}"
        )

    by_type = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"][1:]}
    first = bundle["entry"][0]["resource"]
    assert first["meta"]["profile"] == [fhir.PROFILE_SLOT]
    assert first["meta"]["security"] == [
        {"system": fhir.SLOT_KIND_SYSTEM, "code": "SNP"},
        {"system": fhir.SLOT_KIND_SYSTEM, "code": "CPTS"},
    ]
    assert fhir.SLOT_KIND_SYSTEM == (
        "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
    )
    [service_type] = first["serviceType"]
    assert service_type["coding"] == [
        {
            "system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement",
            "code": "604",
        }
    ]
    assert service_type["extension"] == [
        {
            "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType",
            "valueReference": {"reference": f"HealthcareService/{sas.community.pk}"},
        }
    ]
    assert first["status"] == "free"
    assert first["start"] == timezone.localtime(sas.slots[0].start).isoformat(timespec="seconds")
    assert first["start"][-6:] in {"+01:00", "+02:00"}
    assert first["comment"] == "http://testserver/sas/demandes/nouvelle/"  # where to book
    assert first["schedule"] == {"reference": f"Schedule/{sas.volunteer.pk}"}
    assert bundle["entry"][1]["resource"]["meta"]["security"] == [
        {"system": fhir.SLOT_KIND_SYSTEM, "code": "PUBLIC"}
    ]

    schedule = by_type["Schedule"]
    assert schedule["actor"] == [
        {"reference": f"Practitioner/{sas.volunteer.member.pk}"},
        {"reference": f"PractitionerRole/{sas.volunteer.pk}"},
    ]
    [identifier] = by_type["Practitioner"]["identifier"]
    assert identifier["system"] == "urn:oid:1.2.250.1.71.4.2.1"
    assert identifier["value"] == "8" + sas.volunteer.member.rpps
    assert len(identifier["value"]) == len("810002909371")  # as the ANS example: 8 + 11 digits
    assert identifier["type"]["coding"] == [
        {"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNPS"}
    ]
    role = by_type["PractitionerRole"]
    assert role["location"] == [{"reference": "#location"}]
    assert role["contained"][0]["resourceType"] == "Location"
    assert by_type["HealthcareService"]["providedBy"] == {
        "reference": f"Organization/{sas.community.pk}"
    }
    [finess] = by_type["Organization"]["identifier"]
    assert finess["system"] == "urn:oid:1.2.250.1.71.4.2.2"
    assert finess["value"] == "1590000014"
    assert fhir.FINESS_IDENTIFIER.match(finess["value"])
    assert fhir.FINESS_IDENTIFIER.match("1950047225")  # the ANS example's
    assert not fhir.FINESS_IDENTIFIER.match("590000014")  # without its prefix
    assert finess["type"]["coding"][0]["code"] == "IDNST"


@pytest.mark.parametrize(
    ("includes", "expected"),
    [
        ({}, []),
        ({"_include": "Slot:schedule"}, ["Schedule"]),
        (
            {"_include": "Slot:schedule", "_include:iterate": "Schedule:actor"},
            ["Schedule", "Practitioner", "PractitionerRole"],
        ),
        ({"_include": "Slot:service-type-reference"}, ["HealthcareService"]),
        (
            {
                "_include": "Slot:service-type-reference",
                "_include:iterate": "HealthcareService:organization",
            },
            ["HealthcareService", "Organization"],
        ),
    ],
)
def test_only_the_includes_asked_for(
    api: Client, sas: Sas, includes: dict[str, str], expected: list[str]
) -> None:
    bundle = search(api, sas, **window(), **includes).json()
    included = [
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"
    ]
    assert included == expected


def test_only_the_readers_scope_and_only_publishable_communities(api: Client, sas: Sas) -> None:
    tomorrow = sas.slots[0].start
    elsewhere = volunteer(CommunityFactory(departement_id="62", finess="620000018"))
    slot(elsewhere, tomorrow)
    without_finess = volunteer(CommunityFactory(departement_id="59"))
    slot(without_finess, tomorrow)
    assert not fhir.publishable(without_finess.community)
    assert fhir.publishable(sas.community)
    bundle = search(api, sas, **window()).json()
    assert bundle["total"] == 2
    assert {e["resource"]["id"] for e in bundle["entry"]} == {str(s.pk) for s in sas.slots}

    admin = UserFactory(role=Role.ADMIN)
    everything = api.get("/fhir/Slot", window(), HTTP_AUTHORIZATION=f"Bearer {tokens.issue(admin)}")
    assert everything.json()["total"] == 3  # the Pas-de-Calais too, never the one without FINESS


def test_busy_past_and_outside_the_window_are_not_published(api: Client, sas: Sas) -> None:
    sas.slots[1].status = "busy"
    sas.slots[1].save()
    slot(sas.volunteer, timezone.now() - dt.timedelta(minutes=5))  # begun
    slot(sas.volunteer, timezone.now() + dt.timedelta(days=5))  # after the window
    bundle = search(api, sas, **window(days=3)).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(sas.slots[0].pk)]


def test_practitioner_filter(api: Client, sas: Sas) -> None:
    other = volunteer(sas.community)
    slot(other, sas.slots[0].start)
    token = f"urn:oid:1.2.250.1.71.4.2.1|8{other.member.rpps}"
    bundle = search(
        api, sas, **window(), **{"schedule.actor:Practitioner.identifier": token}
    ).json()
    assert bundle["total"] == 1


def test_paging_with_count_and_a_next_link(api: Client, sas: Sas) -> None:
    first = search(api, sas, **window(), _count="1").json()
    assert first["total"] == 2
    assert len(first["entry"]) == 1
    [next_link] = [link["url"] for link in first["link"] if link["relation"] == "next"]
    assert "_offset=1" in next_link
    second = api.get(next_link.replace("http://testserver", ""), **sas.headers()).json()
    assert [link["relation"] for link in second["link"]] == ["self"]
    assert {first["entry"][0]["resource"]["id"], second["entry"][0]["resource"]["id"]} == {
        str(s.pk) for s in sas.slots
    }


def test_the_ans_query_string_with_unencoded_offsets(api: Client, sas: Sas) -> None:
    day = timezone.localtime(sas.slots[0].start)
    offset = day.isoformat()[-6:]  # « +01:00 », sent unencoded as in the ANS example
    query = (
        "_include=Slot:schedule&_include:iterate=Schedule:actor"
        "&_include=Slot:service-type-reference&_include:iterate=HealthcareService:organization"
        f"&start=ge{day:%Y-%m-%d}T00:00:00.000{offset}&start=le{day:%Y-%m-%d}T23:59:00.000{offset}"
        "&status=free"
    )
    response = api.get(f"/fhir/Slot?{query}", **sas.headers())
    assert response.status_code == 200, response.content
    assert response.json()["total"] >= 1


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "free"}, "start"),
        ({"start": "ge2026-13-45T10:00:00+01:00"}, "start"),
        ({"start": ["ge2026-12-01T10:00:00+01:00"]}, "start"),
        ({"start": ["ge2026-12-01", "le2026-12-20"]}, "start"),
        ({"start": ["ge2026-12-03", "le2026-12-01"]}, "start"),
        ({"start": ["2026-12-01", "le2026-12-02"]}, "start"),
        ({"start": ["ge2026-12-01", "le2026-12-02"], "status": "busy"}, "status"),
        ({"start": ["ge2026-12-01", "le2026-12-02"], "_include": "Slot:nothing"}, "_include"),
        ({"start": ["ge2026-12-01", "le2026-12-02"], "_count": "-3"}, "_count"),
        ({"start": ["ge2026-12-01", "le2026-12-02"], "_count": "abc"}, "_count"),
        (
            {
                "start": ["ge2026-12-01", "le2026-12-02"],
                "schedule.actor:Practitioner.identifier": "urn:oid:1.2.250.1.71.4.2.1|123",
            },
            "schedule.actor:Practitioner.identifier",
        ),
    ],
)
def test_bad_parameters_are_a_400_naming_them_in_french(
    api: Client, sas: Sas, params: dict[str, Any], parameter: str
) -> None:
    response = search(api, sas, **params)
    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert issue["expression"] == [parameter]
    assert issue["diagnostics"].startswith(parameter)


def test_a_week_is_the_longest_window(api: Client, sas: Sas) -> None:
    assert (
        search(
            api, sas, start=["ge2026-12-01T00:00:00+01:00", "le2026-12-08T00:00:00+01:00"]
        ).status_code
        == 200
    )
    response = search(
        api, sas, start=["ge2026-12-01T00:00:00+01:00", "le2026-12-08T00:00:01+01:00"]
    )
    assert response.status_code == 400
    assert "7 jours" in response.json()["issue"][0]["diagnostics"]


def test_slot_read_in_scope_only(api: Client, sas: Sas) -> None:
    response = api.get(f"/fhir/Slot/{sas.slots[0].pk}", **sas.headers())
    assert response.status_code == 200
    assert response.json()["id"] == str(sas.slots[0].pk)
    other = slot(
        volunteer(CommunityFactory(departement_id="62", finess="620000018")), sas.slots[0].start
    )
    for path in (f"/fhir/Slot/{other.pk}", "/fhir/Slot/999999", "/fhir/Slot/abc", "/fhir/Nothing"):
        response = api.get(path, **sas.headers())
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"


def test_no_token_revoked_token_and_a_role_that_may_not_regulate(api: Client, sas: Sas) -> None:
    response = api.get("/fhir/Slot", window())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["issue"][0]["code"] == "login"
    tokens.revoke(sas.token, by=None)
    response = search(api, sas, **window())
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    cpam = UserFactory(role=Role.CPAM, departements=["59"])
    response = api.get("/fhir/Slot", window(), HTTP_AUTHORIZATION=f"Bearer {tokens.issue(cpam)}")
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_browser_session_is_not_a_token(api: Client, sas: Sas) -> None:
    api.force_login(sas.user)
    response = api.get("/fhir/Slot", window())
    assert response.status_code == 401  # JSON, not a redirect to the login page
    assert response["Content-Type"] == "application/fhir+json"


def test_a_regulator_sees_no_other_departement(api: Client, sas: Sas) -> None:
    pas_de_calais = regulator(["62"])
    response = api.get(
        "/fhir/Slot", window(), HTTP_AUTHORIZATION=f"Bearer {tokens.issue(pas_de_calais)}"
    )
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_a_week_window_publishes_only_slots_bookable_now(api: Client, sas: Sas) -> None:
    """A booking by the platform is received now: a slot beyond now + 48 h would be a 422."""
    late = slot(sas.volunteer, timezone.now() + dt.timedelta(hours=49))
    bundle = search(api, sas, **window(days=7)).json()
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert ids == [str(s.pk) for s in sas.slots]  # a day ahead: published
    assert str(late.pk) not in ids
    assert bundle["total"] == 2
    statement = api.get("/fhir/metadata").json()
    assert "48 heures" in statement["rest"][0]["documentation"]
