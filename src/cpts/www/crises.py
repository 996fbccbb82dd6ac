"""Crises declared by the ARS: list, and the declaration that makes the crisis part due."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cpts.accounts.access import (
    Action,
    can,
    current_user,
    require,
)
from cpts.aci.money import euros_fr
from cpts.communities.scope import community_for
from cpts.contracts.reminders import crisis_plan_reminder
from cpts.contracts.services import RuleError
from cpts.crises.changes import typology_labels
from cpts.crises.models import Typology
from cpts.crises.plans import CrisisPlanForm, adopt_plan, plan_initial
from cpts.crises.selectors import (
    changes_of,
    latest_plan,
    may_read_report,
    plan_history,
    plan_of,
    previous_of,
    update_due,
    visible_crises,
)
from cpts.crises.services import declare_crisis

from .crisis_forms import DeclareCrisisForm


def crisis_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    crises = visible_crises(user)
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
    """A community's crisis plan: its versions with what each changed, the reminder of the yearly
    update, and the form to adopt a new version, pre-filled from the version in force."""
    user = current_user(request)
    community = community_for(user, pk)
    today = timezone.localdate()
    latest = latest_plan(community)
    form = None
    if can(user, Action.FILE, community):
        form = CrisisPlanForm(request.POST or None, initial=plan_initial(latest, today))
    if request.method == "POST":
        require(user, Action.FILE, community)
        if form is not None and form.is_valid():
            try:
                plan = adopt_plan(community, user, form.cleaned_data)
            except RuleError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, f"Plan de crise {plan.year} adopté (version {plan.version})."
                )
                return redirect("communities:crisis_plans", pk=pk)
    return render(
        request,
        "crises/plans.html",
        {
            "community": community,
            "history": plan_history(community),
            "latest": latest,
            "update_due": update_due(community),
            "reminder": crisis_plan_reminder(community, today),
            "form": form,
            "title": f"Plans de crise — {community.name}",
        },
    )


def crisis_plan(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    """One version of the plan, in full."""
    community = community_for(current_user(request), pk)
    plan = plan_of(community, plan_pk)
    return render(
        request,
        "crises/plan.html",
        {
            "community": community,
            "plan": plan,
            "typologies": typology_labels(plan.typologies),
            "previous": previous_of(plan),
            "title": f"Plan de crise {plan.year}, version {plan.version} — {community.name}",
        },
    )


def crisis_plan_changes(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    """What a version changed from the one before: per axis, the words removed and added."""
    community = community_for(current_user(request), pk)
    plan = plan_of(community, plan_pk)
    return render(
        request,
        "crises/plan_changes.html",
        {
            "community": community,
            "changes": changes_of(plan),
            "title": f"Plan de crise {plan.year}, version {plan.version} : ce qui a changé — "
            f"{community.name}",
        },
    )


def crisis_plan_print(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    """One version of the plan on a page without navigation, to print or save as PDF."""
    community = community_for(current_user(request), pk)
    plan = plan_of(community, plan_pk)
    return render(
        request,
        "crises/plan_print.html",
        {
            "community": community,
            "plan": plan,
            "typologies": typology_labels(plan.typologies),
            "title": f"Plan de crise {plan.year}, version {plan.version} — {community.name}",
        },
    )
