"""Writes of the SAS platform's channel (FHIR): a booking made by the platform (or a regulation's
software) in one of our published slots.

The platform sends an appointment, not a request: it does not tell where the patient lives. The
request recorded with it has no commune (``Request.commune`` is empty for the FHIR channel); its
département, kept for the counts, is the one of the slot's community, where the patient is
taken care of. It is received at the moment of the booking, and the deadline in force on that
day applies (:func:`cpts.unscheduled_care.services.book`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.core.audit import save_audited
from cpts.core.errors import RuleError

from .enums import Channel, Urgency
from .models import Appointment, Request, Slot
from .services import book


class DuplicateIdentifier(RuleError):
    """An appointment already carries this identifier (the platform sent it twice)."""

    def __init__(self, message: str, existing: Appointment) -> None:
        super().__init__(message)
        self.existing = existing


def book_for_platform(
    user: User,
    slot: Slot,
    *,
    identifier: tuple[str, str],
    operator: tuple[str, str],
    now: dt.datetime | None = None,
) -> Appointment:
    """Record the platform's request and book ``slot`` for it, both or neither. The appointment's
    identifier is the idempotency key: a second booking with it is :class:`DuplicateIdentifier`
    (nothing written), whatever the slot."""
    require(user, Action.REGULATE, slot.volunteer.community)
    now = now or timezone.now()
    system, value = identifier
    existing = Appointment.objects.filter(identifier_system=system, identifier_value=value).first()
    if existing is not None:
        raise DuplicateIdentifier("Un rendez-vous porte déjà cet identifiant.", existing)
    with transaction.atomic():
        request = save_audited(
            Request(
                commune=None,
                departement_id=slot.volunteer.community.departement_id,
                urgency=Urgency.WITHIN_DEADLINE,
                received_at=now,
                channel=Channel.FHIR,
                recorded_by=user,
            ),
            user,
        )
        try:
            return book(user, slot, request, identifier=identifier, operator=operator, now=now)
        except RuleError as error:
            if str(error) == "Un rendez-vous porte déjà cet identifiant.":
                raced = Appointment.objects.filter(
                    identifier_system=system, identifier_value=value
                ).first()
                if raced is not None:
                    raise DuplicateIdentifier(str(error), raced) from None
            raise
