"""A FrAppointmentSAS posted by the SAS platform, checked: its structure by ``fhir.resources``
(FHIR R4 datatypes: R4B's are the same for Appointment), then the profile's constraints by hand.
A refusal names the element (FHIRPath) and says why, in French."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from cpts.unscheduled_care.fhir import (
    APPOINTMENT_OPERATOR,
    IDENTIFIER_TYPE_SYSTEM,
    PARTICIPATION_STATUS_SYSTEM,
    RPPS_SYSTEM,
    rpps_of,
)

#: A FrAppointmentSAS is about 1 kB: anything over 64 kB is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024
PARTICIPANT_STATUSES = {"accepted", "needs-action"}  # the profile's value set (participationstatus)
OPERATOR = f"Appointment.extension.where(url='{APPOINTMENT_OPERATOR}')"
_SLOT_REFERENCE = re.compile(r"^(?:.*/)?Slot/([0-9]{1,18})$")


class Invalid(Exception):
    """The body is refused: ``status`` 400 (not a FHIR Appointment) or 422 (the profile)."""

    def __init__(self, status: int, expression: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.expression = expression
        self.message = message


@dataclass(frozen=True)
class Booking:
    """What a valid FrAppointmentSAS asks: book this slot (by id, or found by professional and
    start) for these identifiers."""

    slot_id: int | None
    rpps: str
    start: dt.datetime
    end: dt.datetime
    identifier: tuple[str, str]
    operator: tuple[str, str]


def _expression(location: tuple[Any, ...]) -> str:
    path = "Appointment"
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "resource_type":
            path += f".{part}"
        else:
            path += ".resourceType"
    return path


def parse_json(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise Invalid(413, None, f"Corps trop volumineux (au plus {MAX_BODY_BYTES // 1024} ko).")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Invalid(400, None, "Le corps n'est pas un JSON valide (UTF-8).") from None
    if not isinstance(data, dict):
        raise Invalid(400, None, "Le corps doit être une ressource FHIR (un objet JSON).")
    if data.get("resourceType") != "Appointment":
        raise Invalid(
            400,
            "Appointment.resourceType",
            "resourceType : une ressource Appointment est attendue.",
        )
    return data


def structure(data: dict[str, Any]) -> FhirAppointment:
    """The FHIR datatypes and cardinalities of Appointment (400 when broken)."""
    try:
        return FhirAppointment.model_validate(data)
    except RecursionError:
        raise Invalid(400, None, "Ressource trop profondément imbriquée.") from None
    except Exception as error:  # pydantic's ValidationError, or a value the library refuses
        errors = getattr(error, "errors", None)
        if callable(errors):
            first = errors()[0]
            expression = _expression(tuple(first.get("loc", ())))
            message = str(first.get("msg", "valeur invalide")).splitlines()[0]
        else:
            expression, message = "Appointment", str(error).splitlines()[0][:200]
        raise Invalid(
            400, expression, f"{expression} : ressource Appointment mal formée ({message})."
        ) from None


def _one_coding(type_: Any, where: str) -> Any:
    codings = getattr(type_, "coding", None) or []
    if len(codings) != 1:
        raise Invalid(422, f"{where}.type.coding", f"{where}.type.coding : un codage exactement.")
    return codings[0]


def profile(appointment: FhirAppointment) -> Booking:
    """The constraints of FrAppointmentSAS beyond FHIR's (422 when broken)."""
    if appointment.status != "booked":
        raise Invalid(
            422,
            "Appointment.status",
            "Appointment.status : seul un rendez-vous « booked » est créé.",
        )
    identifiers = appointment.identifier or []
    if len(identifiers) != 1 or not identifiers[0].system or not identifiers[0].value:
        raise Invalid(
            422,
            "Appointment.identifier",
            "Appointment.identifier : un identifiant exactement, avec son système et sa valeur.",
        )
    identifier_system, identifier_value = str(identifiers[0].system), str(identifiers[0].value)
    if len(identifier_system) > 200 or len(identifier_value) > 200:
        raise Invalid(
            422, "Appointment.identifier", "Appointment.identifier : 200 caractères au plus."
        )
    operators = [ext for ext in appointment.extension or [] if ext.url == APPOINTMENT_OPERATOR]
    if len(operators) != 1:
        raise Invalid(
            422,
            OPERATOR,
            "Extension appointmentOperator (le régulateur qui a pris le rendez-vous) : "
            "obligatoire, une seule.",
        )
    reference = operators[0].valueReference
    operator = getattr(reference, "identifier", None)
    if operator is None or not operator.system or not operator.value:
        raise Invalid(
            422,
            f"{OPERATOR}.valueReference.identifier",
            "appointmentOperator : valueReference.identifier avec son système et sa valeur.",
        )
    coding = _one_coding(operator.type, f"{OPERATOR}.valueReference.identifier")
    if coding.system != IDENTIFIER_TYPE_SYSTEM or not coding.code:
        raise Invalid(
            422,
            f"{OPERATOR}.valueReference.identifier.type.coding",
            f"appointmentOperator : type d'identifiant codé dans {IDENTIFIER_TYPE_SYSTEM}.",
        )
    if len(operator.system) > 200 or len(operator.value) > 100:
        raise Invalid(
            422,
            f"{OPERATOR}.valueReference.identifier",
            "appointmentOperator : identifiant trop long.",
        )
    if appointment.start is None or appointment.end is None:
        missing = "start" if appointment.start is None else "end"
        raise Invalid(
            422, f"Appointment.{missing}", f"Appointment.{missing} : obligatoire (avec le fuseau)."
        )
    rpps = None
    for index, participant in enumerate(appointment.participant or []):
        where = f"Appointment.participant[{index}]"
        actor_identifier = getattr(participant.actor, "identifier", None)
        if actor_identifier is None:
            continue
        coding = _one_coding(actor_identifier.type, f"{where}.actor.identifier")
        if (coding.system, coding.code) != (IDENTIFIER_TYPE_SYSTEM, "IDNPS"):
            raise Invalid(
                422,
                f"{where}.actor.identifier.type",
                f"{where}.actor.identifier.type : IDNPS de {IDENTIFIER_TYPE_SYSTEM} attendu.",
            )
        if actor_identifier.system != RPPS_SYSTEM or not actor_identifier.value:
            raise Invalid(
                422,
                f"{where}.actor.identifier.system",
                f"{where}.actor.identifier : système {RPPS_SYSTEM} et valeur obligatoires.",
            )
        if participant.status not in PARTICIPANT_STATUSES:
            raise Invalid(
                422,
                f"{where}.status",
                f"{where}.status : « accepted » ou « needs-action » ({PARTICIPATION_STATUS_SYSTEM}).",
            )
        rpps = rpps or rpps_of(actor_identifier.value)
    if rpps is None:
        raise Invalid(
            422,
            "Appointment.participant.actor.identifier",
            "Appointment.participant : le professionnel effecteur, identifié par 8 suivi de son "
            "numéro RPPS, est obligatoire.",
        )
    slot_id = None
    slots = appointment.slot or []
    if len(slots) > 1:
        raise Invalid(422, "Appointment.slot", "Appointment.slot : un créneau au plus.")
    if slots:
        match = _SLOT_REFERENCE.match(slots[0].reference or "")
        if match is None:
            raise Invalid(
                422, "Appointment.slot", "Appointment.slot : référence attendue « Slot/<id> »."
            )
        slot_id = int(match[1])
    return Booking(
        slot_id=slot_id,
        rpps=rpps,
        start=appointment.start,
        end=appointment.end,
        identifier=(identifier_system, identifier_value),
        operator=(str(operator.system), str(operator.value)),
    )
