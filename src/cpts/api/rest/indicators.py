"""``/api/v1/indicators``: the annex indicators of the contract years a token's user may see
(objective, value and its provenance, the CPAM's decision), and the writes of the annual
evaluation — the community records a value, the CPAM decides — through the same services as the
screens (:func:`cpts.contracts.services.record_indicator`, :func:`~.decide_indicator`);
``/api/v1/computed-indicators``: the indicators computed from the claims (:mod:`cpts.indicators`)
for the communities in scope, with their département's and the nation's values computed with
them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.communities.scope import visible_communities
from cpts.contracts import services
from cpts.contracts.models import Evaluation, Indicator
from cpts.indicators.models import ComputedIndicator, Scope
from cpts.unscheduled_care.selectors import INDICATOR_SOURCE as SAS_SOURCE

from .auth import caller
from .errors import ERRORS, WRITE_ERRORS
from .filters import narrow
from .pagination import MAX_ID, Identifier, PageParams, page_of, paged
from .schemas import (
    FINESS,
    ComputedIndicatorPage,
    IndicatorDecisionIn,
    IndicatorOut,
    IndicatorPage,
    IndicatorValueIn,
    amount,
    number,
)

router = Router(tags=["Indicateurs"])


def visible_indicators(user: User) -> QuerySet[Indicator]:
    """The annex indicators of the contracts of the communities ``user`` may see (the annex
    screen shows them to the same users)."""
    return Indicator.objects.select_related("contract").filter(
        contract__community__in=visible_communities(user)
    )


class IndicatorFilters(Schema):
    community: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant de la CPTS.")
    finess: str | None = Field(None, pattern=FINESS, description="FINESS de la CPTS.")
    contract: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant du contrat.")
    contract_year: int | None = Field(None, ge=1, le=99, description="Année contractuelle.")
    verdict: Indicator.Verdict | None = Field(
        None, description="pending (à évaluer), accepted ou refused."
    )


def _closed_years(indicators: list[Indicator]) -> set[tuple[int, int]]:
    """(contract, year) of the closed evaluations among ``indicators``' years."""
    return set(
        Evaluation.objects.filter(
            contract_id__in={item.contract_id for item in indicators},
            status=Evaluation.Status.CLOSED,
        ).values_list("contract_id", "contract_year")
    )


def _source(item: Indicator) -> str | None:
    if item.computed_at is not None:
        return "sas" if item.computed_engine == SAS_SOURCE else "claims"
    return "hand" if item.measured_value is not None else None


def indicator_out(item: Indicator, closed: set[tuple[int, int]]) -> dict[str, Any]:
    provenance = None
    if item.computed_at is not None:
        provenance = {
            "engine": item.computed_engine,
            "computed_code": item.computed_code or None,
            "computed_measure": item.computed_measure or None,
            "computed_result": item.computed_result_id,
            "data_start": item.computed_start,
            "data_end": item.computed_end,
            "computed_at": item.computed_at,
        }
    return {
        "id": item.pk,
        "community": item.contract.community_id,
        "contract": item.contract_id,
        "contract_year": item.contract_year,
        "mission": item.mission,
        "action": item.action,
        "label": item.label,
        "kind": item.kind,
        "lower_is_better": item.lower_is_better,
        "objective": number(item.objective),
        "amount": amount(item.amount),
        "measured_value": number(item.measured_value),
        "done": item.done,
        "remarks": item.remarks,
        "source": _source(item),
        "provenance": provenance,
        "verdict": item.verdict,
        "verdict_reason": item.verdict_reason,
        "decided_on": item.decided_on,
        "evaluation_closed": (item.contract_id, item.contract_year) in closed,
        "carried_from": item.carried_from_id,
    }


@router.get(
    "/indicators", response={200: IndicatorPage, **ERRORS}, summary="Indicateurs de l'annexe"
)
def list_indicators(
    request: HttpRequest, filters: Query[IndicatorFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les indicateurs des annexes des contrats des CPTS de votre périmètre, par contrat, année
    et mission : objectif, valeur mesurée et sa provenance, décision de la CPAM."""
    rows = narrow(
        visible_indicators(caller(request)).order_by(
            "contract__community__name", "contract_id", "contract_year", "mission", "pk"
        ),
        contract__community_id=filters.community,
        contract__community__finess=filters.finess,
        contract_id=filters.contract,
        contract_year=filters.contract_year,
        verdict=filters.verdict,
    )
    count, found = page_of(rows, page)
    closed = _closed_years(found)
    return paged(count, page, [indicator_out(item, closed) for item in found])


def _indicator(user: User, indicator_id: int) -> Indicator:
    item = visible_indicators(user).select_related("contract__community").filter(pk=indicator_id)
    found = item.first()
    if found is None:
        raise Http404("Indicateur introuvable")
    return found


def _answer(item: Indicator) -> dict[str, Any]:
    item.refresh_from_db()
    return indicator_out(item, _closed_years([item]))


@router.get(
    "/indicators/{indicator_id}",
    response={200: IndicatorOut, **ERRORS},
    summary="Un indicateur de l'annexe",
)
def get_indicator(request: HttpRequest, indicator_id: Identifier) -> dict[str, Any]:
    """Un indicateur d'une annexe de votre périmètre (404 hors périmètre)."""
    return _answer(_indicator(caller(request), indicator_id))


@router.put(
    "/indicators/{indicator_id}/value",
    response={200: IndicatorOut, **WRITE_ERRORS},
    summary="Enregistrer la valeur d'un indicateur",
)
def record_value(
    request: HttpRequest, indicator_id: Identifier, body: IndicatorValueIn
) -> dict[str, Any]:
    """La valeur mesurée, l'action réalisée et les remarques, comme l'écran de l'indicateur :
    réservé à la CPTS (et à l'administration). Une valeur changée après la décision de la CPAM
    la remet « à évaluer » ; une année close est refusée (400). Tracé au nom du jeton."""
    user = caller(request)
    item = _indicator(user, indicator_id)
    require(user, Action.FILE, item.contract.community)
    services.record_indicator(item, user, body.measured_value, body.done, body.remarks)
    return _answer(item)


@router.put(
    "/indicators/{indicator_id}/decision",
    response={200: IndicatorOut, **WRITE_ERRORS},
    summary="Accepter ou refuser un indicateur",
)
def decide(
    request: HttpRequest, indicator_id: Identifier, body: IndicatorDecisionIn
) -> dict[str, Any]:
    """La décision de la CPAM (et de l'administration), datée du jour, comme à l'écran : un refus
    doit être motivé ; une année close est refusée (400). Tracé au nom du jeton."""
    user = caller(request)
    item = _indicator(user, indicator_id)
    require(user, Action.EVALUATE, item.contract.community)
    services.decide_indicator(
        item, user, body.verdict == "accepted", body.reason, timezone.localdate()
    )
    return _answer(item)


# --- Computed from the claims ------------------------------------------------------------------


class ComputedFilters(Schema):
    community: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant de la CPTS.")
    finess: str | None = Field(None, pattern=FINESS, description="FINESS de la CPTS.")
    year: int | None = Field(
        None, ge=2000, le=2100, description="Calculs dont les données commencent cette année-là."
    )
    scope: Scope | None = Field(None, description="community, departement ou national.")
    code: str | None = Field(
        None, pattern=r"^[a-z0-9_]{1,64}$", description="Code de l'indicateur calculé."
    )


@router.get(
    "/computed-indicators",
    response={200: ComputedIndicatorPage, **ERRORS},
    summary="Indicateurs calculés depuis les données de l'Assurance Maladie",
)
def list_computed(
    request: HttpRequest, filters: Query[ComputedFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les valeurs calculées pour les CPTS de votre périmètre, par période de données : celles
    de la CPTS et celles de son département et de la France entière calculées avec elle (même
    période, mêmes données). ``community`` et ``finess`` désignent la CPTS du calcul."""
    communities = visible_communities(caller(request))
    rows = ComputedIndicator.objects.select_related("computation").filter(
        Q(computation__community__in=communities) | Q(computation__owner__community__in=communities)
    )
    owner = Q()
    if filters.community is not None:
        owner &= Q(computation__community_id=filters.community) | Q(
            computation__owner__community_id=filters.community
        )
    if filters.finess:
        owner &= Q(computation__community__finess=filters.finess) | Q(
            computation__owner__community__finess=filters.finess
        )
    rows = narrow(
        rows.filter(owner),
        computation__start__year=filters.year,
        computation__scope=filters.scope,
        code=filters.code,
    ).order_by(
        "computation__start",
        Coalesce("computation__owner_id", "computation_id"),
        "computation__scope",
        "code",
        "pk",
    )
    rows = rows.select_related("computation__owner")
    count, found = page_of(rows, page)
    items = []
    for result in found:
        computation = result.computation
        owning = computation.owner or computation
        items.append(
            {
                "id": result.pk,
                "computation": computation.pk,
                "scope": computation.scope,
                "community": owning.community_id,
                "departement": computation.departement_id,
                "start": computation.start,
                "end": computation.end,
                "engine": computation.engine,
                "computed_at": computation.computed_at,
                "code": result.code,
                "label": result.label,
                "numerator": result.numerator,
                "denominator": result.denominator,
                "value": number(result.value, 4),
            }
        )
    return paged(count, page, items)
