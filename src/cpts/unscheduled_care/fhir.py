"""Our slots and appointments as the SAS platform reads them: the resources of the ANS profile
« Service d'Accès aux Soins » (``ans.fhir.fr.sas`` 1.2.0, FHIR 4.0.1), aggregator flow of the
CPTS use case (FrSlotAgregateurCPTS and the resources a Slot refers to) and FrAppointmentSAS.

Plain dictionaries (JSON), built from our models; ``cpts.api`` serves them, the outbox
(:mod:`cpts.unscheduled_care.declarations`) sends the appointments. The codes, systems and
profile URLs below are the ones the profile mandates. Each resource's id is our primary key:
Slot, Appointment: theirs; Schedule and PractitionerRole: the volunteer's; Practitioner: the
member's; HealthcareService and Organization: the community's.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from cpts.communities.identifiers import finess_error
from cpts.communities.models import Community, Member

from .models import Appointment, Organisation, Slot, Volunteer

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json"
IG = "https://interop.esante.gouv.fr/ig/fhir/sas"

# Profiles (meta.profile), as the profile's validator expects them.
PROFILE_BUNDLE = f"{IG}/StructureDefinition/sas-cpts-bundle-aggregator"
PROFILE_SLOT = f"{IG}/StructureDefinition/sas-cpts-slot-aggregator"
PROFILE_SCHEDULE = "http://sas.fr/fhir/StructureDefinition/FrScheduleAgregateur"
PROFILE_PRACTITIONER = "http://sas.fr/fhir/StructureDefinition/FrPractitionerAgregateur"
PROFILE_PRACTITIONER_ROLE = (
    "http://sas.fr/fhir/StructureDefinition/FrPractitionerRoleExerciceAgregateur"
)
PROFILE_LOCATION = "http://sas.fr/fhir/StructureDefinition/FrLocationAgregateur"
PROFILE_HEALTHCARE_SERVICE = f"{IG}/StructureDefinition/sas-cpts-healthcareservice-aggregator"
PROFILE_ORGANIZATION = f"{IG}/StructureDefinition/sas-cpts-organization-aggregator"
PROFILE_APPOINTMENT = "http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"

# Code systems and identifier systems.
SLOT_KIND_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
ESTABLISHMENT_CATEGORY_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
CPTS_CATEGORY = "604"  # TRE_R66: a CPTS
SERVICE_TYPE_R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType"
APPOINTMENT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
IDENTIFIER_TYPE_SYSTEM = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
# FrOrganizationAgregateurCPTS fixes identifier.type to fr-core's copy of table 0203 (and
# FrPractitionerRoleExerciceAgregateur to interopsante's: see _organisation_identifier).
FR_CORE_IDENTIFIER_TYPE_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
LOCATION_IDENTIFIER_TYPE_SYSTEM = (
    "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type"
)
RPPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"  # national identifiers of professionals (IDNPS)
FINESS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"  # national identifiers of structures (IDNST)
APPOINTMENT_OPERATOR = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"
PARTICIPATION_STATUS_SYSTEM = "http://hl7.org/fhir/participationstatus"

#: The national identifier of a professional is the RPPS number behind the prefix ``8`` (``0``
#: is ADELI's): the profile's examples and its appointment page (« RPPS avec préfixe 8 »).
IDNPS_RPPS_PREFIX = "8"
#: The national identifier of a structure is the FINESS number behind the prefix ``1``.
IDNST_FINESS_PREFIX = "1"
FINESS_IDENTIFIER = re.compile(r"^1[0-9]{9}$")  # FrOrganizationAgregateurCPTS: FINESS-invariant


def idnps(rpps: str) -> str:
    return IDNPS_RPPS_PREFIX + rpps


def rpps_of(idnps_value: str) -> str | None:
    """The RPPS number of a national identifier ``8`` + 11 digits, else None."""
    if re.fullmatch(r"8[0-9]{11}", idnps_value or ""):
        return idnps_value[1:]
    return None


def organisation_identifier(community: Community) -> str | None:
    """The community's identifier in the profile (``1`` + FINESS), or None without a FINESS that
    makes one (none, invalid, or Corsican ``2A``/``2B``: the profile wants ten digits)."""
    if not community.finess or finess_error(community.finess) is not None:
        return None
    value = IDNST_FINESS_PREFIX + community.finess
    return value if FINESS_IDENTIFIER.match(value) else None


def publishable(community: Community) -> bool:
    """May the community's slots be published to the SAS platform? Only with a FINESS number:
    the profile identifies the CPTS (Organization) by it, and nothing else."""
    return organisation_identifier(community) is not None


def instant(moment: dt.datetime) -> str:
    """An instant with its offset, in French time (``2024-06-12T16:40:00+02:00``)."""
    local = timezone.localtime(moment)
    return local.isoformat(timespec="microseconds" if local.microsecond else "seconds")


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _practitioner_identifier(rpps: str) -> dict[str, Any]:
    return {
        "type": {"coding": [_coding(IDENTIFIER_TYPE_SYSTEM, "IDNPS")]},
        "system": RPPS_SYSTEM,
        "value": idnps(rpps),
    }


def _organisation_identifier(community: Community) -> dict[str, Any]:
    """``1`` + FINESS, typed IDNST, the same identifier wherever the CPTS is named. The IG
    contradicts itself on the type's code system: FrOrganizationAgregateurCPTS fixes fr-core's
    table 0203, FrPractitionerRoleExerciceAgregateur (``organization.identifier.type``)
    interopsante's. Both are patterns on a CodeableConcept (a coding must match, others may be
    there), so the type carries both codings, fr-core's first: each resource meets its profile,
    and the Organization and the PractitionerRole's organization carry one identical
    identifier."""
    return {
        "type": {
            "coding": [
                _coding(FR_CORE_IDENTIFIER_TYPE_SYSTEM, "IDNST"),
                _coding(IDENTIFIER_TYPE_SYSTEM, "IDNST"),
            ]
        },
        "system": FINESS_SYSTEM,
        "value": organisation_identifier(community),
    }


def slot_resource(slot: Slot, booking_link: str) -> dict[str, Any]:
    """A FrSlotAgregateurCPTS: typed (meta.security, TRE_R314), a CPTS slot (serviceType TRE_R66
    604 with the R5 extension naming the community's HealthcareService), free, with the link
    where a regulator books in CPTS Pilote (``booking_link``, the comment)."""
    volunteer = slot.volunteer
    return {
        "resourceType": "Slot",
        "id": str(slot.pk),
        "meta": {
            "profile": [PROFILE_SLOT],
            "security": [_coding(SLOT_KIND_SYSTEM, kind) for kind in slot.kinds],
        },
        "serviceType": [
            {
                "extension": [
                    {
                        "url": SERVICE_TYPE_R5,
                        "valueReference": {
                            "reference": f"HealthcareService/{volunteer.community_id}"
                        },
                    }
                ],
                "coding": [_coding(ESTABLISHMENT_CATEGORY_SYSTEM, CPTS_CATEGORY)],
            }
        ],
        "appointmentType": {"coding": [_coding(APPOINTMENT_REASON_SYSTEM, "ROUTINE")]},
        "schedule": {"reference": f"Schedule/{volunteer.pk}"},
        "status": "free" if slot.status == "free" else "busy",
        "start": instant(slot.start),
        "end": instant(slot.end),
        "comment": booking_link,
    }


def schedule_resource(volunteer: Volunteer) -> dict[str, Any]:
    """A FrScheduleAgregateur: the volunteer's schedule, its actors the professional and their
    role in the community."""
    return {
        "resourceType": "Schedule",
        "id": str(volunteer.pk),
        "meta": {"profile": [PROFILE_SCHEDULE]},
        "active": volunteer.active,
        "actor": [
            {"reference": f"Practitioner/{volunteer.member_id}"},
            {"reference": f"PractitionerRole/{volunteer.pk}"},
        ],
    }


def practitioner_resource(member: Member) -> dict[str, Any]:
    """A FrPractitionerAgregateur: the professional by national identifier (``8`` + RPPS)."""
    return {
        "resourceType": "Practitioner",
        "id": str(member.pk),
        "meta": {"profile": [PROFILE_PRACTITIONER]},
        "identifier": [_practitioner_identifier(member.rpps)],
        "name": [{"text": member.name, "family": member.name}],
    }


def practitioner_role_resource(volunteer: Volunteer) -> dict[str, Any]:
    """A FrPractitionerRoleExerciceAgregateur: where the professional practises (a contained
    Location: their commune) for the community (its FINESS)."""
    member = volunteer.member
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": "location",
        "meta": {"profile": [PROFILE_LOCATION]},
    }
    if member.commune is not None:
        location["address"] = {"city": member.commune.name}
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(volunteer.pk),
        "meta": {"profile": [PROFILE_PRACTITIONER_ROLE]},
        "contained": [location],
        "active": volunteer.active,
        "practitioner": {"reference": f"Practitioner/{member.pk}"},
        "location": [{"reference": "#location"}],
    }
    if publishable(volunteer.community):
        resource["organization"] = {"identifier": _organisation_identifier(volunteer.community)}
    return resource


def _latest_organisation(community: Community) -> Organisation | None:
    return Organisation.objects.filter(community=community).order_by("-version").first()


def healthcare_service_resource(community: Community) -> dict[str, Any]:
    """A FrHealthcareServiceAgregateurCPTS: the community's unscheduled care, provided by it."""
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(community.pk),
        "meta": {"profile": [PROFILE_HEALTHCARE_SERVICE]},
        "providedBy": {"reference": f"Organization/{community.pk}"},
        "name": f"Soins non programmés — {community.name}",
    }
    organisation = _latest_organisation(community)
    if organisation is not None and organisation.phone:
        resource["telecom"] = [{"system": "phone", "value": organisation.phone}]
    return resource


def organization_resource(community: Community) -> dict[str, Any]:
    """A FrOrganizationAgregateurCPTS: the community, identified by ``1`` + its FINESS."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(community.pk),
        "meta": {"profile": [PROFILE_ORGANIZATION]},
        "identifier": [_organisation_identifier(community)],
        "name": community.name,
    }
    organisation = _latest_organisation(community)
    if organisation is not None and organisation.phone:
        resource["telecom"] = [{"system": "phone", "value": organisation.phone}]
    return resource


def appointment_resource(appointment: Appointment) -> dict[str, Any]:
    """A FrAppointmentSAS: the appointment booked, its identifier, the regulator who booked
    (appointmentOperator), the professional (``8`` + RPPS) who accepted it."""
    slot = appointment.slot
    operator_system = appointment.operator_system or "urn:cpts-pilote:user"
    operator_type = "IDNPS" if operator_system == RPPS_SYSTEM else "INTRN"
    return {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": {"profile": [PROFILE_APPOINTMENT]},
        "extension": [
            {
                "url": APPOINTMENT_OPERATOR,
                "valueReference": {
                    "identifier": {
                        "type": {"coding": [_coding(IDENTIFIER_TYPE_SYSTEM, operator_type)]},
                        "system": operator_system,
                        "value": appointment.operator_value,
                    }
                },
            }
        ],
        "identifier": [
            {"system": appointment.identifier_system, "value": appointment.identifier_value}
        ],
        "status": appointment.status,
        "start": instant(slot.start),
        "end": instant(slot.end),
        "created": instant(appointment.created_at),
        "slot": [{"reference": f"Slot/{slot.pk}"}],
        "participant": [
            {
                "actor": {"identifier": _practitioner_identifier(slot.volunteer.member.rpps)},
                "status": "accepted",
            }
        ],
    }
