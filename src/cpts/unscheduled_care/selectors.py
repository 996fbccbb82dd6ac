"""Reads of unscheduled care: the community's organisation and its versions, volunteers, slots;
the regulation's requests (filtered by :func:`cpts.accounts.access.sas_requests_q`), the free
slots near a patient, the indicator « demandes du SAS ayant abouti à un rendez-vous » and the
distribution of delays from request to appointment.

The counting rules (see ``docs/sas.md``, « L'indicateur »):

* a request counts for the community whose slot holds its **live** appointment (a cancelled
  appointment counts for no one);
* it counts in the period where it was **received** (``received_at``, French time: a period is
  given as dates, from its first day 00:00 to its last day excluded 00:00, Europe/Paris);
* the outcome does not matter: a request « ayant abouti à un rendez-vous » obtained one, whether
  the patient came (honoured), did not come (not honoured), or was sent elsewhere afterwards
  (redirected with an appointment kept).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from cpts.accounts.access import (
    may_read_volunteers,
    sas_declarations_q,
    sas_requests_q,
    scope_of,
)
from cpts.accounts.models import User
from cpts.communities.models import Community, Member
from cpts.territory.models import Commune

from .enums import SlotStatus
from .fhir import publishable as publishable_to_sas
from .models import Appointment, Declaration, Organisation, Request, Slot, Volunteer

#: The code an annex indicator is bound to to take its measured value from the SAS requests
#: recorded here (``cpts.contracts.measures.fill_sas_values``); no ACI parameter gives this
#: indicator a code (the access mission's parameters hold amounts, not indicators).
INDICATOR_CODE = "sas_appointments"
INDICATOR_LABEL = "Nombre de demandes du SAS ayant abouti à un rendez-vous"
#: The provenance of a value counted from these records (``Indicator.computed_engine``).
INDICATOR_SOURCE = "sas"
INDICATOR_SOURCE_LABEL = "demandes du SAS enregistrées dans CPTS Pilote"

#: Bands of delay between a request received and its appointment's start, in hours: [low, high)
#: (``None``: no upper bound). A display choice, not a legal figure (the deadline in force is a
#: dated parameter of ``cpts.aci.sas``).
DELAY_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 4, "moins de 4 h"),
    (4, 12, "de 4 h à moins de 12 h"),
    (12, 24, "de 12 h à moins de 24 h"),
    (24, 48, "de 24 h à moins de 48 h"),
    (48, None, "48 h et plus"),
)

#: Fields of an organisation compared from one version to the next, with their French label.
COMPARED_FIELDS = (
    ("valid_from", "en vigueur depuis le"),
    ("ways", "modes de réponse"),
    ("contacts", "personnes à contacter"),
    ("phone", "ligne dédiée"),
    ("structures", "structures organisées"),
    ("notes", "précisions"),
)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A period of days [start, end) as aware datetimes in French time."""
    zone = timezone.get_default_timezone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


# --- The community's organisation -----------------------------------------------------------


def organisations(community: Community) -> list[Organisation]:
    """Every version, newest first."""
    return list(Organisation.objects.filter(community=community).order_by("-version"))


def describe(organisation: Organisation, name: str) -> str:
    """A field of an organisation as a reader sees it."""
    from .enums import Way

    value = getattr(organisation, name)
    if name == "ways":
        return " ; ".join(str(Way(way).label) for way in value if way in Way.values) or "—"
    if name == "contacts":
        return (
            " ; ".join(
                ", ".join(str(item.get(key, "")) for key in ("nom", "fonction", "téléphone", "courriel") if item.get(key))
                for item in value
                if isinstance(item, dict)
            )
            or "—"
        )  # fmt: skip
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value or "—")


def changes(newer: Organisation, older: Organisation) -> list[tuple[str, str, str]]:
    """What changed from ``older`` to ``newer``: (field label, before, after)."""
    return [
        (label, describe(older, name), describe(newer, name))
        for name, label in COMPARED_FIELDS
        if getattr(older, name) != getattr(newer, name)
    ]


def versions_with_changes(community: Community) -> list[dict[str, Any]]:
    """Each version, newest first, with what changed since the previous one."""
    items = organisations(community)
    return [
        {
            "organisation": item,
            "changes": changes(item, items[index + 1]) if index + 1 < len(items) else None,
        }
        for index, item in enumerate(items)
    ]


# --- Volunteers and slots --------------------------------------------------------------------


def volunteers(community: Community) -> QuerySet[Volunteer]:
    return (
        Volunteer.objects.filter(community=community)
        .select_related("member__commune")
        .order_by("-active", "member__name")
    )


def eligible_members(community: Community) -> QuerySet[Member]:
    """The community's professional members with an RPPS number who are not active volunteers."""
    return (
        Member.objects.filter(community=community, kind=Member.Kind.PROFESSIONAL)
        .exclude(rpps="")
        .exclude(volunteering__community=community, volunteering__active=True)
        .select_related("commune")
        .order_by("name")
    )


def upcoming_slots(community: Community, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Slots of the community that have not ended, soonest first."""
    return (
        Slot.objects.filter(volunteer__community=community, end__gt=now or timezone.now())
        .select_related("volunteer__member")
        .order_by("start", "pk")
    )


def counts(community: Community, now: dt.datetime | None = None) -> dict[str, int]:
    """What everyone who sees the community may know: how many volunteers and free slots."""
    return {
        "volunteers": Volunteer.objects.filter(community=community, active=True).count(),
        "free_slots": upcoming_slots(community, now).filter(status=SlotStatus.FREE).count(),
    }


def volunteer_for(user: User, community: Community, pk: Any) -> Volunteer | None:
    """A volunteer of ``community`` (None when the id is junk or another community's)."""
    if not may_read_volunteers(user, community):
        return None
    try:
        return Volunteer.objects.select_related("member").get(community=community, pk=int(pk))
    except (Volunteer.DoesNotExist, TypeError, ValueError):
        return None


# --- The regulation --------------------------------------------------------------------------


def requests_for(user: User) -> QuerySet[Request]:
    """The SAS requests ``user`` may read (:func:`cpts.accounts.access.sas_requests_q`)."""
    return (
        Request.objects.filter(sas_requests_q(user))
        .select_related("commune", "departement", "appointment__slot__volunteer__community")
        .distinct()
    )


def request_for(user: User, pk: Any) -> Request | None:
    """One request ``user`` may read, or None (unknown, junk id, out of scope)."""
    try:
        return requests_for(user).get(pk=int(pk))
    except (Request.DoesNotExist, TypeError, ValueError):
        return None


def slot_for(user: User, pk: Any) -> Slot | None:
    """A slot of a community in ``user``'s scope, or None."""
    try:
        return (
            Slot.objects.select_related("volunteer__community", "volunteer__member")
            .filter(scope_of(user).q("volunteer__community__"))
            .get(pk=int(pk))
        )
    except (Slot.DoesNotExist, TypeError, ValueError):
        return None


def search_communes(text: str, limit: int = 20) -> list[Commune]:
    """Communes by INSEE code (exact) or by name (beginning, then anywhere)."""
    text = (text or "").strip()
    if not text:
        return []
    if text.isdigit() or (len(text) == 5 and text[:2].upper() in {"2A", "2B"}):
        return list(Commune.objects.filter(code=text.upper()).select_related("departement"))
    found = list(
        Commune.objects.filter(name__iexact=text).select_related("departement").order_by("code")
    )
    if not found:
        found = list(
            Commune.objects.filter(name__istartswith=text)
            .select_related("departement")
            .order_by("name", "code")[:limit]
        )
    return found


#: Nearness of a slot to the patient, when the reference data has no coordinates: the same
#: commune, then the same intercommunality (EPCI), then the same département, then the rest.
#: A volunteer whose member has no commune is placed in the département of its community's seat
#: (a guess, said so: « lieu d'exercice inconnu »).
NEARNESS = ("même commune", "même intercommunalité", "même département", "autre département")
UNKNOWN_PLACE = "lieu d'exercice inconnu"


@dataclass(frozen=True)
class Candidate:
    slot: Slot
    nearness: int
    place_unknown: bool = False

    @property
    def nearness_label(self) -> str:
        label = NEARNESS[self.nearness]
        return f"{label} ({UNKNOWN_PLACE})" if self.place_unknown else label


def search_until(request: Request, due: dt.datetime) -> dt.datetime:
    """The latest start of a slot offered for ``request``: the deadline in force, and for a
    same-day request the last instant of the day it was received (French time), whichever comes
    first."""
    from .enums import Urgency

    if request.urgency != Urgency.SAME_DAY:
        return due
    day = timezone.localtime(request.received_at).date() + dt.timedelta(days=1)
    end_of_day = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_default_timezone())
    return min(due, end_of_day - dt.timedelta(microseconds=1))


def free_slots_near(
    user: User, request: Request, due: dt.datetime, now: dt.datetime | None = None
) -> list[Candidate]:
    """Free slots of active volunteers of communities in ``user``'s scope, starting after now
    (and after the request was received) and at the latest at ``due``, nearest to the patient
    first, then soonest."""
    now = now or timezone.now()
    slots = list(
        Slot.objects.filter(
            scope_of(user).q("volunteer__community__"),
            status=SlotStatus.FREE,
            volunteer__active=True,
            start__gt=max(now, request.received_at),
            start__lte=due,
        ).select_related("volunteer__community", "volunteer__member__commune__departement")
    )
    commune = request.commune
    epcis: set[str] = set(commune.epcis.values_list("code", flat=True)) if commune else set()
    member_communes = {slot.volunteer.member.commune_id for slot in slots} - {None}
    shared: set[str] = set()
    if epcis and member_communes:
        shared = set(
            Commune.objects.filter(code__in=member_communes, epcis__code__in=epcis).values_list(
                "code", flat=True
            )
        )

    def nearness(slot: Slot) -> int:
        place = slot.volunteer.member.commune
        if place is None:  # the département of the community's seat
            return 2 if slot.volunteer.community.departement_id == request.departement_id else 3
        if commune is not None and place.code == commune.code:
            return 0
        if place.code in shared:
            return 1
        if place.departement_id == request.departement_id:
            return 2
        return 3

    candidates = [
        Candidate(slot, nearness(slot), slot.volunteer.member.commune_id is None) for slot in slots
    ]
    return sorted(candidates, key=lambda item: (item.nearness, item.slot.start, item.slot.pk))


# --- The indicator and the delays ------------------------------------------------------------


def live_appointments() -> QuerySet[Appointment]:
    return Appointment.objects.filter(status=Appointment.Status.BOOKED)


def community_appointments(
    community: Community, start: dt.date, end: dt.date
) -> QuerySet[Appointment]:
    """Live appointments in the community's slots for requests received in [start, end)."""
    low, high = _bounds(start, end)
    return live_appointments().filter(
        slot__volunteer__community=community,
        request__received_at__gte=low,
        request__received_at__lt=high,
    )


def appointments_count(community: Community, start: dt.date, end: dt.date) -> int:
    """« Nombre de demandes du SAS ayant abouti à un rendez-vous » of ``community`` over the days
    [start, end): see the module's rules."""
    return community_appointments(community, start, end).count()


def regulation_appointments(user: User, start: dt.date, end: dt.date) -> QuerySet[Appointment]:
    """Live appointments of the requests ``user`` may read, received in [start, end)."""
    low, high = _bounds(start, end)
    readable = Request.objects.filter(sas_requests_q(user)).values("pk")
    return live_appointments().filter(
        request__in=readable, request__received_at__gte=low, request__received_at__lt=high
    )


@dataclass(frozen=True)
class Band:
    label: str
    count: int
    percent: float  # for display only (one decimal), never money

    @property
    def width(self) -> float:
        return self.percent


@dataclass(frozen=True)
class Distribution:
    bands: list[Band]
    total: int
    median: dt.timedelta | None

    @property
    def median_label(self) -> str:
        if self.median is None:
            return "—"
        minutes = int(self.median.total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60:02d}"


def delay_distribution(appointments: QuerySet[Appointment]) -> Distribution:
    """Delays from the request received to the appointment's start, in :data:`DELAY_BANDS`,
    with their median (of an even number of delays: the mean of the two middle ones)."""
    delays = [
        start - received
        for start, received in appointments.values_list("slot__start", "request__received_at")
    ]
    total = len(delays)
    bands = []
    for low, high, label in DELAY_BANDS:
        count = sum(
            1
            for delay in delays
            if delay >= dt.timedelta(hours=low)
            and (high is None or delay < dt.timedelta(hours=high))
        )
        bands.append(Band(label, count, round(100 * count / total, 1) if total else 0.0))
    ordered = sorted(delays)
    middle = total // 2
    median = (
        None
        if not total
        else ordered[middle]
        if total % 2
        else (ordered[middle - 1] + ordered[middle]) / 2
    )
    return Distribution(bands, total, median)


def requests_filter(status: str) -> Q:
    """The filter of the requests list by status (unknown status: everything)."""
    match status:
        case "a_reserver":
            return Q(appointment__isnull=True) & Q(outcome="")
        case "reserve":
            return Q(appointment__status="booked") & Q(outcome="")
        case "suite":
            return ~Q(outcome="")
    return Q()


def publishable(community: Community) -> bool:
    """Are the community's slots published to the SAS platform (FHIR)? Only with a valid FINESS
    number: the profile identifies the CPTS by it (docs/sas.md). Its screen says so."""
    return publishable_to_sas(community)


def declarations_for(user: User) -> QuerySet[Declaration]:
    """The outbox to the SAS platform as ``user`` may read it (newest first); 403 for a role that
    may not see it (:func:`cpts.accounts.access.sas_declarations_q`)."""
    allowed = sas_declarations_q(user)
    if allowed is None:
        raise PermissionDenied("Votre rôle ne permet pas de voir les déclarations au SAS.")
    return (
        Declaration.objects.filter(allowed)
        .select_related("task", "appointment__slot__volunteer__community")
        .order_by("-pk")
    )
