"""Community list, dashboard and audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cpts.accounts.access import Action, can, current_user, may_read_member_identities
from cpts.accounts.models import Role
from cpts.aci import default_tree
from cpts.communities.scope import community_for, visible_communities
from cpts.contracts import engine
from cpts.indicators.selectors import Period, trends
from cpts.steering.annual_report import report_years

from .dashboard import community_state, dashboard
from .history import entries, trail


def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.role == Role.COORDINATOR and user.community_id:
        return redirect("communities:dashboard", pk=user.community_id)
    return redirect("communities:list")


def community_list(request: HttpRequest) -> HttpResponse:
    communities = (
        visible_communities(current_user(request))
        .select_related("departement")
        .prefetch_related("contracts__missions", "letterofintents", "healthprojects")
    )
    query = request.GET.get("q", "").strip()
    if query:
        communities = communities.filter(
            Q(name__icontains=query) | Q(departement__name__icontains=query)
        )
    page = Paginator(communities, 25).get_page(request.GET.get("page"))
    rows = [{"community": c, "state": community_state(c)} for c in page.object_list]
    return render(
        request,
        "communities/list.html",
        {"page_obj": page, "rows": rows, "query": query, "title": "CPTS"},
    )


def community_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    community = community_for(current_user(request), pk)
    board = dashboard(community, timezone.localdate())
    actions = {action.value: can(current_user(request), action, community) for action in Action}
    return render(
        request,
        "communities/dashboard.html",
        {
            "board": board,
            "community": community,
            "can": actions,
            "trends": trends(community, _contract_periods(board.contract)),
            "report_years": report_years(board.contract, timezone.localdate()),
            "title": community.name,
        },
    )


def _contract_periods(contract: Any) -> list[Period]:
    """The data periods of the contract years (first to last day) the trend tables show."""
    if contract is None:
        return []
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    periods = []
    for number in range(1, duration + 1):
        facts = engine.year_facts(contract, number)
        if facts.start >= contract.period_end or facts.start > timezone.localdate():
            break
        periods.append(Period(f"Année {number}", facts.start, facts.end - dt.timedelta(days=1)))
    return periods


def community_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed what, when, before and after, over every row of the community's trail: the
    database orders, counts and slices it (``history.trail``); only the page shown is read."""
    user = current_user(request)
    community = community_for(user, pk)
    page = Paginator(trail(community), 50).get_page(request.GET.get("page"))
    rows = entries(page.object_list, may_read_member_identities(user, community))
    return render(
        request,
        "communities/history.html",
        {
            "community": community,
            "page_obj": page,
            "rows": rows,
            "title": f"Historique — {community.name}",
        },
    )
