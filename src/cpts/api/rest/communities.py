"""``/api/v1/communities``: the communities a token's user may see, their perimeter and members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from cpts.accounts.access import may_read_member_identities
from cpts.aci import InvalidInput, size_class
from cpts.communities.models import Community, Member
from cpts.communities.perimeters import current_perimeter
from cpts.communities.scope import community_for, visible_communities
from cpts.communities.selectors import member_counts

from .auth import caller
from .errors import ERRORS
from .filters import narrow
from .pagination import Identifier, PageParams, page_of, paged
from .schemas import (
    DEPARTEMENT,
    FINESS,
    REGION,
    CommunityOut,
    CommunityPage,
    MembersOut,
    PerimeterOut,
    optional,
)

router = Router(tags=["CPTS"])


class CommunityFilters(Schema):
    region: str | None = Field(None, pattern=REGION, description="Code INSEE de la région.")
    departement: str | None = Field(
        None, pattern=DEPARTEMENT, description="Code INSEE du département du siège."
    )
    size_class: int | None = Field(None, ge=1, le=4, description="Taille (1 à 4), aujourd'hui.")
    finess: str | None = Field(None, pattern=FINESS, description="Numéro FINESS.")


def _size(population: int, day: dt.date) -> int | None:
    try:
        return size_class(population, day).value
    except InvalidInput:
        return None


def community_out(community: Community, day: dt.date) -> dict[str, Any]:
    return {
        "id": community.pk,
        "name": community.name,
        "finess": optional(community.finess),
        "siret": optional(community.siret),
        "rna": optional(community.rna),
        "departement": community.departement_id,
        "region": community.departement.region_id,
        "population": community.population,
        "size_class": _size(community.population, day),
        "created_on": community.created_on,
    }


@router.get("/communities", response={200: CommunityPage, **ERRORS}, summary="Liste des CPTS")
def list_communities(
    request: HttpRequest, filters: Query[CommunityFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les CPTS de votre périmètre, par nom ; filtres : région, département, taille."""
    rows = narrow(
        visible_communities(caller(request)).order_by("name", "pk"),
        departement__region_id=filters.region,
        departement_id=filters.departement,
        finess=filters.finess,
    )
    today = timezone.localdate()
    if filters.size_class is not None:
        # The size follows from the population under the rules in force (cpts.aci): filtered
        # with the same function that computes it, never with thresholds copied here.
        wanted = filters.size_class
        pks = [
            pk
            for pk, population in rows.values_list("pk", "population")
            if _size(population, today) == wanted
        ]
        rows = rows.filter(pk__in=pks)
    count, found = page_of(rows, page)
    return paged(count, page, [community_out(community, today) for community in found])


@router.get(
    "/communities/{community_id}",
    response={200: CommunityOut, **ERRORS},
    summary="Une CPTS",
)
def get_community(request: HttpRequest, community_id: Identifier) -> dict[str, Any]:
    """Une CPTS de votre périmètre (404 hors périmètre)."""
    return community_out(community_for(caller(request), community_id), timezone.localdate())


class PerimeterParams(Schema):
    on: dt.date | None = Field(
        None, description="Date de lecture (AAAA-MM-JJ) ; aujourd'hui par défaut."
    )


@router.get(
    "/communities/{community_id}/perimeter",
    response={200: PerimeterOut, **ERRORS},
    summary="Périmètre d'une CPTS à une date",
)
def get_perimeter(
    request: HttpRequest, community_id: Identifier, params: Query[PerimeterParams]
) -> dict[str, Any]:
    """Les codes INSEE des communes du périmètre en vigueur à la date ``on`` (404 sans
    périmètre en vigueur ce jour-là)."""
    community = community_for(caller(request), community_id)
    day = params.on or timezone.localdate()
    perimeter = current_perimeter(community, day)
    if perimeter is None:
        raise Http404("Aucun périmètre en vigueur à cette date.")
    codes = sorted(perimeter.items.values_list("commune_id", flat=True))
    return {
        "community": community.pk,
        "on": day,
        "valid_from": perimeter.valid_from,
        "valid_to": perimeter.valid_to,
        "source": perimeter.source,
        "communes": codes,
    }


@router.get(
    "/communities/{community_id}/members",
    response={200: MembersOut, **ERRORS},
    summary="Membres d'une CPTS",
)
def get_members(
    request: HttpRequest, community_id: Identifier, page: Query[PageParams]
) -> dict[str, Any]:
    """Les effectifs par nature, profession et type de structure, pour tous ceux qui voient la
    CPTS ; la liste nominative (noms, RPPS, FINESS) pour la CPTS, sa CPAM, son ARS et
    l'administration seulement (le niveau national et les facilitateurs : effectifs seuls)."""
    user = caller(request)
    community = community_for(user, community_id)
    counts = member_counts(community)
    identities = may_read_member_identities(user, community)
    members = None
    if identities:
        rows = community.members.order_by("name", "pk")
        count, found = page_of(rows, page)
        members = paged(count, page, [_member_out(member) for member in found])
    return {
        "community": community.pk,
        "counts": {
            "total": counts.total,
            "professionals": counts.professionals,
            "structures": counts.structures,
            "by_profession": counts.by_profession,
            "by_structure_kind": counts.by_structure_kind,
        },
        "identities": identities,
        "members": members,
    }


def _member_out(member: Member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "kind": member.kind,
        "name": member.name,
        "rpps": optional(member.rpps),
        "profession": optional(member.profession),
        "finess": optional(member.finess),
        "structure_kind": optional(member.structure_kind),
        "commune": member.commune_id,
        "joined_on": member.joined_on,
    }
