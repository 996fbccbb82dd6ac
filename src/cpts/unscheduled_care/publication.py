"""Reads of the SAS aggregator: the slots published to the SAS platform (``cpts.api`` serves
them in FHIR), filtered by the reader's scope.

Published: the free slots, not yet begun and starting within the deadline in force now (a booking
by the platform is a request received at that moment: :func:`bookable_until`), of active volunteers of the communities in the
reader's scope that have a FINESS number (:func:`publishable`: the profile identifies a CPTS by
it, so a community without one publishes nothing; its screen says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from cpts.accounts.access import Action, require, scope_of
from cpts.accounts.models import User
from cpts.aci.errors import InvalidInput
from cpts.aci.sas import response_deadline
from cpts.communities.models import Community

from .enums import SlotStatus
from .fhir import publishable
from .models import Slot

__all__ = [
    "bookable_until",
    "publishable",
    "published_slot",
    "published_slots",
    "publishing_communities",
]


def bookable_until(now: dt.datetime) -> dt.datetime | None:
    """The last start of a slot that a booking received at ``now`` may take: ``now`` plus the
    deadline in force today (``cpts.aci.sas``, 48 hours since avenant 2); a later slot would be
    refused (``services.book``), so it is not published. None: no deadline in force."""
    try:
        return response_deadline(timezone.localtime(now)).due
    except InvalidInput:
        return None


def publishing_communities(user: User) -> list[int]:
    """The ids of the communities in ``user``'s scope whose slots are published."""
    communities = Community.objects.filter(scope_of(user).q()).exclude(finess="")
    return [community.pk for community in communities if publishable(community)]


def published_slots(
    user: User,
    start_from: dt.datetime,
    start_to: dt.datetime,
    rpps: Iterable[str] | None = None,
    now: dt.datetime | None = None,
    *,
    bookable_now: bool = True,
) -> QuerySet[Slot]:
    """The published slots starting between ``start_from`` and ``start_to`` (both included),
    in order of start; ``rpps``: only those of these professionals. ``bookable_now``: the upper
    bound is clamped to :func:`bookable_until` (a booking's lookup passes False, so that a slot
    beyond the deadline is refused as such, not as unknown). Refused (403) to a user who may not
    book them."""
    require(user, Action.REGULATE)
    now = now or timezone.now()
    if bookable_now:
        until = bookable_until(now)
        if until is None:
            return Slot.objects.none()
        start_to = min(start_to, until)
    slots = Slot.objects.filter(
        status=SlotStatus.FREE,
        start__gt=now,
        start__gte=start_from,
        start__lte=start_to,
        volunteer__active=True,
        volunteer__community_id__in=publishing_communities(user),
    )
    if rpps is not None:
        slots = slots.filter(volunteer__member__rpps__in=list(rpps))
    return slots.select_related("volunteer__member__commune", "volunteer__community").order_by(
        "start", "pk"
    )


def published_slot(user: User, pk: int) -> Slot:
    """One slot of a publishing community in ``user``'s scope, whatever its status (404 else)."""
    require(user, Action.REGULATE)
    slot = (
        Slot.objects.filter(pk=pk, volunteer__community_id__in=publishing_communities(user))
        .select_related("volunteer__member__commune", "volunteer__community")
        .first()
    )
    if slot is None:
        raise Http404("Créneau introuvable")
    return slot
