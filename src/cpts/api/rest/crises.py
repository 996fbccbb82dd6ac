"""``/api/v1/crises``: the serious health crises declared by the ARS that a token's user may
read (:func:`cpts.accounts.access.crisis_regions`); an ARS's system declares one in its region
through the screens' service (:func:`cpts.crises.services.declare_crisis`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from cpts.accounts.access import Action, require
from cpts.crises.models import HealthCrisis, Typology
from cpts.crises.selectors import visible_crises
from cpts.crises.services import declare_crisis
from cpts.territory.models import Departement

from .auth import caller
from .errors import ERRORS, WRITE_ERRORS, bad_request
from .filters import in_order, narrow
from .pagination import PageParams, page_of, paged
from .schemas import REGION, CrisisDeclaredOut, CrisisIn, CrisisPage, amount

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
    in_order(filters.declared_from, filters.declared_to, "declared_from", "declared_to")
    rows = narrow(
        visible_crises(caller(request)).order_by("-declared_on", "-pk"),
        region_id=filters.region,
        typology=filters.typology,
        declared_on__gte=filters.declared_from,
        declared_on__lte=filters.declared_to,
    )
    count, found = page_of(rows, page)
    return paged(count, page, [crisis_out(crisis) for crisis in found])


def crisis_out(crisis: HealthCrisis) -> dict[str, Any]:
    return {
        "id": crisis.pk,
        "region": crisis.region_id,
        "departements": sorted(d.code for d in crisis.departements.all()),
        "declared_on": crisis.declared_on,
        "typology": crisis.typology,
        "title": crisis.title,
        "description": crisis.description,
    }


@router.post(
    "/crises",
    response={201: CrisisDeclaredOut, **WRITE_ERRORS},
    summary="Déclarer une crise sanitaire grave",
)
def create_crisis(request: HttpRequest, body: CrisisIn) -> Status[dict[str, Any]]:
    """Une ARS caractérise une crise dans sa région (ou certains de ses départements), comme à
    l'écran des crises : la part variable de crise devient due aux CPTS concernées (leur nombre
    et le total dans la réponse). Réservé aux ARS et à l'administration (403 sinon) ; un
    département hors de la région, une date hors de la période permise : 400. Tracé au nom du
    jeton."""
    user = caller(request)
    require(user, Action.DECIDE)
    title = body.title.strip()
    if not title:
        raise bad_request("« title » : paramètre obligatoire", "title")
    codes = list(dict.fromkeys(body.departements))
    departements = list(Departement.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {departement.code for departement in departements})
    if unknown:
        raise bad_request(f"Département inconnu : {', '.join(unknown)}.", "departements")
    crisis, payments = declare_crisis(
        user, body.declared_on, body.typology, title, body.description.strip(), departements
    )
    total = sum((payment.amount for payment in payments), Decimal(0))
    return Status(
        201,
        {
            **crisis_out(crisis),
            "crisis_parts_due": len(payments),
            "crisis_parts_total": amount(total),
        },
    )
