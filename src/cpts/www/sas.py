"""The SAS regulation in the browser (« Régulation SAS »): record a request, search a free slot
within the deadline in force near the patient, book it, record the outcome; the requests of its
départements and the delays from request to appointment. For the regulation (its départements)
and administrators; every other role is refused (403)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from cpts.accounts.access import Action, current_user, require, scope_of
from cpts.accounts.models import Role
from cpts.core.dates import moment_fr
from cpts.core.errors import RuleError
from cpts.unscheduled_care import selectors, services
from cpts.unscheduled_care.enums import Urgency
from cpts.unscheduled_care.models import Request

from .sas_forms import BookForm, OutcomeForm, RequestForm

STATUSES = (
    ("", "toutes"),
    ("a_reserver", "sans rendez-vous"),
    ("reserve", "rendez-vous réservé, suite à venir"),
    ("suite", "suite enregistrée"),
)


def _regulator(request: HttpRequest) -> Any:
    user = current_user(request)
    require(user, Action.REGULATE)
    return user


def _request_or_404(user: Any, pk: int) -> Request:
    item = selectors.request_for(user, pk)
    if item is None:
        raise Http404("Demande introuvable")
    return item


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None


def request_list(request: HttpRequest) -> HttpResponse:
    """The regulation's requests (filters by status), and the delays over a period."""
    user = _regulator(request)
    status = request.GET.get("statut", "")
    if status not in dict(STATUSES):
        status = ""
    requests = selectors.requests_for(user).filter(selectors.requests_filter(status))
    page = Paginator(requests, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    start = _day(request.GET.get("du")) or today - dt.timedelta(days=365)
    end = _day(request.GET.get("au")) or today
    if end < start:
        start, end = end, start
    end = min(end, dt.date.max - dt.timedelta(days=1))  # the day after it must exist
    appointments = selectors.regulation_appointments(user, start, end + dt.timedelta(days=1))
    return render(
        request,
        "sas/requests.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": STATUSES,
            "start": start,
            "end": end,
            "distribution": selectors.delay_distribution(appointments),
            "period_label": f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}",
            "title": "Régulation SAS — demandes",
        },
    )


def new_request(request: HttpRequest) -> HttpResponse:
    """Record a request: the patient's commune, the urgency, the time received (nothing else)."""
    user = _regulator(request)
    departements = None if user.role == Role.ADMIN else set(scope_of(user).departements)
    form = RequestForm(request.POST or None, departements=departements)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.record_request(
                user,
                commune=data["commune"],
                urgency=data["urgency"],
                received_at=data["received_at"],
            )
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Demande enregistrée : cherchez un créneau.")
            return redirect("sas:search_slots", pk=item.pk)
    return render(
        request, "sas/new_request.html", {"form": form, "title": "Enregistrer une demande du SAS"}
    )


def _deadline_context(item: Request) -> dict[str, Any]:
    deadline = services.deadline_for(item)
    return {"deadline": deadline, "deadline_due": timezone.localtime(deadline.due)}


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A request: its appointment (if any) and the form for its outcome."""
    user = _regulator(request)
    item = _request_or_404(user, pk)
    appointment = getattr(item, "appointment", None)
    return render(
        request,
        "sas/request.html",
        {
            "item": item,
            "appointment": appointment,
            "outcome_form": OutcomeForm(initial={"outcome": item.outcome or None}),
            "title": f"Demande du SAS du {timezone.localtime(item.received_at):%d/%m/%Y %H:%M}",
            **_deadline_context(item),
        },
    )


def search_slots(request: HttpRequest, pk: int, error: str = "") -> HttpResponse:
    """Free slots within the deadline in force for the request, nearest to the patient first."""
    user = _regulator(request)
    item = _request_or_404(user, pk)
    context = _deadline_context(item)
    if getattr(item, "appointment", None) is not None:
        return redirect("sas:request", pk=item.pk)
    until = selectors.search_until(item, context["deadline"].due)
    candidates = selectors.free_slots_near(user, item, until)
    return render(
        request,
        "sas/search.html",
        {
            "item": item,
            "until": timezone.localtime(until),
            "same_day": item.urgency == Urgency.SAME_DAY,
            "passed": until <= timezone.now(),
            "candidates": candidates[:100],
            "more": max(0, len(candidates) - 100),
            "error": error,
            "title": "Chercher un créneau",
            **context,
        },
    )


def book_slot(request: HttpRequest, pk: int) -> HttpResponse:
    """Book the chosen slot (POST); a slot taken meanwhile: the message and the list again."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = _regulator(request)
    item = _request_or_404(user, pk)
    form = BookForm(request.POST)
    if not form.is_valid():
        return search_slots(request, pk, "Choisissez un créneau dans la liste.")
    slot = selectors.slot_for(user, form.cleaned_data["slot"])
    if slot is None:
        raise Http404("Créneau introuvable")
    try:
        services.book(user, slot, item)
    except RuleError as error:
        return search_slots(request, pk, str(error))
    messages.success(
        request,
        f"Rendez-vous réservé le {moment_fr(slot.start)} avec {slot.volunteer.member.name}.",
    )
    return redirect("sas:request", pk=item.pk)


def record_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = _regulator(request)
    item = _request_or_404(user, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(user, item, form.cleaned_data["outcome"])
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Suite enregistrée : {item.get_outcome_display()}.")
            return redirect("sas:request", pk=item.pk)
    return render(
        request,
        "sas/request.html",
        {
            "item": item,
            "appointment": getattr(item, "appointment", None),
            "outcome_form": form,
            "title": "Demande du SAS",
            **_deadline_context(item),
        },
    )


def cancel_appointment(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the request's appointment before it starts (POST); the slot is free again."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = _regulator(request)
    item = _request_or_404(user, pk)
    appointment = getattr(item, "appointment", None)
    if appointment is None:
        raise Http404("Rendez-vous introuvable")
    try:
        services.cancel_appointment(user, appointment)
    except RuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Rendez-vous annulé : le créneau est de nouveau libre.")
    return redirect("sas:request", pk=item.pk)


def declarations(request: HttpRequest) -> HttpResponse:
    """The outbox to the SAS platform: each declaration, its status, attempts, last error and the
    platform's answer (administrators; a regulation: its départements' appointments)."""
    from cpts.unscheduled_care.declarations import outbox_state

    user = current_user(request)
    page = Paginator(selectors.declarations_for(user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sas/declarations.html",
        {"page_obj": page, "state": outbox_state(), "title": "Déclarations à la plateforme SAS"},
    )
