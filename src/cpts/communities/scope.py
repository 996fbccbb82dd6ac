"""The communities a user may see, filtered with the scope that :mod:`cpts.accounts.access`
decides (views, commands and services never filter by hand)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from cpts.accounts.access import may_pay, scope_of
from cpts.accounts.models import User

from .models import Community


def visible_communities(user: User) -> QuerySet[Community]:
    """The communities ``user`` may see."""
    return Community.objects.select_related("departement__region").filter(scope_of(user).q())


def community_for(user: User, pk: int) -> Community:
    """The community ``pk`` if ``user`` may see it; 404 otherwise (the data never leaks)."""
    try:
        return visible_communities(user).get(pk=pk)
    except Community.DoesNotExist:
        raise Http404("CPTS introuvable") from None


def payable_communities(user: User) -> QuerySet[Community]:
    """The communities whose payments ``user`` may run or correct (a CPAM: its départements)."""
    if not may_pay(user):
        return Community.objects.none()
    return visible_communities(user)
