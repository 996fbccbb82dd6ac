"""Navigation links by role, for the DSFR header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from cpts.accounts.access import Action, can, may_read_steering
from cpts.accounts.models import User


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not isinstance(user, User):
        return {"nav_items": []}
    items = [{"label": "CPTS", "link": reverse("communities:list")}]
    if can(user, Action.PAY):
        items.append({"label": "Campagnes de paiement", "link": reverse("contracts:payment_runs")})
    items.append({"label": "Territoire", "link": reverse("territory:overview")})
    items.append({"label": "Crises sanitaires", "link": reverse("crises:list")})
    if may_read_steering(user):
        items.append({"label": "Pilotage", "link": reverse("steering:dashboard")})
    if can(user, Action.REGULATE):
        items.append({"label": "Régulation SAS", "link": reverse("sas:requests")})
    return {"nav_items": items, "user_role_label": user.get_role_display()}
