"""The FHIR API of the SAS aggregator (``/fhir/``): the CapabilityStatement, the search and read
of slots with the resources they refer to, the creation and read of appointments.

Bearer tokens only (``Authorization: Bearer cpts_…``, :mod:`cpts.accounts.tokens`): a browser
session is never used here, so no CSRF token is asked. The token's user acts with its rights
(:mod:`cpts.accounts.access`): a SAS regulation sees and books the slots of its départements.
``/fhir/metadata`` answers without a token, as FHIR servers do (it tells nothing of our data).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cpts.accounts import tokens
from cpts.accounts.access import Action, can
from cpts.accounts.models import User
from cpts.aci.sas import response_deadline
from cpts.core.errors import RuleError
from cpts.unscheduled_care import fhir
from cpts.unscheduled_care.models import Appointment, Slot, Volunteer
from cpts.unscheduled_care.platform import DuplicateIdentifier, book_for_platform
from cpts.unscheduled_care.publication import published_slot, published_slots
from cpts.unscheduled_care.services import OutsideDeadline, SlotTaken

from . import appointments, search
from .outcomes import outcome, resource_response

View = Callable[..., HttpResponse]
BEARER = 'Bearer realm="CPTS Pilote"'


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def booking_link(request: HttpRequest) -> str:
    """Where a regulator books in CPTS Pilote (Slot.comment): a booking starts from the request
    (« Régulation SAS », new request, then its slots), so every slot links there."""
    return request.build_absolute_uri(reverse("sas:new_request"))


def endpoint(*methods: str, token: bool = True) -> Callable[[View], View]:
    """A FHIR endpoint: its methods (405 else), a bearer token (401 else), and our refusals as
    OperationOutcome (404 out of scope, 403 a role that may not act)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method not in methods:
                return outcome(
                    405,
                    f"Méthode {request.method} non servie ici ({', '.join(methods)}).",
                    Allow=", ".join(methods),
                )
            if token:
                header = request.headers.get("Authorization")
                user = tokens.authenticate(header)
                if user is None:
                    challenge = BEARER + (', error="invalid_token"' if header else "")
                    return outcome(
                        401,
                        "Jeton d'accès manquant, invalide ou révoqué (Authorization: Bearer …).",
                        WWW_Authenticate=challenge,
                    )
                request.token_user = user  # type: ignore[attr-defined]
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return outcome(404, "Ressource introuvable, ou hors de votre périmètre.")
            except PermissionDenied:
                return outcome(403, "Votre rôle ne permet pas cette action.")

        return wrapper

    return decorate


def _user(request: HttpRequest) -> User:
    user: User = request.token_user  # type: ignore[attr-defined]
    return user


@endpoint("GET", token=False)
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement of this server (kind instance)."""
    hours = response_deadline(timezone.localtime()).hours
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "CPTS Pilote",
        "kind": "instance",
        "implementation": {
            "description": "CPTS Pilote — agrégateur de créneaux des CPTS pour le SAS",
            "url": base_url(request),
        },
        "fhirVersion": fhir.FHIR_VERSION,
        "format": [fhir.CONTENT_TYPE, "json"],
        "implementationGuide": [fhir.IG],
        "rest": [
            {
                "mode": "server",
                "documentation": "Créneaux de soins non programmés des CPTS, et prise de "
                "rendez-vous par la plateforme SAS. Une recherche de créneaux (Slot) ne publie "
                "que les créneaux libres qui commencent après maintenant et au plus tard à "
                f"maintenant plus le délai de prise en charge en vigueur ({hours} heures "
                "aujourd'hui) : un rendez-vous pris par la plateforme est une demande reçue à "
                "l'instant, et un créneau au-delà de ce délai serait refusé (422). La borne "
                "start=le… est ramenée à cette limite.",
                "security": {
                    "cors": False,
                    "description": "Jetons d'accès porteurs (Authorization: Bearer cpts_…) "
                    "délivrés par l'administrateur (cpts token --user) ; le rôle et le "
                    "périmètre du compte s'appliquent. /metadata se lit sans jeton.",
                },
                "resource": [
                    {
                        "type": "Slot",
                        "profile": fhir.PROFILE_SLOT,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchInclude": sorted(search.INCLUDES | search.ITERATE_INCLUDES),
                        "searchParam": [
                            {"name": "start", "type": "date"},
                            {"name": "status", "type": "token"},
                            {"name": search.PRACTITIONER_PARAMETER, "type": "token"},
                        ],
                    },
                    {
                        "type": "Appointment",
                        "profile": fhir.PROFILE_APPOINTMENT,
                        "interaction": [{"code": "create"}, {"code": "read"}],
                    },
                ],
            }
        ],
    }
    return resource_response(statement)


def _entry(base: str, resource: dict[str, object], mode: str) -> dict[str, object]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _page_link(request: HttpRequest, offset: int) -> str:
    query = request.GET.copy()
    query["_offset"] = str(offset)
    return f"{base_url(request)}/Slot?{urlencode(list(query.lists()), doseq=True)}"


@endpoint("GET")
def slot_search(request: HttpRequest) -> HttpResponse:
    """A searchset Bundle (BundleAgregateurCPTS): the slots, then the resources included."""
    try:
        query = search.parse(request.GET)
    except search.BadParameter as error:
        return outcome(400, error.message, error.parameter, code="invalid")
    slots = published_slots(_user(request), query.start_from, query.start_to, query.rpps)
    total = slots.count()
    page = list(slots[query.offset : query.offset + query.count])
    base = base_url(request)
    entries = [
        _entry(base, fhir.slot_resource(slot, booking_link(request)), "match") for slot in page
    ]
    entries += _included(base, page, query.includes)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if query.offset + query.count < total:
        links.append({"relation": "next", "url": _page_link(request, query.offset + query.count)})
    bundle = {
        "resourceType": "Bundle",
        "meta": {"profile": [fhir.PROFILE_BUNDLE], "lastUpdated": fhir.instant(timezone.now())},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }
    return resource_response(bundle)


def _included(base: str, page: list[Slot], includes: frozenset[str]) -> list[dict[str, object]]:
    """The resources the slots refer to, each once, as each ``_include`` asks."""
    volunteers: dict[int, Volunteer] = {slot.volunteer_id: slot.volunteer for slot in page}
    communities = {volunteer.community_id: volunteer.community for volunteer in volunteers.values()}
    entries = []
    if "Slot:schedule" in includes:
        entries += [_entry(base, fhir.schedule_resource(v), "include") for v in volunteers.values()]
        if "Schedule:actor" in includes:
            for volunteer in volunteers.values():
                entries.append(
                    _entry(base, fhir.practitioner_resource(volunteer.member), "include")
                )
                entries.append(_entry(base, fhir.practitioner_role_resource(volunteer), "include"))
    if "Slot:service-type-reference" in includes:
        entries += [
            _entry(base, fhir.healthcare_service_resource(c), "include")
            for c in communities.values()
        ]
        if "HealthcareService:organization" in includes:
            entries += [
                _entry(base, fhir.organization_resource(c), "include") for c in communities.values()
            ]
    return entries


def _id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Http404
    return int(raw)


@endpoint("GET")
def slot_read(request: HttpRequest, pk: str) -> HttpResponse:
    slot = published_slot(_user(request), _id(pk))
    return resource_response(fhir.slot_resource(slot, booking_link(request)))


@endpoint("GET")
def appointment_read(request: HttpRequest, pk: str) -> HttpResponse:
    user = _user(request)
    if not can(user, Action.REGULATE):
        raise PermissionDenied
    appointment = (
        Appointment.objects.select_related("slot__volunteer__member", "slot__volunteer__community")
        .filter(pk=_id(pk))
        .first()
    )
    if appointment is None or not can(user, Action.REGULATE, appointment.slot.volunteer.community):
        raise Http404
    return resource_response(fhir.appointment_resource(appointment))


def _slot_for(user: User, booking: appointments.Booking) -> Slot:
    if booking.slot_id is not None:
        return published_slot(user, booking.slot_id)
    found = published_slots(
        user, booking.start, booking.start, [booking.rpps], bookable_now=False
    ).first()
    if found is None:
        raise Http404
    return found


@endpoint("POST", "GET")
def appointment_create(request: HttpRequest) -> HttpResponse:
    """Create (book) an appointment from a FrAppointmentSAS."""
    if request.method == "GET":
        return outcome(405, "La recherche de rendez-vous n'est pas servie.", Allow="POST")
    user = _user(request)
    if not can(user, Action.REGULATE):
        raise PermissionDenied
    content_type = request.content_type or ""
    if content_type not in {fhir.CONTENT_TYPE, "application/json"}:
        return outcome(415, "Content-Type attendu : application/fhir+json.")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > appointments.MAX_BODY_BYTES:
        return outcome(
            413, f"Corps trop volumineux (au plus {appointments.MAX_BODY_BYTES} octets)."
        )
    try:
        data = appointments.parse_json(request.body)
        booking = appointments.profile(appointments.structure(data))
    except appointments.Invalid as error:
        return outcome(error.status, error.message, error.expression)
    slot = _slot_for(user, booking)
    if slot.volunteer.member.rpps != booking.rpps:
        return outcome(
            422,
            "Appointment.participant : le professionnel n'est pas celui du créneau.",
            "Appointment.participant.actor.identifier",
        )
    for name, theirs, ours in (
        ("start", booking.start, slot.start),
        ("end", booking.end, slot.end),
    ):
        if theirs != ours:
            return outcome(
                422,
                f"Appointment.{name} : doit être celui du créneau ({fhir.instant(ours)}).",
                f"Appointment.{name}",
            )
    try:
        appointment = book_for_platform(
            user, slot, identifier=booking.identifier, operator=booking.operator
        )
    except DuplicateIdentifier as error:
        return outcome(
            409,
            f"Un rendez-vous porte déjà cet identifiant (Appointment/{error.existing.pk}) : un "
            "même envoi n'est enregistré qu'une fois.",
            "Appointment.identifier",
            code="duplicate",
        )
    except SlotTaken as error:
        return outcome(409, str(error), "Appointment.slot")
    except OutsideDeadline as error:
        return outcome(422, str(error), "Appointment.start")
    except RuleError as error:
        return outcome(422, str(error), "Appointment.start")
    appointment.refresh_from_db()
    return resource_response(
        fhir.appointment_resource(appointment),
        201,
        Location=f"{base_url(request)}/Appointment/{appointment.pk}",
    )


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return outcome(404, "Ressource ou interaction FHIR inconnue.")
