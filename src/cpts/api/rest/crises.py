"""``/api/v1/crises``: the serious health crises declared by the ARS that a token's user may
read (:func:`cpts.accounts.access.crisis_regions`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cpts.crises.models import Typology
from cpts.crises.selectors import visible_crises

from .auth import caller
from .errors import ERRORS, bad_request
from .pagination import PageParams, page_of, paged
from .schemas import REGION, CrisisPage

router = Router(tags=["Crises sanitaires"])


class CrisisFilters(Schema):
    region: str | None = Field(None, pattern=REGION, description="Code INSEE de la région.")
    typology: Typology | None = Field(None, description="Typologie de la crise.")
    declared_from: dt.date | None = Field(None, description="Déclarées à partir du (inclus).")
    declared_to: dt.date | None = Field(None, description="Déclarées jusqu'au (inclus).")


@router.get("/crises", response={200: CrisisPage, **ERRORS}, summary="Crises sanitaires graves")
def list_crises(
    request: HttpRequest, filters: Query[CrisisFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les crises déclarées par les ARS des régions que vous suivez, les plus récentes d'abord."""
    if (
        filters.declared_from
        and filters.declared_to
        and filters.declared_from > filters.declared_to
    ):
        raise bad_request(
            "« declared_from » doit précéder ou égaler « declared_to ».", "declared_from"
        )
    rows = visible_crises(caller(request)).order_by("-declared_on", "-pk")
    if filters.region:
        rows = rows.filter(region_id=filters.region)
    if filters.typology:
        rows = rows.filter(typology=filters.typology)
    if filters.declared_from:
        rows = rows.filter(declared_on__gte=filters.declared_from)
    if filters.declared_to:
        rows = rows.filter(declared_on__lte=filters.declared_to)
    count, found = page_of(rows, page)
    items = [
        {
            "id": crisis.pk,
            "region": crisis.region_id,
            "departements": sorted(d.code for d in crisis.departements.all()),
            "declared_on": crisis.declared_on,
            "typology": crisis.typology,
            "title": crisis.title,
            "description": crisis.description,
        }
        for crisis in found
    ]
    return paged(count, page, items)
