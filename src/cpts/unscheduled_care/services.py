"""Writes of unscheduled care, each after :func:`cpts.accounts.access.require`: the community's
organisation (a new version per change), its volunteers and slots; the regulation's requests,
bookings and outcomes.

Booking is the one place where two people race: :func:`book` locks the slot's row and the
database refuses a second live appointment in a slot (``one_live_appointment_per_slot``), so of
two regulators booking the same slot at once exactly one wins, the other gets :class:`SlotTaken`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from cpts.accounts.access import Action, may_read_sas_request, require
from cpts.accounts.models import User
from cpts.aci.errors import InvalidInput
from cpts.aci.sas import ResponseDeadline, response_deadline
from cpts.communities.models import Community, Member
from cpts.core.audit import save_audited
from cpts.core.dates import moment_fr
from cpts.core.errors import RuleError
from cpts.territory.models import Commune

from .declarations import declare
from .enums import Channel, Outcome, SlotKind, SlotStatus, Urgency, Way
from .models import Appointment, Organisation, Request, Slot, Volunteer
from .selectors import search_until

#: The identifier system of appointments booked in CPTS Pilote's own screens.
LOCAL_IDENTIFIER_SYSTEM = "urn:cpts-pilote:appointment"


class SlotTaken(RuleError):
    """The slot is no longer free (booked by someone else, possibly a moment ago)."""


class OutsideDeadline(RuleError):
    """The slot starts after the deadline in force for the request (or before it was received)."""


def _constraint(error: IntegrityError) -> str:
    """The name of the constraint that refused a write (empty when unknown)."""
    return str(getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or "")


def _aware(moment: dt.datetime, what: str) -> dt.datetime:
    if timezone.is_naive(moment):
        raise RuleError(f"{what} : indiquez l'heure avec son fuseau horaire.")
    return moment


# --- The community's organisation ------------------------------------------------------------


def adopt_organisation(
    user: User,
    community: Community,
    *,
    valid_from: dt.date,
    ways: Sequence[str],
    contacts: Sequence[dict[str, str]] = (),
    phone: str = "",
    structures: str = "",
    notes: str = "",
) -> Organisation:
    """A new version of the community's organisation of unscheduled care."""
    require(user, Action.ORGANISE, community)
    ways = list(dict.fromkeys(ways))
    if not ways or any(way not in Way.values for way in ways):
        raise RuleError("Choisissez au moins un mode de réponse parmi ceux proposés.")
    if Way.DEDICATED_LINE in ways and not phone.strip():
        raise RuleError("Indiquez le numéro de la ligne dédiée.")
    with transaction.atomic():
        Community.objects.select_for_update().get(pk=community.pk)  # versions in turn
        latest = Organisation.objects.filter(community=community).aggregate(v=Max("version"))["v"]
        return save_audited(
            Organisation(
                community=community,
                version=(latest or 0) + 1,
                valid_from=valid_from,
                ways=ways,
                contacts=[dict(contact) for contact in contacts],
                phone=phone.strip(),
                structures=structures,
                notes=notes,
                created_by=user,
            ),
            user,
        )


def add_volunteer(user: User, member: Member, since: dt.date) -> Volunteer:
    """A member of the community, a professional with an RPPS number, volunteers."""
    community = member.community
    require(user, Action.ORGANISE, community)
    if member.kind != Member.Kind.PROFESSIONAL or not member.rpps:
        raise RuleError(
            "Seul un professionnel de santé membre, avec son numéro RPPS, peut être volontaire."
        )
    volunteer, created = Volunteer.objects.get_or_create(
        community=community, member=member, defaults={"since": since}
    )
    if not created and volunteer.active:
        raise RuleError(f"{member.name} est déjà volontaire.")
    volunteer.active = True
    volunteer.since = since if not created else volunteer.since
    return save_audited(volunteer, user)


def add_slots(
    user: User,
    volunteer: Volunteer,
    periods: Iterable[tuple[dt.datetime, dt.datetime]],
    kinds: Sequence[str],
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Slots of a volunteer's schedule kept for unscheduled care (all or none)."""
    require(user, Action.ORGANISE, volunteer.community)
    now = now or timezone.now()
    kinds = list(dict.fromkeys(kinds))
    if not kinds or any(kind not in SlotKind.values for kind in kinds):
        raise RuleError("Choisissez au moins un type de créneau parmi ceux du SAS.")
    if not volunteer.active:
        raise RuleError("Ce professionnel n'est plus volontaire.")
    slots: list[Slot] = []
    for start, end in periods:
        _aware(start, "Début du créneau")
        _aware(end, "Fin du créneau")
        if end <= start:
            raise RuleError(f"Le créneau du {moment_fr(start)} doit finir après son début.")
        if start <= now:
            raise RuleError(f"Le créneau du {moment_fr(start)} est dans le passé.")
        for other in slots:  # a series that overlaps itself
            if other.start < end and start < other.end:
                raise RuleError(
                    f"Le créneau du {moment_fr(start)} chevauche celui du {moment_fr(other.start)} "
                    "de la même série."
                )
        slots.append(Slot(volunteer=volunteer, start=start, end=end, kinds=kinds, created_by=user))
    try:
        with transaction.atomic():
            # the volunteer's slots are added in turn (the database refuses an overlap anyway)
            Volunteer.objects.select_for_update().get(pk=volunteer.pk)
            live = Slot.objects.filter(volunteer=volunteer).exclude(status=SlotStatus.CANCELLED)
            for slot in slots:
                taken = live.filter(start__lt=slot.end, end__gt=slot.start).first()
                if taken is not None:
                    raise RuleError(
                        f"Le créneau du {moment_fr(slot.start)} chevauche celui du "
                        f"{moment_fr(taken.start)} au {timezone.localtime(taken.end):%H:%M} : "
                        f"{volunteer.member.name} ne peut pas recevoir deux patients à la fois."
                    )
            return [save_audited(slot, user) for slot in slots]
    except IntegrityError as error:
        if _constraint(error) == "volunteer_slots_never_overlap":
            raise RuleError(
                f"Ces créneaux chevauchent ceux que {volunteer.member.name} vient de recevoir : "
                "rechargez la page."
            ) from None
        raise


# --- The regulation: requests, bookings, outcomes --------------------------------------------


def record_request(
    user: User,
    *,
    commune: Commune | None,
    urgency: str,
    received_at: dt.datetime | None,
    channel: str = Channel.BROWSER,
    now: dt.datetime | None = None,
) -> Request:
    """A request of the regulation, with only what it needs: the patient's commune, how urgent,
    when it was received (not in the future)."""
    require(user, Action.REGULATE)
    now = now or timezone.now()
    if commune is None:
        raise RuleError("Indiquez la commune du patient.")
    if received_at is None:
        raise RuleError("Indiquez l'heure de réception de la demande.")
    _aware(received_at, "Heure de réception")
    if received_at > now:
        raise RuleError("L'heure de réception de la demande ne peut pas être dans le futur.")
    if urgency not in Urgency.values:
        raise RuleError("Choisissez le niveau d'urgence parmi ceux proposés.")
    try:
        response_deadline(timezone.localtime(received_at))
    except InvalidInput as error:
        raise RuleError(f"Heure de réception : {error.message}.") from None
    return save_audited(
        Request(
            commune=commune,
            departement_id=commune.departement_id,
            urgency=urgency,
            received_at=received_at,
            channel=channel,
            recorded_by=user,
        ),
        user,
    )


def deadline_for(request: Request) -> ResponseDeadline:
    """The deadline in force for ``request`` (the dated parameter of ``cpts.aci.sas``, read on
    the day it was received, in French time)."""
    return response_deadline(timezone.localtime(request.received_at))


def book(
    user: User,
    slot: Slot,
    request: Request,
    *,
    identifier: tuple[str, str] | None = None,
    operator: tuple[str, str] = ("", ""),
    now: dt.datetime | None = None,
) -> Appointment:
    """Book ``slot`` for ``request``. Refused (nothing written) when the slot is not free, has
    begun, or starts outside the deadline in force for the request; of two bookings of one slot at
    once, exactly one wins (row lock, then the database's unique constraint)."""
    require(user, Action.REGULATE, slot.volunteer.community)
    now = now or timezone.now()
    deadline = deadline_for(request)
    system, value = identifier or (LOCAL_IDENTIFIER_SYSTEM, str(uuid.uuid4()))
    try:
        with transaction.atomic():
            locked = Slot.objects.select_for_update().get(pk=slot.pk)
            if locked.status != SlotStatus.FREE:
                raise SlotTaken("Ce créneau n'est plus libre : choisissez-en un autre.")
            if locked.start <= now:
                raise RuleError(
                    f"Le créneau du {moment_fr(locked.start)} est déjà passé ou commencé."
                )
            # a withdrawn volunteer's slots are offered to no one (a forged id must not book one)
            if not Volunteer.objects.filter(pk=locked.volunteer_id, active=True).exists():
                raise RuleError(
                    "Ce professionnel n'est plus volontaire : choisissez un autre créneau."
                )
            if request.urgency == Urgency.SAME_DAY and locked.start > search_until(
                request, deadline.due
            ):
                raise OutsideDeadline(
                    f"Le créneau du {moment_fr(locked.start)} est après la journée de la demande "
                    f"(urgence : dans la journée, reçue le {moment_fr(request.received_at)})."
                )
            if not deadline.in_time(locked.start):
                raise OutsideDeadline(
                    f"Le créneau du {moment_fr(locked.start)} est hors du délai de prise en charge : "
                    f"{deadline.hours} heures après la demande reçue le {moment_fr(request.received_at)}, "
                    f"soit au plus tard le {moment_fr(deadline.due)}."
                )
            if Appointment.objects.filter(request=request).exists():
                raise RuleError("Cette demande a déjà un rendez-vous.")
            appointment = save_audited(
                Appointment(
                    slot=locked,
                    request=request,
                    identifier_system=system,
                    identifier_value=value,
                    operator_system=operator[0],
                    operator_value=operator[1] or user.username,
                    created_at=now,
                    booked_by=user,
                ),
                user,
            )
            locked.status = SlotStatus.BUSY
            save_audited(locked, user, update_fields=["status"])
            declare(appointment, now)  # to the SAS platform, with the booking or not at all
    except IntegrityError as error:
        if _constraint(error) == "appointment_identifier_once":
            raise RuleError("Un rendez-vous porte déjà cet identifiant.") from None
        raise SlotTaken("Ce créneau n'est plus libre : choisissez-en un autre.") from None
    slot.status = SlotStatus.BUSY
    return appointment


def record_outcome(
    user: User, request: Request, outcome: str, now: dt.datetime | None = None
) -> Request:
    """What came of a request: honoured, not honoured (known once the appointment has begun), or
    the patient redirected (at any time)."""
    appointment = getattr(request, "appointment", None)
    community: Any = appointment.slot.volunteer.community if appointment else None
    require(user, Action.REGULATE, community)
    live = community if appointment and appointment.status == Appointment.Status.BOOKED else None
    if not may_read_sas_request(user, request.departement_id, live):
        raise Http404("Demande introuvable")  # as the screens answer (a forged call, too)
    now = now or timezone.now()
    if outcome not in Outcome.values:
        raise RuleError("Choisissez la suite parmi celles proposées.")
    if outcome != Outcome.REDIRECTED:
        if appointment is None or appointment.status == Appointment.Status.CANCELLED:
            raise RuleError(
                "Sans rendez-vous, la seule suite possible est la réorientation du patient."
            )
        if now < appointment.slot.start:
            raise RuleError(
                f"Le rendez-vous du {moment_fr(appointment.slot.start)} n'a pas encore eu lieu : "
                "on ne sait pas encore s'il est honoré."
            )
    request.outcome = outcome
    request.outcome_at = now
    return save_audited(request, user, update_fields=["outcome", "outcome_at"])


def cancel_appointment(
    user: User, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    """Cancel a booked appointment before its slot starts: the appointment is cancelled (it no
    longer counts in the indicator), its slot is free again, and the cancellation is declared to
    the SAS platform through the outbox, after the booking's declaration (same ordered key)."""
    community = Slot.objects.get(pk=appointment.slot_id).volunteer.community
    require(user, Action.REGULATE, community)
    now = now or timezone.now()
    with transaction.atomic():
        slot = Slot.objects.select_for_update().get(pk=appointment.slot_id)
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Appointment.Status.BOOKED:
            raise RuleError("Ce rendez-vous est déjà annulé.")
        if slot.start <= now:
            raise RuleError(
                f"Le rendez-vous du {moment_fr(slot.start)} a commencé ou est passé : il ne peut "
                "plus être annulé (enregistrez sa suite)."
            )
        # cancelled first: the slot's next booking must not meet this one in the unique
        # constraint of live appointments; the slot stays live (busy to free) for the exclusion
        locked.status = Appointment.Status.CANCELLED
        save_audited(locked, user, update_fields=["status"])
        slot.status = SlotStatus.FREE
        save_audited(slot, user, update_fields=["status"])
        declare(locked, now)  # PUT …/Appointment?identifier=… with status cancelled
    appointment.status = locked.status
    return locked


# --- Browser screens: volunteers, series of slots, retention ---------------------------------


def deactivate_volunteer(user: User, volunteer: Volunteer) -> Volunteer:
    """A volunteer stops (their past slots and appointments stay, for the counts)."""
    require(user, Action.ORGANISE, volunteer.community)
    if not volunteer.active:
        raise RuleError(f"{volunteer.member.name} n'est déjà plus volontaire.")
    volunteer.active = False
    return save_audited(volunteer, user, update_fields=["active"])


#: At most this many days in one series of slots (a typing error must not write a year of slots).
MAX_SERIES_DAYS = 31


def slot_series(
    day: dt.date, start: dt.time, minutes: int, repeat_days: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """One slot a day at ``start`` (French time) for ``minutes``, over ``repeat_days`` days from
    ``day`` (1: that day only)."""
    if not 1 <= repeat_days <= MAX_SERIES_DAYS:
        raise RuleError(f"Répétez le créneau sur 1 à {MAX_SERIES_DAYS} jours.")
    if not 5 <= minutes <= 12 * 60:
        raise RuleError("La durée d'un créneau va de 5 minutes à 12 heures.")
    zone = timezone.get_default_timezone()
    periods = []
    try:
        for offset in range(repeat_days):
            begin = dt.datetime.combine(day + dt.timedelta(days=offset), start, tzinfo=zone)
            periods.append((begin, begin + dt.timedelta(minutes=minutes)))
    except OverflowError:  # past 31/12/9999
        raise RuleError("Cette série de créneaux dépasse les dates possibles.") from None
    return periods


def erase_expired(now: dt.datetime, days: int | None = None) -> int:
    """Erase the patient's commune of the requests received more than ``days`` ago (default: the
    ``SAS_REQUEST_RETENTION_DAYS`` setting); the département, urgency, times, outcome and
    appointment stay, so that the counts survive. Returns how many requests were erased. Run by
    ``cpts sas purge`` (whoever runs it holds the database: no user, like the other batch jobs);
    each erasure leaves a history row."""
    from django.conf import settings

    _aware(now, "Date de référence")
    days = settings.SAS_REQUEST_RETENTION_DAYS if days is None else days
    if days < 1:
        raise RuleError("La durée de conservation est d'au moins un jour.")
    limit = now - dt.timedelta(days=days)
    erased = 0
    with transaction.atomic():
        for request in Request.objects.select_for_update().filter(
            received_at__lt=limit, commune__isnull=False
        ):
            request.commune = None
            save_audited(request, None, update_fields=["commune"])
            erased += 1
        # the history keeps every version of a row: the commune goes from there too
        Request.history.filter(received_at__lt=limit, commune__isnull=False).update(commune=None)
    return erased
