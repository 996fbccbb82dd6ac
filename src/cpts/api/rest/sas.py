"""``/api/v1/sas/requests``: the requests of the SAS regulation a token's user may read
(:func:`cpts.accounts.access.sas_requests_q`): a regulation those of its départements, a
community (its CPAM, its ARS) those booked in its slots, without the patient's commune; the
national level and facilitators none. No patient identity is ever recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from cpts.accounts.access import may_read_patient_commune
from cpts.unscheduled_care.enums import Outcome, Urgency
from cpts.unscheduled_care.models import Appointment, Request
from cpts.unscheduled_care.selectors import request_for, requests_for

from .auth import caller
from .errors import ERRORS
from .filters import in_order, narrow
from .pagination import MAX_ID, Identifier, PageParams, page_of, paged
from .schemas import DEPARTEMENT, SasRequestOut, SasRequestPage

router = Router(tags=["Soins non programmés (SAS)"])


class SasRequestFilters(Schema):
    departement: str | None = Field(
        None, pattern=DEPARTEMENT, description="Département du patient."
    )
    community: int | None = Field(
        None, ge=1, le=MAX_ID, description="CPTS du rendez-vous (réservé ou annulé)."
    )
    urgency: Urgency | None = Field(None, description="Urgence.")
    outcome: Outcome | None = Field(None, description="Suite donnée.")
    without_outcome: bool | None = Field(None, description="Vrai : les demandes sans suite.")
    received_from: dt.date | None = Field(None, description="Reçues à partir du (inclus).")
    received_to: dt.date | None = Field(None, description="Reçues jusqu'au (inclus).")


def request_out(item: Request, with_commune: bool) -> dict[str, Any]:
    appointment: Appointment | None = getattr(item, "appointment", None)
    return {
        "id": item.pk,
        "departement": item.departement_id,
        "commune": item.commune_id if with_commune else None,
        "urgency": item.urgency,
        "channel": item.channel,
        "received_at": item.received_at,
        "outcome": item.outcome or None,
        "outcome_at": item.outcome_at,
        "appointment": None
        if appointment is None
        else {
            "status": appointment.status,
            "community": appointment.slot.volunteer.community_id,
            "slot_start": appointment.slot.start,
            "booked_at": appointment.created_at,
        },
    }


@router.get("/sas/requests", response={200: SasRequestPage, **ERRORS}, summary="Demandes du SAS")
def list_requests(
    request: HttpRequest, filters: Query[SasRequestFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les demandes de soins non programmés que vous pouvez lire, les plus récentes d'abord,
    avec leur nombre par suite donnée (``by_outcome``, clé vide : sans suite)."""
    in_order(filters.received_from, filters.received_to, "received_from", "received_to")
    user = caller(request)
    rows = narrow(
        requests_for(user),
        departement_id=filters.departement,
        appointment__slot__volunteer__community_id=filters.community,
        urgency=filters.urgency,
        outcome=filters.outcome,
        received_at__date__gte=filters.received_from,
        received_at__date__lte=filters.received_to,
    )
    if filters.without_outcome is not None:
        rows = rows.filter(outcome="") if filters.without_outcome else rows.exclude(outcome="")
    # ``requests_for`` is distinct (its filter crosses the appointment): count on the ids.
    by_outcome = {
        row["outcome"]: row["n"]
        for row in Request.objects.filter(pk__in=rows.values("pk"))
        .values("outcome")
        .annotate(n=Count("pk"))
        .order_by("outcome")
    }
    count, found = page_of(rows.order_by("-received_at", "-pk"), page)
    with_commune = may_read_patient_commune(user)
    body = paged(count, page, [request_out(item, with_commune) for item in found])
    return {**body, "by_outcome": by_outcome}


@router.get(
    "/sas/requests/{request_id}",
    response={200: SasRequestOut, **ERRORS},
    summary="Une demande du SAS",
)
def get_request(request: HttpRequest, request_id: Identifier) -> dict[str, Any]:
    """Une demande que vous pouvez lire (404 sinon)."""
    user = caller(request)
    item = request_for(user, request_id)
    if item is None:
        raise Http404("Demande introuvable")
    return request_out(item, may_read_patient_commune(user))
