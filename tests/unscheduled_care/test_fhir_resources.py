"""Our models as the ANS profile's resources: identifiers (IDNPS, FINESS), which communities may
publish, and each resource parsed by the FHIR R4 models of ``fhir.resources``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from cpts.territory.models import Commune
from cpts.unscheduled_care import fhir
from cpts.unscheduled_care.services import book, record_request
from tests.factories import CommunityFactory, regulator, slot, volunteer


def test_idnps_is_8_and_the_rpps() -> None:
    assert fhir.idnps("10002909371") == "810002909371"  # the IG's example practitioner
    assert fhir.rpps_of("810002909371") == "10002909371"
    assert fhir.rpps_of("010002909371") is None  # ADELI's prefix
    assert fhir.rpps_of("81000290937") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("finess", "identifier"),
    [
        ("590000014", "1590000014"),
        ("", None),
        ("590000015", None),  # wrong Luhn key
        ("2A0000015", None),  # Corsica: the profile wants ten digits
    ],
)
def test_only_a_valid_finess_makes_a_publishable_community(
    finess: str, identifier: str | None
) -> None:
    community = CommunityFactory.build(finess=finess)
    assert fhir.organisation_identifier(community) == identifier
    assert fhir.publishable(community) is (identifier is not None)
    if identifier:
        assert fhir.FINESS_IDENTIFIER.match(identifier)


@pytest.mark.django_db
def test_every_resource_parses_as_fhir(geography: None) -> None:
    community = CommunityFactory(finess="590000014")
    helper = volunteer(community, commune_id="59350")
    free = slot(helper, timezone.now() + dt.timedelta(hours=3), kinds=("PRO", "SNP"))
    resource = fhir.slot_resource(free, "https://cpts.example/sas/demandes/nouvelle/")
    FhirSlot.model_validate(resource)
    assert [c["code"] for c in resource["meta"]["security"]] == ["PRO", "SNP"]
    Schedule.model_validate(fhir.schedule_resource(helper))
    Practitioner.model_validate(fhir.practitioner_resource(helper.member))
    role = fhir.practitioner_role_resource(helper)
    PractitionerRole.model_validate(role)
    assert role["contained"][0]["address"] == {"city": "Lille"}
    HealthcareService.model_validate(fhir.healthcare_service_resource(community))
    Organization.model_validate(fhir.organization_resource(community))

    user = regulator()
    request = record_request(
        user,
        commune=Commune.objects.get(code="59350"),
        urgency="within_deadline",
        received_at=timezone.now(),
    )
    appointment = book(user, free, request)
    booked = fhir.appointment_resource(appointment)
    FhirAppointment.model_validate(booked)
    operator = booked["extension"][0]["valueReference"]["identifier"]
    # booked from the screens: the regulator's user name, an internal identifier
    assert operator["type"]["coding"][0]["code"] == "INTRN"
    assert operator["value"] == user.username
    assert booked["participant"][0]["actor"]["identifier"]["value"] == "8" + helper.member.rpps


@pytest.mark.django_db
def test_the_cpts_has_one_identifier_meeting_both_profiles(geography: None) -> None:
    """FrOrganizationAgregateurCPTS fixes identifier.type to fr-core's 0203#IDNST,
    FrPractitionerRoleExerciceAgregateur organization.identifier.type to interopsante's: both
    are patterns (a matching coding among others), so one identifier with both meets both."""
    community = CommunityFactory(finess="590000014")
    helper = volunteer(community, commune_id="59350")
    [organization] = fhir.organization_resource(community)["identifier"]
    role = fhir.practitioner_role_resource(helper)["organization"]["identifier"]
    assert role == organization
    codings = organization["type"]["coding"]
    fr_core = {
        "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
        "code": "IDNST",
    }
    interopsante = {"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNST"}
    assert fr_core in codings  # the Organization's profile
    assert interopsante in codings  # the PractitionerRole's profile
    assert (organization["system"], organization["value"]) == (
        "urn:oid:1.2.250.1.71.4.2.2",
        "1590000014",
    )
