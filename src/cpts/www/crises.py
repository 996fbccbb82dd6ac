"""Crises declared by the ARS: list, and the declaration that makes the crisis part due."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cpts.accounts.access import (
    Action,
    can,
    crisis_regions,
    current_user,
    require,
)
from cpts.aci.money import euros_fr
from cpts.communities.scope import community_for
from cpts.contracts.services import RuleError
from cpts.crises.models import CrisisPlan, HealthCrisis, Typology
from cpts.crises.plans import CrisisPlanForm, adopt_plan
from cpts.crises.selectors import may_read_report
from cpts.crises.services import declare_crisis

from .crisis_forms import DeclareCrisisForm


def crisis_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    crises = HealthCrisis.objects.select_related("region").prefetch_related("departements")
    regions = crisis_regions(user)
    if regions is not None:
        crises = crises.filter(region_id__in=regions)
    form = None
    if can(user, Action.DECIDE):
        form = DeclareCrisisForm(request.POST or None, region_id=getattr(user, "region_id", None))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                _, payments = declare_crisis(
                    user,
                    data["declared_on"],
                    Typology(data["typology"]),
                    data["title"],
                    data["description"],
                    data["departements"],
                )
            except RuleError as error:
                form.add_error(None, str(error))
            else:
                total = sum((payment.amount for payment in payments), Decimal(0))
                messages.success(
                    request,
                    f"Crise déclarée : part variable de crise due pour {len(payments)} CPTS ({euros_fr(total)}), "
                    "à verser dans le mois.",
                )
                return redirect("crises:list")
    elif request.method == "POST":
        require(user, Action.DECIDE)
    page = Paginator(crises, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "crises/list.html",
        {
            "page_obj": page,
            "form": form,
            "readable": {crisis.pk for crisis in page if may_read_report(user, crisis)},
            "title": "Crises sanitaires graves",
        },
    )


def crisis_plans(request: HttpRequest, pk: int) -> HttpResponse:
    """A community's crisis plans, and the form to adopt a new version (the community)."""
    user = current_user(request)
    community = community_for(user, pk)
    form = CrisisPlanForm(request.POST or None) if can(user, Action.FILE, community) else None
    if request.method == "POST":
        require(user, Action.FILE, community)
        if form is not None and form.is_valid():
            plan = adopt_plan(community, user, form.cleaned_data)
            messages.success(request, f"Plan de crise {plan.year} adopté (version {plan.version}).")
            return redirect("communities:crisis_plans", pk=pk)
    plans = CrisisPlan.objects.filter(community=community).order_by("-year", "-version")
    return render(
        request,
        "crises/plans.html",
        {
            "community": community,
            "plans": plans,
            "form": form,
            "typologies": dict(Typology.choices),
            "title": f"Plans de crise — {community.name}",
        },
    )
