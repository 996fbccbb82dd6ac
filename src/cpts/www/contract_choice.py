"""Which contract of a community a page shows: the one its query string names (``?contrat=<id>``,
among the community's own, else a 404), or the latest. Shared by the lifecycle pages, the annex
import and the annual report."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from cpts.aci import default_tree
from cpts.communities.models import Community


def chosen_contract(community: Community, request: HttpRequest | None = None) -> Any:
    """The contract chosen by ``?contrat=<id>`` among the community's, or its latest one (the
    one in force, or the last one); anything else is a 404."""
    chosen = request.GET.get("contrat", "") if request is not None else ""
    if chosen:
        if not (chosen.isascii() and chosen.isdigit()) or len(chosen) > 18:
            raise Http404("Pas de contrat")
        return get_object_or_404(community.contracts, pk=int(chosen))
    contract = community.contracts.order_by("-signed_on").first()
    if contract is None:
        raise Http404("Pas de contrat")
    return contract


def contract_query(contract: Any) -> str:
    """The query string that names ``contract`` when it is not its community's latest."""
    latest = contract.community.contracts.order_by("-signed_on").values_list("pk", flat=True)[:1]
    return "" if contract.pk in list(latest) else f"?contrat={contract.pk}"


def contract_for_year(community: Community, year: int, request: HttpRequest) -> Any:
    """The chosen contract, if ``year`` is one of its contract years (any other number: 404)."""
    contract = chosen_contract(community, request)
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    if not 1 <= year <= duration:
        raise Http404("Année contractuelle introuvable")
    return contract
