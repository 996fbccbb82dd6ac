"""Screens of the crisis response.

The community: « Crises en cours » (the crises that concern it, and the button that activates its
plan), then the activation page (plan in force, action log, mobilised members, messages and their
deliveries). The ARS (and the CPAM, national): a crisis's page with every concerned community and
what it did, and its report (print page, CSV).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.signing import BadSignature, TimestampSigner
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from cpts.accounts.access import (
    Action,
    can,
    current_user,
    may_read_crisis_response,
    may_read_member_identities,
    require,
    writable_region_ids,
)
from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.communities.scope import community_for
from cpts.core.errors import RuleError
from cpts.crises import response
from cpts.crises.mailing import TEMPLATES
from cpts.crises.models import (
    CrisisActivation,
    CrisisMessage,
    DeliveryStatus,
    HealthCrisis,
    MobilisedMember,
)
from cpts.crises.selectors import (
    crises_concerning,
    crisis_for_report,
    crisis_report,
    delivery_counts,
)
from cpts.crises.services import end_crisis as end_crisis_service
from cpts.territory.files import csv_export

from .crisis_forms import EndCrisisForm
from .crisis_response_forms import ActionForm, MessageForm, MobiliseForm


def _community(request: HttpRequest, pk: int) -> tuple[User, Community]:
    user = current_user(request)
    community = community_for(user, pk)
    if not may_read_crisis_response(user, community):
        raise Http404("CPTS introuvable")
    return user, community


def _crisis(community: Community, crisis_pk: int) -> HealthCrisis:
    crisis = crises_concerning(community).filter(pk=crisis_pk).select_related("region").first()
    if crisis is None:
        raise Http404("Crise introuvable")
    return crisis


def community_crises(request: HttpRequest, pk: int) -> HttpResponse:
    """The crises that concern the community, activated or not."""
    user, community = _community(request, pk)
    crises = list(crises_concerning(community).prefetch_related("departements"))
    activations = {
        activation.crisis_id: activation
        for activation in CrisisActivation.objects.filter(community=community)
    }

    def rows(ended: bool) -> list[dict[str, Any]]:
        return [
            {"crisis": crisis, "activation": activations.get(crisis.pk)}
            for crisis in crises
            if (crisis.ended_on is not None) == ended
        ]

    return render(
        request,
        "crises/community_crises.html",
        {
            "community": community,
            "rows": rows(ended=False),
            # an ended crisis is no longer « en cours »: listed apart, its activation still open
            # to its close
            "ended": rows(ended=True),
            "may_respond": can(user, Action.RESPOND, community),
            "today": timezone.localdate(),
            "title": f"Crises en cours — {community.name}",
        },
    )


def activate_plan(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user, community = _community(request, pk)
    require(user, Action.RESPOND, community)
    crisis = _crisis(community, crisis_pk)
    try:
        activation = response.activate(crisis, community, user)
    except RuleError as error:
        messages.error(request, str(error))
        return redirect("communities:crises", pk=pk)
    if activation.plan is None:
        messages.warning(
            request,
            "Plan de crise activé, mais la CPTS n'a aucun plan de crise adopté : adoptez-en un.",
        )
    else:
        messages.success(request, "Plan de crise activé.")
    return redirect("communities:activation", pk=pk, crisis_pk=crisis.pk)


def _activation(request: HttpRequest, pk: int, crisis_pk: int) -> tuple[User, CrisisActivation]:
    user, community = _community(request, pk)
    crisis = _crisis(community, crisis_pk)
    activation = (
        CrisisActivation.objects.filter(crisis=crisis, community=community)
        .select_related("plan", "activated_by", "crisis", "community")
        .first()
    )
    if activation is None:
        raise Http404("Le plan de crise n'est pas activé pour cette crise.")
    return user, activation


def _available(activation: CrisisActivation) -> Any:
    """The members the activation may still mobilise: those not mobilised yet."""
    return activation.community.members.exclude(
        pk__in=MobilisedMember.objects.filter(activation=activation).values("member_id")
    ).order_by("profession", "structure_kind", "name", "pk")


def _page(
    request: HttpRequest,
    user: User,
    activation: CrisisActivation,
    *,
    action_form: ActionForm | None = None,
    mobilise_form: MobiliseForm | None = None,
    message_form: MessageForm | None = None,
    preview: tuple[str, str] | None = None,
    preview_data: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    community = activation.community
    may_respond = can(user, Action.RESPOND, community) and activation.closed_at is None
    identities = may_read_member_identities(user, community)
    mobilised = MobilisedMember.objects.filter(activation=activation).select_related("member")
    available = _available(activation)
    sent = list(CrisisMessage.objects.filter(activation=activation).select_related("author"))
    counts = delivery_counts([message.pk for message in sent])
    if may_respond:
        action_form = action_form or ActionForm()
        mobilise_form = mobilise_form or MobiliseForm(available=available)
        message_form = message_form or MessageForm()
    return render(
        request,
        "crises/activation.html",
        {
            "community": community,
            "activation": activation,
            "crisis": activation.crisis,
            "actions": activation.actions.select_related("author"),
            "mobilised": mobilised if identities else None,
            "mobilised_count": mobilised.count(),
            "identities": identities,
            "sent_messages": [
                {
                    "message": message,
                    "label": TEMPLATES[message.template].label
                    if message.template in TEMPLATES
                    else message.template,
                    **{
                        status.value: counts[message.pk].get(status, 0) for status in DeliveryStatus
                    },
                }
                for message in sent
            ],
            "may_respond": may_respond,
            "action_form": action_form if may_respond else None,
            "mobilise_form": mobilise_form if may_respond and available.exists() else None,
            "message_form": message_form if may_respond else None,
            "preview": preview,
            "preview_data": preview_data,
            "title": f"Réponse à la crise « {activation.crisis.title} » — {community.name}",
        },
        status=status,
    )


def activation_page(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    user, activation = _activation(request, pk, crisis_pk)
    return _page(request, user, activation)


def _post(request: HttpRequest, pk: int, crisis_pk: int) -> tuple[User, CrisisActivation]:
    user, activation = _activation(request, pk, crisis_pk)
    require(user, Action.RESPOND, activation.community)
    return user, activation


def log_action(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user, activation = _post(request, pk, crisis_pk)
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            response.log_action(
                activation, user, form.cleaned_data["happened_at"], form.cleaned_data["description"]
            )
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Action enregistrée.")
            return redirect("communities:activation", pk=pk, crisis_pk=crisis_pk)
    return _page(request, user, activation, action_form=form, status=400)


def mobilise(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user, activation = _post(request, pk, crisis_pk)
    form = MobiliseForm(request.POST, available=_available(activation))
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = response.mobilise(
                activation,
                user,
                [member.pk for member in data["members"]],
                data["role"],
                data["mobilised_on"],
            )
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{len(done)} membre(s) mobilisé(s).")
            return redirect("communities:activation", pk=pk, crisis_pk=crisis_pk)
    return _page(request, user, activation, mobilise_form=form, status=400)


#: How long a preview stays good for « Envoyer »: after that, the message is shown again.
PREVIEW_MAX_AGE = dt.timedelta(minutes=30)
_PREVIEW_SALT = "cpts.crises.message_preview"


def _latest_message(activation: CrisisActivation) -> int | None:
    return (
        CrisisMessage.objects.filter(activation=activation)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def _preview_digest(
    activation: CrisisActivation, user: User, template: str, text: str, latest: int | None
) -> str:
    """The message, its author, and the activation's latest message so far: once this preview
    has been sent, the same form posted again (a double click, « back » and resend) is shown
    as a preview again instead of e-mailing every member twice (two posts at the same instant:
    ``response.send_message(after=...)`` refuses the second under the activation's lock)."""
    text = text.replace("\r\n", "\n").strip()
    value = f"{activation.pk}\0{user.pk}\0{latest}\0{template}\0{text}"
    return salted_hmac(_PREVIEW_SALT, value).hexdigest()


def _preview_token(
    activation: CrisisActivation, user: User, template: str, text: str, latest: int | None
) -> str:
    """Proof that this very message (template and text) was shown to this user in a preview
    before « Envoyer », less than :data:`PREVIEW_MAX_AGE` ago: the send button lives on the
    preview only, and carries it."""
    digest = _preview_digest(activation, user, template, text, latest)
    return TimestampSigner(salt=_PREVIEW_SALT).sign(digest)


def _previewed(
    token: str,
    activation: CrisisActivation,
    user: User,
    template: str,
    text: str,
    latest: int | None,
) -> bool:
    """Is ``token`` a preview of this message, by this user, still fresh?"""
    try:
        digest = TimestampSigner(salt=_PREVIEW_SALT).unsign(token, max_age=PREVIEW_MAX_AGE)
    except BadSignature:  # forged, or expired (SignatureExpired is a BadSignature)
        return False
    return constant_time_compare(digest, _preview_digest(activation, user, template, text, latest))


def send_message(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    """« Prévisualiser » shows the message as it will be sent, with the « Envoyer » button that
    queues it; a send without that preview (or with another text) shows the preview instead."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user, activation = _post(request, pk, crisis_pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        latest = _latest_message(activation)  # the same for the check and the send
        token = _preview_token(activation, user, data["template"], data["text"], latest)
        try:
            previewed = "send" in request.POST and _previewed(
                request.POST.get("previewed", ""),
                activation,
                user,
                data["template"],
                data["text"],
                latest,
            )
            if not previewed:
                preview = response.preview(activation, data["template"], data["text"])
                if "send" in request.POST:
                    messages.info(request, "Vérifiez l'aperçu du message avant de l'envoyer.")
                return _page(
                    request,
                    user,
                    activation,
                    message_form=form,
                    preview=preview,
                    preview_data={
                        "template": data["template"],
                        "text": data["text"],
                        "token": token,
                    },
                )
            message = response.send_message(
                activation, user, data["template"], data["text"], after=latest
            )
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            queued = message.deliveries.filter(status=DeliveryStatus.QUEUED).count()
            without = message.deliveries.filter(status=DeliveryStatus.NO_ADDRESS).count()
            messages.success(
                request,
                f"Message enregistré : {queued} courriel(s) en cours d'envoi, {without} membre(s) "
                "sans adresse.",
            )
            return redirect("communities:activation", pk=pk, crisis_pk=crisis_pk)
    return _page(request, user, activation, message_form=form, status=400)


def close_activation(request: HttpRequest, pk: int, crisis_pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user, activation = _post(request, pk, crisis_pk)
    if request.POST.get("confirm") != "1":
        messages.error(request, "Cochez « Je confirme la clôture » pour clore l'activation.")
        return redirect("communities:activation", pk=pk, crisis_pk=crisis_pk)
    try:
        response.close(activation, user)
    except RuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Activation du plan de crise close.")
    return redirect("communities:activation", pk=pk, crisis_pk=crisis_pk)


def message_deliveries(
    request: HttpRequest, pk: int, crisis_pk: int, message_pk: int
) -> HttpResponse:
    """Each member's delivery of one message (names and addresses: whom may read identities)."""
    user, activation = _activation(request, pk, crisis_pk)
    if not may_read_member_identities(user, activation.community):
        raise Http404("Message introuvable")
    message = get_object_or_404(CrisisMessage, pk=message_pk, activation=activation)
    deliveries = message.deliveries.select_related("member")
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "crises/deliveries.html",
        {
            "community": activation.community,
            "activation": activation,
            "message": message,
            "counts": delivery_counts([message.pk])[message.pk],
            "page_obj": page,
            "title": f"Envois du message « {message.subject} » — {activation.community.name}",
        },
    )


# --- The ARS's side -----------------------------------------------------------------------------


def _report_context(request: HttpRequest, crisis_pk: int) -> dict[str, Any]:
    user = current_user(request)
    crisis = crisis_for_report(user, crisis_pk)
    rows = crisis_report(user, crisis)
    activated = [row for row in rows if row.activation is not None]
    return {
        "crisis": crisis,
        "rows": rows,
        "activated": len(activated),
        "totals": {
            key: sum(getattr(row, key) for row in rows)
            for key in (
                "actions",
                "mobilised",
                "messages",
                "sent",
                "failed",
                "queued",
                "no_address",
            )
        },
        "title": f"Crise « {crisis.title} »",
    }


def _may_end(user: User, crisis: HealthCrisis) -> bool:
    """The ARS of the crisis's region (or an administrator) ends a crisis still in progress."""
    if crisis.ended_on is not None or not can(user, Action.DECIDE):
        return False
    allowed = writable_region_ids(user)
    return allowed is None or crisis.region_id in allowed


def crisis_detail(
    request: HttpRequest, crisis_pk: int, end_form: EndCrisisForm | None = None, status: int = 200
) -> HttpResponse:
    context = _report_context(request, crisis_pk)
    user = current_user(request)
    if end_form is not None or _may_end(user, context["crisis"]):
        context["end_form"] = end_form or EndCrisisForm()
    return render(request, "crises/detail.html", context, status=status)


def end_crisis(request: HttpRequest, crisis_pk: int) -> HttpResponse:
    """« Clore la crise »: the ARS of its region, on a day from its declaration to today."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = current_user(request)
    crisis = crisis_for_report(user, crisis_pk)
    require(user, Action.DECIDE)
    form = EndCrisisForm(request.POST)
    if form.is_valid():
        try:
            end_crisis_service(user, crisis, form.cleaned_data["ended_on"])
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Crise close : les CPTS ne peuvent plus activer leur plan.")
            return redirect("crises:detail", crisis_pk=crisis.pk)
    return crisis_detail(request, crisis_pk, end_form=form, status=400)


def crisis_report_print(request: HttpRequest, crisis_pk: int) -> HttpResponse:
    context = _report_context(request, crisis_pk)
    ids = [row.activation.pk for row in context["rows"] if row.activation is not None]
    actions: dict[int, list[Any]] = {}
    for activation in CrisisActivation.objects.filter(pk__in=ids).prefetch_related("actions"):
        actions[activation.community_id] = sorted(
            activation.actions.all(), key=lambda action: action.happened_at
        )
    context["details"] = [
        {"row": row, "actions": actions.get(row.community.pk, [])} for row in context["rows"]
    ]
    context["printed_at"] = timezone.localtime()
    context["title"] = f"Rapport de crise — {context['crisis'].title}"
    return render(request, "crises/report_print.html", context)


def crisis_report_csv(request: HttpRequest, crisis_pk: int) -> HttpResponse:
    context = _report_context(request, crisis_pk)
    crisis = context["crisis"]
    header = [
        "CPTS",
        "Département",
        "Activé le",
        "Plan en vigueur",
        "Clos le",
        "Actions",
        "Membres mobilisés",
        "Messages",
        "Courriels envoyés",
        "Courriels en échec",
        "Courriels en attente",
        "Membres sans adresse",
    ]

    def when(value: Any) -> str:
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}" if value else ""

    rows = (
        [
            row.community.name,
            row.community.departement_id,
            when(row.activation.activated_at) if row.activation else "non activé",
            (
                f"{row.activation.plan.year} v{row.activation.plan.version}"
                if row.activation and row.activation.plan
                else ("aucun plan" if row.activation else "")
            ),
            when(row.activation.closed_at) if row.activation else "",
            row.actions,
            row.mobilised,
            row.messages,
            row.sent,
            row.failed,
            row.queued,
            row.no_address,
        ]
        for row in context["rows"]
    )
    result = HttpResponse(csv_export(header, rows), content_type="text/csv; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="crise-{crisis.pk}-rapport.csv"'
    return result
