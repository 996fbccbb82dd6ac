"""Screens of the lifecycle. Views stay thin: access through :mod:`cpts.accounts.access`,
changes through :mod:`.services`, amounts from the rules engine."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from cpts.accounts.access import (
    Action,
    can,
    current_user,
    may_read_all_runs,
    may_read_proofs,
    require,
)
from cpts.aci import InvalidInput, Mission, default_tree, readable_lines
from cpts.communities.scope import community_for, payable_communities
from cpts.contracts import engine, measures, services, workflow
from cpts.contracts.models import (
    Amendment,
    Decision,
    Deliverable,
    Evaluation,
    Payment,
    PaymentKind,
    PaymentRun,
)
from cpts.contracts.selectors import years_of
from cpts.payments import ledger
from cpts.unscheduled_care.selectors import INDICATOR_CODE as SAS_INDICATOR_CODE

from .contract_choice import chosen_contract, contract_for_year, contract_query
from .lifecycle_forms import (
    AddMissionForm,
    AmendmentDecisionForm,
    CloseEvaluationForm,
    CorrectionForm,
    DecisionForm,
    DeliverableForm,
    FileDocumentForm,
    GrantForm,
    IndicatorBindingForm,
    IndicatorForm,
    IndicatorValueForm,
    IndicatorVerdictForm,
    MissionForm,
    PaymentRunForm,
    SignContractForm,
    TerminationForm,
)


def _submit(
    request: HttpRequest, form: Form, apply: Callable[[dict[str, Any]], object], success: str
) -> bool:
    """Validate ``form`` and apply the service; a rule error shows beside the form, nothing saved."""
    if not form.is_valid():
        return False
    try:
        apply(form.cleaned_data)
    except services.RuleError as error:
        form.add_error(None, str(error))
        return False
    messages.success(request, success)
    return True


def _to(name: str, contract: Any, **kwargs: Any) -> HttpResponse:
    """A redirect to ``name`` that keeps naming ``contract``."""
    return redirect(reverse(name, kwargs=kwargs) + contract_query(contract))


def _posted_action(request: HttpRequest, action: str | None) -> str | None:
    """The action a POST takes: the one its URL names (one URL per action)."""
    return action if request.method == "POST" else None


def one_url_per_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page answers GET; each of its actions is POSTed to a URL of its own (which names it);
    a POST to the page itself is refused (405)."""

    @wraps(view)
    def page(
        request: HttpRequest, *args: Any, action: str | None = None, **kwargs: Any
    ) -> HttpResponse:
        if request.method == "POST" and action is None:
            return HttpResponseNotAllowed(["GET"])
        return view(request, *args, action=action, **kwargs)

    return page


def _documents(request: HttpRequest, pk: int, kind: str, action: str | None = None) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    documents: Any
    file_service: Any
    decide_service: Any
    if kind == "letter":
        documents = community.letterofintents.all()
        file_service, decide_service = (
            services.file_letter_of_intent,
            services.decide_letter_of_intent,
        )
        title, url = "Lettre d'intention", "communities:letter"
    else:
        documents = community.healthprojects.all()
        file_service, decide_service = services.file_health_project, services.decide_health_project
        title, url = "Projet de santé", "communities:health_project"
    current = documents.order_by("-pk").first()  # the last one filed
    action = _posted_action(request, action)
    file_form = FileDocumentForm(request.POST if action == "file" else None, prefix="file")
    decide_form = DecisionForm(request.POST if action == "decide" else None, prefix="decide")
    if action == "file":
        require(user, Action.FILE, community)
        if _submit(
            request,
            file_form,
            lambda d: file_service(community, user, d["filed_on"], d["summary"]),
            f"{title} déposé(e).",
        ):
            return redirect(url, pk=pk)
    elif action == "decide":
        require(user, Action.DECIDE, community)
        if current is None:
            raise Http404
        if _submit(
            request,
            decide_form,
            lambda d: decide_service(
                current, user, d["decision"] == "validate", d["reason"], d["decided_on"]
            ),
            "Décision enregistrée.",
        ):
            return redirect(url, pk=pk)
    elif action is not None:
        raise PermissionDenied
    # what the lifecycle allows this user now (contracts.workflow: one table for every screen)
    actions = {transition.action for transition in workflow.allowed(community, user)}
    can_file = f"file_{kind if kind == 'letter' else 'project'}" in actions
    can_decide = f"validate_{kind if kind == 'letter' else 'project'}" in actions
    return render(
        request,
        "contracts/document.html",
        {
            "community": community,
            "documents": documents,
            "file_form": file_form if can_file else None,
            "decide_form": decide_form if can_decide else None,
            "title": f"{title} — {community.name}",
            "heading": title,
            "file_url": reverse(f"{url}_file", args=[pk]),
            "decide_url": reverse(f"{url}_decide", args=[pk]),
        },
    )


@one_url_per_action
def letter_of_intent(request: HttpRequest, pk: int, action: str | None = None) -> HttpResponse:
    return _documents(request, pk, "letter", action)


@one_url_per_action
def health_project(request: HttpRequest, pk: int, action: str | None = None) -> HttpResponse:
    return _documents(request, pk, "project", action)


def accelerator_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    form = GrantForm(request.POST or None)
    if request.method == "POST":
        require(user, Action.GRANT, community)
        if _submit(
            request,
            form,
            lambda d: services.grant_accelerator(
                community,
                user,
                d["granted_on"],
                association=d["association"],
                core_mission_started=d["core_mission_started"],
            ),
            "Accélérateur accordé.",
        ):
            return redirect("communities:accelerator", pk=pk)
    from cpts.aci import accelerator

    preview = accelerator(
        community.population,
        timezone.localdate(),
        letter_of_intent_validated=community.letterofintents.filter(
            status=Decision.VALIDATED
        ).exists(),
        contract_signed=community.contracts.exists(),
    )
    return render(
        request,
        "contracts/accelerator.html",
        {
            "community": community,
            "grant": getattr(community, "accelerator", None),
            "preview": preview,
            "form": form
            if workflow.refusal(community, "grant_accelerator", user) is None
            else None,
            "title": f"Accélérateur — {community.name}",
        },
    )


@one_url_per_action
def contract(request: HttpRequest, pk: int, action: str | None = None) -> HttpResponse:
    """The contracts of a community (the latest first), its missions, years, amendments."""
    user = current_user(request)
    community = community_for(user, pk)
    contracts = list(community.contracts.order_by("-signed_on"))
    latest = contracts[0] if contracts else None
    current = chosen_contract(community, request) if request.GET.get("contrat") else latest
    today = timezone.localdate()
    action = _posted_action(request, action)
    sign_form = SignContractForm(request.POST if action == "sign" else None, prefix="sign")
    add_form = AddMissionForm(request.POST if action == "add_mission" else None, prefix="add")
    end_form = TerminationForm(request.POST if action == "terminate" else None, prefix="end")
    posted_amendment = request.POST.get("amendment-amendment") if action == "amendment" else None
    bound: AmendmentDecisionForm | None = None
    if action == "sign":
        require(user, Action.SIGN, community)
        if _submit(
            request,
            sign_form,
            lambda d: services.sign_contract(
                community,
                user,
                d["signed_on"],
                d["community_signatory"],
                d["cpam_signatory"],
                d["ars_signatory"],
            ),
            "Contrat signé : les missions socles sont inscrites au contrat.",
        ):
            return redirect("communities:contract", pk=pk)
    elif action == "add_mission":
        require(user, Action.MISSIONS, community)
        if current is None:
            raise Http404
        if _submit(
            request,
            add_form,
            lambda d: services.add_mission(current, user, Mission(d["mission"])),
            "Mission ajoutée.",
        ):
            return redirect("communities:contract", pk=pk)
    elif action == "terminate":
        require(user, Action.SIGN, community)
        if current is None:
            raise Http404
        if _submit(
            request,
            end_form,
            lambda d: services.terminate_contract(current, user, d["terminated_on"], d["reason"]),
            "Contrat résilié : les sommes à reverser figurent dans les versements.",
        ):
            return redirect("communities:contract", pk=pk)
    elif action == "amendment":
        require(user, Action.SIGN, community)
        if current is None:
            raise Http404
        bound = AmendmentDecisionForm(request.POST, prefix="amendment")

        def decide(data: dict[str, Any]) -> None:
            amendment = get_object_or_404(current.amendments, pk=data["amendment"])
            if data["decision"] == "apply":
                services.apply_amendment(amendment, user, data["decided_on"])
            else:
                services.dismiss_amendment(amendment, user, data["decided_on"])

        if _submit(request, bound, decide, "Décision sur l'avenant enregistrée."):
            return redirect("communities:contract", pk=pk)
    elif action is not None:
        raise PermissionDenied
    years: list[dict[str, Any]] = []
    amendments: list[dict[str, Any]] = []
    if current is not None:
        years = [
            {
                "number": row.number,
                "start": row.start,
                "end": row.last_day,
                "current": row.is_current(today),
                "facts": row.facts,
                "total": row.total,
            }
            for row in years_of(current)
        ]
        for amendment in current.amendments.all():
            form = None
            if amendment.status == Amendment.Status.PROPOSED and can(user, Action.SIGN, community):
                form = (
                    bound
                    if bound is not None and posted_amendment == str(amendment.pk)
                    else AmendmentDecisionForm(
                        prefix="amendment", initial={"amendment": amendment.pk}
                    )
                )
            amendments.append(
                {
                    "amendment": amendment,
                    "summary": services.amendment_summary(amendment),
                    "form": form,
                }
            )
    in_force = current is not None and today < current.period_end
    return render(
        request,
        "contracts/contract.html",
        {
            "community": community,
            "contract": current,
            "contracts": contracts,
            "status": current.status_label_on(today) if current else "",
            "missions": current.missions.all() if current else [],
            "years": years,
            "amendments": amendments,
            # a refused POST shows its form again, with the French reason
            "sign_form": sign_form
            if action == "sign" or workflow.refusal(community, "sign", user) is None
            else None,
            "contract_query": contract_query(current) if current else "",
            "add_form": add_form
            if in_force and current is not None and can(user, Action.MISSIONS, community)
            else None,
            "end_form": end_form
            if action == "terminate"
            or (
                in_force
                and current is latest
                and workflow.refusal(community, "terminate", user) is None
            )
            else None,
            "title": f"Contrat — {community.name}",
        },
    )


def mission(request: HttpRequest, pk: int, mission_pk: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    current = chosen_contract(community, request)
    commitment = get_object_or_404(current.missions, pk=mission_pk)
    form = MissionForm(
        request.POST or None,
        initial={"started_on": commitment.started_on, "deployed_on": commitment.deployed_on},
    )
    if request.method == "POST":
        require(user, Action.MISSIONS, community)
        if _submit(
            request,
            form,
            lambda d: services.record_mission(commitment, user, d["started_on"], d["deployed_on"]),
            "Mission mise à jour.",
        ):
            return _to("communities:contract", current, pk=pk)
    return render(
        request,
        "contracts/mission.html",
        {
            "community": community,
            "commitment": commitment,
            "form": form if can(user, Action.MISSIONS, community) else None,
            "title": f"{commitment.get_mission_display()} — {community.name}",
            "contract_query": contract_query(current),
        },
    )


def annex(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The indicator annex of a contract year: progress per mission, and what is missing."""
    user = current_user(request)
    community = community_for(user, pk)
    current = contract_for_year(community, year, request)
    may_edit = can(user, Action.ANNEX, community)
    add_form = IndicatorForm(request.POST or None, prefix="indicator", community=community)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if _submit(
            request,
            add_form,
            lambda d: services.add_indicator(current, year, user, d),
            "Indicateur ajouté à l'annexe.",
        ):
            return _to("communities:annex", current, pk=pk, year=year)
    indicators = list(
        current.indicators.filter(contract_year=year)
        .select_related("referent", "computed_by")
        .prefetch_related("deliverables")
    )
    evaluation = current.evaluations.filter(contract_year=year).first()
    closed = evaluation is not None and evaluation.status == Evaluation.Status.CLOSED
    try:
        expected = engine.full_variable_parts(current, year)
        projected = engine.compute(current, year, final=closed)
        gaps = services.annex_gaps(current, year)
    except InvalidInput as error:
        messages.error(request, error.message)
        expected, projected, gaps = {}, None, []
    # each variable part with its share of the increase, as the engine produced them (once)
    secured_by_mission = projected.variable_parts() if projected else {}
    missions = []
    for code, target in expected.items():
        items = [indicator for indicator in indicators if indicator.mission == code]
        secured = secured_by_mission.get(code, Decimal(0))
        missions.append(
            {
                "code": code,
                "label": Mission(code).label,
                "target": target,
                "secured": secured,
                "missing": target - secured,
                "indicators": items,
                "percent": int(secured * 100 / target) if target else 0,
            }
        )
    return render(
        request,
        "contracts/annex.html",
        {
            "community": community,
            "contract": current,
            "year": year,
            "missions": missions,
            "gaps": gaps,
            "evaluation": evaluation,
            "closed": closed,
            "result": projected,
            # each line explained in French (parameter titles, not the engine's keys)
            "lines": readable_lines((line.to_dict() for line in projected.lines), default_tree())
            if projected
            else [],
            "can_file": can(user, Action.FILE, community),
            "can_evaluate": can(user, Action.EVALUATE, community),
            "can_compute": can(user, Action.COMPUTE, community) and not closed,
            "can_import": any(
                can(user, action, community)
                for action in (Action.ANNEX, Action.FILE, Action.EVALUATE)
            ),
            "bound": sum(
                1
                for indicator in indicators
                if indicator.computed_code and indicator.computed_code != SAS_INDICATOR_CODE
            ),
            "bound_to_sas": sum(
                1 for indicator in indicators if indicator.computed_code == SAS_INDICATOR_CODE
            ),
            "add_form": add_form if may_edit and not closed else None,
            "close_form": CloseEvaluationForm()
            if can(user, Action.EVALUATE, community) and not closed
            else None,
            "title": f"Annexe des indicateurs, année {year} — {community.name}",
            "contract_query": contract_query(current),
        },
    )


@one_url_per_action
def indicator(
    request: HttpRequest, pk: int, year: int, indicator_pk: int, action: str | None = None
) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    current = contract_for_year(community, year, request)
    item = get_object_or_404(current.indicators, pk=indicator_pk, contract_year=year)
    action = _posted_action(request, action)
    value_form = IndicatorValueForm(
        request.POST if action == "record" else None,
        prefix="value",
        initial={"measured_value": item.measured_value, "done": item.done, "remarks": item.remarks},
    )
    verdict_form = IndicatorVerdictForm(
        request.POST if action == "decide" else None, prefix="verdict"
    )
    binding_form = IndicatorBindingForm(
        request.POST if action == "bind" else None,
        prefix="binding",
        initial={
            "computed": f"{item.computed_code}:{item.computed_measure}"
            if item.computed_code
            else ""
        },
    )
    may_bind = can(user, Action.ANNEX, community)
    back = _to("communities:annex", current, pk=pk, year=year)
    if action == "record":
        require(user, Action.FILE, community)
        if _submit(
            request,
            value_form,
            lambda d: services.record_indicator(
                item, user, d["measured_value"], d["done"], d["remarks"]
            ),
            "Valeur enregistrée.",
        ):
            return back
    elif action == "decide":
        require(user, Action.EVALUATE, community)
        if _submit(
            request,
            verdict_form,
            lambda d: services.decide_indicator(
                item, user, d["verdict"] == "accept", d["reason"], timezone.localdate()
            ),
            "Décision enregistrée.",
        ):
            return back
    elif action == "bind":
        require(user, Action.ANNEX, community)
        if _submit(
            request,
            binding_form,
            lambda d: measures.bind_indicator(
                item, user, d["computed_code"], d["computed_measure"]
            ),
            "Liaison à l'indicateur calculé enregistrée.",
        ):
            return back
    elif action == "carry":
        require(user, Action.EVALUATE, community)
        try:
            services.carry_over(item, user)
        except services.RuleError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Indicateur reporté sur l'année suivante.")
        return back
    elif action is not None:
        raise PermissionDenied
    return render(
        request,
        "contracts/indicator.html",
        {
            "community": community,
            "year": year,
            "indicator": item,
            "value_form": value_form if can(user, Action.FILE, community) else None,
            "verdict_form": verdict_form if can(user, Action.EVALUATE, community) else None,
            "binding_form": binding_form if may_bind else None,
            "can_file": can(user, Action.FILE, community),
            "can_read_proofs": may_read_proofs(user, community),
            "title": f"{item.label} — {community.name}",
            "contract_query": contract_query(current),
        },
    )


def close_evaluation(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    require(user, Action.EVALUATE, community)
    current = contract_for_year(community, year, request)
    form = CloseEvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_evaluation(current, year, user, form.cleaned_data["closed_on"])
        except (services.RuleError, InvalidInput) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            messages.success(
                request, "Évaluation close : le solde sera versé à la prochaine campagne."
            )
    return _to("communities:annex", current, pk=pk, year=year)


def compute_indicators(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Fill the bound indicators of a contract year from the claims (POST only); a missing or
    invalid claims folder is a French message, nothing written."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = current_user(request)
    community = community_for(user, pk)
    require(user, Action.COMPUTE, community)
    current = contract_for_year(community, year, request)
    try:
        filled = measures.fill_measured_values(current, year, user)
    except (services.RuleError, InvalidInput) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(request, filled.summary())
    return _to("communities:annex", current, pk=pk, year=year)


def count_sas_requests(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Fill the indicators of a contract year bound to the SAS requests (POST only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = current_user(request)
    community = community_for(user, pk)
    require(user, Action.COMPUTE, community)
    current = contract_for_year(community, year, request)
    try:
        changed = measures.fill_sas_values(current, year, user)
    except (services.RuleError, InvalidInput) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(
            request,
            "Demandes du SAS comptées : "
            + (
                f"{len(changed)} valeur(s) modifiée(s), à décider par la CPAM."
                if changed
                else "aucune valeur modifiée."
            ),
        )
    return _to("communities:annex", current, pk=pk, year=year)


def payments(request: HttpRequest, pk: int) -> HttpResponse:
    """The ledger of a community: every entry, signed, and totals that add them all."""
    community = community_for(current_user(request), pk)
    rows = community.payments.select_related("created_by", "corrects").order_by("due_on", "pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/payments.html",
        {
            "community": community,
            "page_obj": page,
            "totals": ledger.totals(community.payments.all()),
            "title": f"Versements — {community.name}",
        },
    )


def _readable_year(year: dict[str, Any] | None) -> dict[str, Any] | None:
    """A contract year's computation as an entry recorded it, its lines explained in French."""
    if not year:
        return year
    return {**year, "lines": readable_lines(year.get("lines", []), default_tree())}


def payment_detail(request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    payment = get_object_or_404(community.payments, pk=payment_pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST":
        require(user, Action.PAY, community)
        if _submit(
            request,
            form,
            lambda d: ledger.correct_payment(payment, user, d["amount"], d["reason"]),
            "Correction enregistrée : une écriture de régularisation sera versée ou recouvrée "
            "par la prochaine campagne.",
        ):
            return redirect("communities:payment", pk=pk, payment_pk=payment_pk)
    explanation = payment.explanation or {}
    return render(
        request,
        "contracts/payment.html",
        {
            "community": community,
            "payment": payment,
            "adjustments": payment.adjustments.all(),
            "final": ledger.entry_amount(payment),
            "year": _readable_year(explanation.get("year")),
            "scheduled": explanation.get("payment"),
            "settlement": explanation.get("settlement"),
            "termination": explanation.get("termination"),
            "form": form
            if can(user, Action.PAY, community) and payment.kind != PaymentKind.ADJUSTMENT
            else None,
            "title": f"{payment.label} — {community.name}",
        },
    )


def _runs_in_scope(user: Any) -> Any:
    """Runs a user may read: its own (an administrator: all). A run's header (date, total,
    skipped contracts) covers its author's whole scope, so another CPAM's run stays out of sight."""
    runs = PaymentRun.objects.select_related("created_by")
    return runs if may_read_all_runs(user) else runs.filter(created_by=user)


def payment_runs(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Action.PAY)
    form = PaymentRunForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = ledger.run_payments(user, form.cleaned_data["run_on"])
        except services.RuleError as error:
            form.add_error(None, str(error))
        else:
            if report.paid:
                messages.success(request, ledger.describe(report))
            else:
                messages.info(
                    request, "Rien à verser : tout ce qui était dû à cette date a déjà été versé."
                )
            if report.skipped:
                messages.warning(
                    request,
                    f"{len(report.skipped)} contrat(s) écarté(s) : "
                    + " ; ".join(
                        f"{item['community']} — {item['reason']}" for item in report.skipped
                    ),
                )
            return redirect("contracts:payment_runs")
    page = Paginator(_runs_in_scope(user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/payment_runs.html",
        {"form": form, "page_obj": page, "title": "Campagnes de paiement"},
    )


def payment_run_detail(request: HttpRequest, run_pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, Action.PAY)
    run = get_object_or_404(_runs_in_scope(user), pk=run_pk)
    rows = Payment.objects.filter(run=run, community__in=payable_communities(user)).select_related(
        "community"
    )
    page = Paginator(rows.order_by("community__name", "pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/payment_run.html",
        {
            "run": run,
            "page_obj": page,
            "totals": ledger.totals(rows),
            "skipped": run.skipped,
            "title": str(run),
        },
    )


def deliverable(request: HttpRequest, pk: int, year: int, deliverable_pk: int) -> HttpResponse:
    """Tick a deliverable and upload its proof (the community)."""
    user = current_user(request)
    community = community_for(user, pk)
    current = contract_for_year(community, year, request)
    item = get_object_or_404(
        Deliverable, pk=deliverable_pk, indicator__contract=current, indicator__contract_year=year
    )
    require(user, Action.FILE, community)
    form = DeliverableForm(
        request.POST or None, request.FILES or None, initial={"ticked": item.ticked}
    )
    if request.method == "POST" and _submit(
        request,
        form,
        lambda d: services.update_deliverable(item, user, d["ticked"], d["proof"]),
        "Livrable mis à jour.",
    ):
        return _to(
            "communities:indicator", current, pk=pk, year=year, indicator_pk=item.indicator_id
        )
    return render(
        request,
        "contracts/deliverable.html",
        {
            "community": community,
            "year": year,
            "deliverable": item,
            "form": form,
            "title": item.label,
            "contract_query": contract_query(current),
        },
    )


def proof(request: HttpRequest, pk: int, year: int, deliverable_pk: int) -> FileResponse:
    """Download a proof: only for the community, its CPAM and its ARS; anyone else gets a 404."""
    user = current_user(request)
    community = community_for(user, pk)
    contract_for_year(community, year, request)
    if not may_read_proofs(user, community):
        raise Http404("Justificatif introuvable")
    item = get_object_or_404(
        Deliverable,
        pk=deliverable_pk,
        indicator__contract__community=community,
        indicator__contract_year=year,
    )
    if not item.proof:
        raise Http404("Justificatif introuvable")
    filename = (item.proof.name or "justificatif").rsplit("/", 1)[-1]
    return FileResponse(item.proof.open("rb"), as_attachment=True, filename=filename)
