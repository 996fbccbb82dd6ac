"""A community's unscheduled care (« Soins non programmés »): its organisation and versions,
volunteers and slots (the coordinator writes; CPAM, ARS, administrators and the SAS regulation of
its départements read the names; national viewer and facilitator see counts only), the requests
booked in its slots and the delays from request to appointment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from cpts.accounts.access import Action, can, current_user, may_read_volunteers, require
from cpts.aci import default_tree
from cpts.communities.models import Community
from cpts.communities.scope import community_for
from cpts.contracts import engine
from cpts.core.errors import RuleError
from cpts.unscheduled_care import selectors, services
from cpts.unscheduled_care.enums import Way

from .sas_forms import OrganisationForm, SlotsForm, VolunteerForm


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: dt.date
    end: dt.date  # excluded


def rolling_year(today: dt.date) -> Period:
    start = today - dt.timedelta(days=365)
    return Period("12mois", "les 12 derniers mois", start, today + dt.timedelta(days=1))


def community_periods(community: Community) -> list[Period]:
    """The contract years begun of the community's latest contract (latest first), then the
    last twelve months."""
    today = timezone.localdate()
    periods = []
    contract = community.contracts.order_by("-signed_on").first()
    if contract is not None:
        duration = default_tree().at("agreement.contract_duration_years", contract.signed_on)
        for number in range(1, duration.integer() + 1):
            facts = engine.year_facts(contract, number)
            if facts.start > today or facts.start >= contract.period_end:
                break
            periods.append(
                Period(
                    f"annee-{number}",
                    f"année contractuelle {number} (du {facts.start:%d/%m/%Y} au "
                    f"{facts.end - dt.timedelta(days=1):%d/%m/%Y})",
                    facts.start,
                    facts.end,
                )
            )
    periods.reverse()
    periods.append(rolling_year(today))
    return periods


def chosen(periods: list[Period], key: str | None) -> Period:
    return next((period for period in periods if period.key == key), periods[0])


def _community_and_forms(request: HttpRequest, pk: int) -> tuple[Any, Community, bool]:
    user = current_user(request)
    community = community_for(user, pk)
    return user, community, can(user, Action.ORGANISE, community)


def unscheduled_care(request: HttpRequest, pk: int) -> HttpResponse:
    """The page: organisation, versions, volunteers, upcoming slots, the indicator and delays."""
    user, community, may_write = _community_and_forms(request, pk)
    return _render(request, user, community, may_write)


def _render(
    request: HttpRequest,
    user: Any,
    community: Community,
    may_write: bool,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    versions = selectors.versions_with_changes(community)
    current = versions[0]["organisation"] if versions else None
    names = may_read_volunteers(user, community)
    volunteers = list(selectors.volunteers(community)) if names else []
    if may_write:
        forms.setdefault(
            "organisation_form",
            OrganisationForm(initial=OrganisationForm.initial_from(current), prefix="org"),
        )
        forms.setdefault(
            "volunteer_form",
            VolunteerForm(members=selectors.eligible_members(community), prefix="vol"),
        )
        forms.setdefault("slots_form", SlotsForm(volunteers=volunteers, prefix="slots"))
    slots = (
        Paginator(selectors.upcoming_slots(community), 25).get_page(request.GET.get("page"))
        if names
        else None
    )
    periods = community_periods(community)
    period = chosen(periods, request.GET.get("periode"))
    appointments = selectors.community_appointments(community, period.start, period.end)
    booked = (
        selectors.requests_for(user)
        .filter(appointment__status="booked", appointment__slot__volunteer__community=community)
        .select_related("appointment__slot__volunteer__member")[:50]
        if names
        else []
    )
    return render(
        request,
        "unscheduled_care/community.html",
        {
            "community": community,
            "current": current,
            "current_ways": [Way(way).label for way in current.ways if way in Way.values]
            if current
            else [],
            "versions": versions,
            "names": names,
            "volunteers": volunteers,
            "slots": slots,
            "counts": selectors.counts(community),
            "may_write": may_write,
            "periods": periods,
            "period": period,
            "indicator_count": appointments.count(),
            "distribution": selectors.delay_distribution(appointments),
            "booked": booked,
            "indicator_label": selectors.INDICATOR_LABEL,
            "title": f"Soins non programmés — {community.name}",
            **forms,
        },
        status=status,
    )


def _post_only(request: HttpRequest, pk: int) -> tuple[Any, Community]:
    if request.method != "POST":
        raise _NotPost
    user = current_user(request)
    community = community_for(user, pk)
    require(user, Action.ORGANISE, community)
    return user, community


class _NotPost(Exception):
    pass


def _write(
    request: HttpRequest, pk: int, form_name: str, build: Any, act: Any, success: str
) -> HttpResponse:
    """Bind ``build(user, community)``'s form; when valid run ``act``; a RuleError goes beside
    the form, nothing written."""
    try:
        user, community = _post_only(request, pk)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    form = build(user, community)
    if form.is_valid():
        try:
            message = act(user, community, form.cleaned_data)
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message or success)
            return redirect("communities:unscheduled_care", pk=pk)
    return _render(request, user, community, True, {form_name: form}, status=200)


def adopt_organisation(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, community: Community, data: dict[str, Any]) -> str:
        organisation = services.adopt_organisation(
            user,
            community,
            valid_from=data["valid_from"],
            ways=data["ways"],
            contacts=data["contacts"],
            phone=data["phone"],
            structures=data["structures"],
            notes=data["notes"],
        )
        return f"Organisation adoptée (version {organisation.version})."

    return _write(
        request,
        pk,
        "organisation_form",
        lambda user, community: OrganisationForm(request.POST, prefix="org"),
        act,
        "",
    )


def add_volunteer(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, community: Community, data: dict[str, Any]) -> str:
        member = selectors.eligible_members(community).get(pk=data["member"])
        services.add_volunteer(user, member, data["since"])
        return f"{member.name} est volontaire."

    return _write(
        request,
        pk,
        "volunteer_form",
        lambda user, community: VolunteerForm(
            request.POST, members=selectors.eligible_members(community), prefix="vol"
        ),
        act,
        "",
    )


def add_slots(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, community: Community, data: dict[str, Any]) -> str:
        volunteer = selectors.volunteer_for(user, community, data["volunteer"])
        if volunteer is None:
            raise Http404("Volontaire introuvable")
        periods = services.slot_series(data["day"], data["start"], data["minutes"], data["repeat"])
        slots = services.add_slots(user, volunteer, periods, data["kinds"])
        return f"{len(slots)} créneau(x) ajouté(s) pour {volunteer.member.name}."

    return _write(
        request,
        pk,
        "slots_form",
        lambda user, community: SlotsForm(
            request.POST, volunteers=selectors.volunteers(community), prefix="slots"
        ),
        act,
        "",
    )


def deactivate_volunteer(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    try:
        user, community = _post_only(request, pk)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    volunteer = selectors.volunteer_for(user, community, volunteer_pk)
    if volunteer is None:
        raise Http404("Volontaire introuvable")
    try:
        services.deactivate_volunteer(user, volunteer)
    except RuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{volunteer.member.name} n'est plus volontaire.")
    return redirect("communities:unscheduled_care", pk=pk)
