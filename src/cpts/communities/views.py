"""Community list, dashboard and audit trail."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cpts.accounts.access import Action, can, community_for, current_user, visible_communities
from cpts.accounts.models import Role
from cpts.contracts.models import (
    AcceleratorGrant,
    Contract,
    Evaluation,
    HealthProject,
    Indicator,
    LetterOfIntent,
    MissionCommitment,
    Payment,
)

from .selectors import community_state, dashboard


def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.role == Role.COORDINATOR and user.community_id:
        return redirect("communities:dashboard", pk=user.community_id)
    return redirect("communities:list")


def community_list(request: HttpRequest) -> HttpResponse:
    communities = visible_communities(current_user(request)).prefetch_related(
        "contracts", "letterofintents", "healthprojects"
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
        {"board": board, "community": community, "can": actions, "title": community.name},
    )


AUDITED = (
    LetterOfIntent,
    HealthProject,
    AcceleratorGrant,
    Contract,
    MissionCommitment,
    Evaluation,
    Indicator,
    Payment,
)


def _readable(instance: Any, name: str, value: Any) -> Any:
    """A value of the audit trail as people read it: the user's name rather than its id."""
    field = instance._meta.get_field(name)
    if value in (None, ""):
        return None
    if field.is_relation and field.related_model is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def community_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed what, when, before and after (django-simple-history)."""
    community = community_for(current_user(request), pk)
    contract = getattr(community, "contract", None)
    records = []
    for model in AUDITED:
        history = model.history.all()
        if model in (LetterOfIntent, HealthProject, AcceleratorGrant, Contract, Payment):
            history = history.filter(community_id=community.pk)
        elif contract is None:
            continue
        else:
            history = history.filter(contract_id=contract.pk)
        records.append(history.select_related("history_user"))
    entries = []
    for record in sorted(chain.from_iterable(records), key=lambda r: r.history_date, reverse=True)[
        :300
    ]:
        changes = []
        previous = record.prev_record
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [
                {
                    "field": record.instance._meta.get_field(change.field).verbose_name,
                    "old": _readable(record.instance, change.field, change.old),
                    "new": _readable(record.instance, change.field, change.new),
                }
                for change in delta.changes
            ]
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": {"+": "création", "~": "modification", "-": "suppression"}[
                    record.history_type
                ],
                "object": record.instance._meta.verbose_name,
                "label": str(record.instance),
                "changes": changes,
            }
        )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "communities/history.html",
        {"community": community, "page_obj": page, "title": f"Historique — {community.name}"},
    )
