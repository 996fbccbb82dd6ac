"""Services: every change to the lifecycle goes through here (views and commands call them).

Each service checks the business rules and raises :class:`RuleError` with a French message;
nothing is written then. Money always comes from :mod:`cpts.aci` through ``engine.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet, Sum
from django.utils import timezone

from cpts.accounts.access import Action, can, require, visible_communities
from cpts.accounts.models import User
from cpts.aci import (
    InvalidInput,
    Mission,
    accelerator,
    contract_year,
    core_missions,
    default_tree,
    payment_schedule,
)
from cpts.aci.money import euros_fr
from cpts.communities.models import Community

from . import engine
from .models import (
    AcceleratorGrant,
    Contract,
    Decision,
    Deliverable,
    Evaluation,
    HealthProject,
    Indicator,
    LetterOfIntent,
    MissionCommitment,
    Payment,
    PaymentKind,
    PaymentRun,
)

M = TypeVar("M", bound=Model)


class RuleError(Exception):
    """A business rule forbids the change; the message is for the user, in French."""


def save_audited(instance: M, user: User | None) -> M:
    """Save, recording ``user`` as the author in the audit trail (even outside a request)."""
    instance._history_user = user  # type: ignore[attr-defined]
    instance.save()
    return instance


def file_letter_of_intent(
    community: Community, user: User, filed_on: dt.date, summary: str
) -> LetterOfIntent:
    require(user, Action.FILE, community)
    if community.letterofintents.filter(status__in=[Decision.FILED, Decision.VALIDATED]).exists():
        raise RuleError("Une lettre d'intention est déjà déposée ou validée pour cette CPTS.")
    return save_audited(
        LetterOfIntent(community=community, filed_on=filed_on, summary=summary), user
    )


def _decide(
    document: LetterOfIntent | HealthProject, user: User, validate: bool, reason: str, on: dt.date
) -> None:
    require(user, Action.DECIDE, document.community)
    if document.status != Decision.FILED:
        raise RuleError("Ce document a déjà fait l'objet d'une décision.")
    if not validate and not reason.strip():
        raise RuleError("Un refus doit être motivé.")
    if on < document.filed_on:
        raise RuleError("La décision ne peut pas précéder le dépôt.")
    document.status = Decision.VALIDATED if validate else Decision.REFUSED
    document.refusal_reason = "" if validate else reason.strip()
    document.decided_on = on
    document.decided_by = user
    save_audited(document, user)


def decide_letter_of_intent(
    letter: LetterOfIntent, user: User, validate: bool, reason: str, on: dt.date
) -> None:
    _decide(letter, user, validate, reason, on)


def grant_accelerator(
    community: Community,
    user: User,
    on: dt.date,
    *,
    association: bool = True,
    core_mission_started: bool = True,
) -> AcceleratorGrant:
    """Grant the accélérateur: eligibility (every condition of annex 6 of avenant 2) and amount
    from the engine; the payment becomes due."""
    require(user, Action.GRANT, community)
    letter = community.letterofintents.filter(status=Decision.VALIDATED).first()
    result = accelerator(
        community.population,
        on,
        association=association,
        letter_of_intent_validated=letter is not None,
        contract_signed=hasattr(community, "contract"),
        core_mission_started=core_mission_started,
    )
    if not result.eligible or result.health_project_due is None:
        raise RuleError("Accélérateur impossible : " + " ".join(result.reasons))
    if hasattr(community, "accelerator"):
        raise RuleError("L'accélérateur a déjà été accordé à cette CPTS.")
    with transaction.atomic():
        grant = save_audited(
            AcceleratorGrant(
                community=community,
                granted_on=on,
                size_class=result.size_class,
                amount=result.amount,
                health_project_due=result.health_project_due,
                explanation=result.to_dict(),
                granted_by=user,
            ),
            user,
        )
        save_audited(
            Payment(
                community=community,
                kind=PaymentKind.ACCELERATOR,
                label=f"Accélérateur (taille {result.size_class})",
                amount=result.amount,
                due_on=on,
                explanation=result.to_dict(),
            ),
            user,
        )
    return grant


def file_health_project(
    community: Community, user: User, filed_on: dt.date, summary: str
) -> HealthProject:
    require(user, Action.FILE, community)
    if not community.letterofintents.filter(status=Decision.VALIDATED).exists():
        raise RuleError("Le projet de santé suit une lettre d'intention validée par l'ARS.")
    if community.healthprojects.filter(status__in=[Decision.FILED, Decision.VALIDATED]).exists():
        raise RuleError("Un projet de santé est déjà déposé ou validé pour cette CPTS.")
    return save_audited(
        HealthProject(community=community, filed_on=filed_on, summary=summary), user
    )


def decide_health_project(
    project: HealthProject, user: User, validate: bool, reason: str, on: dt.date
) -> None:
    _decide(project, user, validate, reason, on)


def sign_contract(
    community: Community,
    user: User,
    signed_on: dt.date,
    community_signatory: str,
    cpam_signatory: str,
    ars_signatory: str,
) -> Contract:
    """Record the signature of the three-party contract; the core missions are committed."""
    require(user, Action.SIGN, community)
    if not community.healthprojects.filter(status=Decision.VALIDATED).exists():
        raise RuleError("Le contrat se signe après la validation du projet de santé par l'ARS.")
    if hasattr(community, "contract"):
        raise RuleError("Cette CPTS a déjà signé son contrat.")
    first = default_tree().parameter("agreement.grid_version").dates[0]
    if signed_on < first:
        raise RuleError(f"L'ACI CPTS n'est en vigueur que depuis le {first:%d/%m/%Y}.")
    missions = core_missions(signed_on)
    with transaction.atomic():
        contract = save_audited(
            Contract(
                community=community,
                signed_on=signed_on,
                community_signatory=community_signatory,
                cpam_signatory=cpam_signatory,
                ars_signatory=ars_signatory,
            ),
            user,
        )
        for mission in missions:
            save_audited(MissionCommitment(contract=contract, mission=mission.value), user)
    return contract


def record_mission(
    commitment: MissionCommitment,
    user: User,
    started_on: dt.date | None,
    deployed_on: dt.date | None,
) -> None:
    require(user, Action.MISSIONS, commitment.contract.community)
    contract = commitment.contract
    if started_on and started_on < contract.signed_on:
        raise RuleError("Une mission ne peut pas démarrer avant la signature du contrat.")
    exists_from = default_tree().parameter(f"missions.core.{commitment.mission}").dates[0]
    if started_on and started_on < exists_from:
        raise RuleError(f"Cette mission n'existe que depuis le {exists_from:%d/%m/%Y}.")
    if deployed_on and not started_on:
        raise RuleError("Une mission est déployée après avoir démarré.")
    if deployed_on and started_on and deployed_on < started_on:
        raise RuleError("Le déploiement ne peut pas précéder le démarrage.")
    commitment.started_on = started_on
    commitment.deployed_on = deployed_on
    save_audited(commitment, user)


def add_mission(contract: Contract, user: User, mission: Mission) -> MissionCommitment:
    require(user, Action.MISSIONS, contract.community)
    if contract.missions.filter(mission=mission.value).exists():
        raise RuleError("Cette mission figure déjà au contrat.")
    return save_audited(MissionCommitment(contract=contract, mission=mission.value), user)


# --- The indicator annex and the evaluation ------------------------------------------------------


def annex_gaps(contract: Contract, number: int) -> list[str]:
    """Missions whose indicator amounts do not add up to their variable part (French messages)."""
    expected = engine.full_variable_parts(contract, number)
    sums = {
        row["mission"]: row["total"] or Decimal(0)
        for row in contract.indicators.filter(contract_year=number)
        .values("mission")
        .annotate(total=Sum("amount"))
    }
    gaps = []
    for mission, target in expected.items():
        total = sums.get(mission, Decimal(0))
        if total != target:
            gap = target - total
            word = "il manque" if gap > 0 else "il y a de trop"
            gaps.append(
                f"Mission « {Mission(mission).label} » : les indicateurs totalisent {euros_fr(total)}, "
                f"la part variable est de {euros_fr(target)} : {word} {euros_fr(abs(gap))}."
            )
    return gaps


def add_indicator(contract: Contract, number: int, user: User, data: dict[str, Any]) -> Indicator:
    """Add an indicator to the annex of a contract year, with its expected deliverables."""
    if not (
        can(user, Action.FILE, contract.community) or can(user, Action.EVALUATE, contract.community)
    ):
        require(user, Action.EVALUATE, contract.community)
    if _evaluation_closed(contract, number):
        raise RuleError("L'évaluation de cette année est close.")
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    if not 1 <= number <= duration:
        raise RuleError(f"L'année contractuelle va de 1 à {duration}.")
    indicator = save_audited(
        Indicator(
            contract=contract,
            contract_year=number,
            mission=data["mission"],
            action=data["action"],
            referent=data.get("referent"),
            label=data["label"],
            kind=data["kind"],
            amount=data["amount"],
            objective=data.get("objective"),
            lower_is_better=bool(data.get("lower_is_better")),
            tiers=data.get("tiers") or [],
        ),
        user,
    )
    for label in str(data.get("deliverables") or "").splitlines():
        if label.strip():
            Deliverable.objects.create(indicator=indicator, label=label.strip()[:300])
    return indicator


def record_indicator(
    indicator: Indicator, user: User, measured_value: Decimal | None, done: bool, remarks: str
) -> None:
    require(user, Action.FILE, indicator.contract.community)
    if _evaluation_closed(indicator.contract, indicator.contract_year):
        raise RuleError("L'évaluation de cette année est close.")
    indicator.measured_value = measured_value
    indicator.done = done
    indicator.remarks = remarks
    save_audited(indicator, user)


def update_deliverable(
    deliverable: Deliverable, user: User, ticked: bool, proof: Any = None
) -> None:
    """The community ticks a deliverable and may upload its proof (type and size checked by the form)."""
    require(user, Action.FILE, deliverable.indicator.contract.community)
    if _evaluation_closed(deliverable.indicator.contract, deliverable.indicator.contract_year):
        raise RuleError("L'évaluation de cette année est close.")
    deliverable.ticked = ticked
    if proof is not None:
        deliverable.proof = proof
        deliverable.uploaded_on = timezone.now()
    deliverable.save()


def may_read_proofs(user: User, community: Community) -> bool:
    """Proofs are readable by the community itself, its CPAM and its ARS (and administrators)."""
    from cpts.accounts.models import Role

    if user.role not in (Role.COORDINATOR, Role.CPAM, Role.ARS, Role.ADMIN):
        return False
    return visible_communities(user).filter(pk=community.pk).exists()


def decide_indicator(
    indicator: Indicator, user: User, accept: bool, reason: str, on: dt.date
) -> None:
    require(user, Action.EVALUATE, indicator.contract.community)
    if _evaluation_closed(indicator.contract, indicator.contract_year):
        raise RuleError("L'évaluation de cette année est close.")
    if not accept and not reason.strip():
        raise RuleError("Un refus doit être motivé.")
    indicator.verdict = Indicator.Verdict.ACCEPTED if accept else Indicator.Verdict.REFUSED
    indicator.verdict_reason = reason.strip()
    indicator.decided_by = user
    indicator.decided_on = on
    save_audited(indicator, user)


def carry_over(indicator: Indicator, user: User) -> Indicator:
    """Carry an indicator missed in year n into year n + 1."""
    require(user, Action.EVALUATE, indicator.contract.community)
    if indicator.verdict != Indicator.Verdict.REFUSED:
        raise RuleError("Seul un indicateur non atteint (refusé) est reporté sur l'année suivante.")
    if indicator.carried_into.exists():
        raise RuleError("Cet indicateur a déjà été reporté.")
    copy = Indicator.objects.get(pk=indicator.pk)
    copy.pk = None
    copy.contract_year = indicator.contract_year + 1
    copy.measured_value = None
    copy.done = False
    copy.verdict = Indicator.Verdict.PENDING
    copy.verdict_reason = ""
    copy.decided_by = None
    copy.decided_on = None
    copy.carried_from = indicator
    return save_audited(copy, user)


def _evaluation_closed(contract: Contract, number: int) -> bool:
    return contract.evaluations.filter(
        contract_year=number, status=Evaluation.Status.CLOSED
    ).exists()


def close_evaluation(contract: Contract, number: int, user: User, on: dt.date) -> Evaluation:
    """Close the evaluation: every indicator decided, the variable parts computed by the engine."""
    require(user, Action.EVALUATE, contract.community)
    pending = contract.indicators.filter(
        contract_year=number, verdict=Indicator.Verdict.PENDING
    ).count()
    if pending:
        raise RuleError(f"{pending} indicateur(s) restent à accepter ou refuser.")
    year = contract_year(contract.signed_on, number)
    if on < year.start:
        raise RuleError("L'évaluation d'une année ne peut pas être close avant son début.")
    result = engine.compute(contract, number, final=True)
    evaluation = Evaluation.objects.filter(
        contract=contract, contract_year=number
    ).first() or Evaluation(contract=contract, contract_year=number)
    if evaluation.status == Evaluation.Status.CLOSED:
        raise RuleError("Cette évaluation est déjà close.")
    evaluation.status = Evaluation.Status.CLOSED
    evaluation.closed_on = on
    evaluation.closed_by = user
    evaluation.result = result.to_dict()
    save_audited(evaluation, user)
    return evaluation


# --- Payments -------------------------------------------------------------------------------------


class PaymentRunError(RuleError):
    pass


def run_payments(user: User, run_on: dt.date, communities: QuerySet[Community]) -> PaymentRun:
    """Pay everything due on ``run_on`` for the contracts of ``communities``: all or nothing.

    Idempotent: what was already paid is never paid again (database constraints guarantee it).
    The balance of a year is paid once its evaluation is closed: the year's total computed by the
    engine from the accepted indicators, less everything already paid for that year.
    """
    require(user, Action.PAY)
    with transaction.atomic():
        run = PaymentRun.objects.create(run_on=run_on, created_by=user)
        paid: list[Payment] = []
        contracts = (
            Contract.objects.filter(
                community__in=communities, signed_on__lte=run_on, terminated_on__isnull=True
            )
            .select_related("community__departement")
            .prefetch_related("missions")
        )
        for contract in contracts:
            paid += _pay_contract(contract, run, run_on)
        for payment in Payment.objects.select_for_update().filter(
            community__in=communities, status=Payment.Status.DUE
        ):
            payment.status = Payment.Status.PAID
            payment.paid_on = run_on
            payment.run = run
            save_audited(payment, run.created_by)
            paid.append(payment)
        run.payments_count = len(paid)
        run.total = sum((payment.final_amount for payment in paid), Decimal(0))
        run.save()
    return run


def _pay_contract(contract: Contract, run: PaymentRun, run_on: dt.date) -> list[Payment]:
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    created = []
    for number in range(1, duration + 1):
        year = contract_year(contract.signed_on, number)
        if year.start > run_on:
            break
        closed = _evaluation_closed(contract, number)
        try:
            plan = payment_schedule(engine.engine_input(contract, number, final=closed))
        except InvalidInput as error:
            raise PaymentRunError(
                f"{contract.community} — année contractuelle {number} : {error.message} "
                "Aucun versement n'a été enregistré."
            ) from error
        existing = list(contract.payments.filter(contract_year=number))
        for scheduled in plan.payments:
            if scheduled.due > run_on:
                continue
            if scheduled.kind == "balance":
                if not closed:
                    continue
                already = sum(
                    (
                        payment.final_amount
                        for payment in existing
                        if payment.kind != PaymentKind.BALANCE
                    ),
                    Decimal(0),
                )
                amount = plan.result.total - already
                if amount < 0:
                    raise PaymentRunError(
                        f"{contract.community} — année {number} : les versements ({euros_fr(already)}) dépassent "
                        f"le total dû ({euros_fr(plan.result.total)}). Aucun versement n'a été enregistré."
                    )
            else:
                amount = scheduled.amount
            if any(
                payment.kind == scheduled.kind
                and (scheduled.kind != PaymentKind.MISSION_START or payment.due_on == scheduled.due)
                for payment in existing
            ):
                continue
            payment = save_audited(
                Payment(
                    community=contract.community,
                    contract=contract,
                    contract_year=number,
                    kind=scheduled.kind,
                    label=scheduled.label,
                    amount=amount,
                    due_on=scheduled.due,
                    paid_on=run_on,
                    status=Payment.Status.PAID,
                    run=run,
                    explanation={"payment": scheduled.to_dict(), "year": plan.result.to_dict()},
                ),
                run.created_by,
            )
            existing.append(payment)
            created.append(payment)
    return created


def correct_payment(payment: Payment, user: User, amount: Decimal, reason: str) -> None:
    """A manual correction of an amount: needs a reason, and is audited."""
    require(user, Action.PAY, payment.community)
    if not reason.strip():
        raise RuleError("Une correction manuelle doit être motivée.")
    if amount < 0:
        raise RuleError("Un montant ne peut pas être négatif.")
    payment.corrected_amount = amount
    payment.correction_reason = reason.strip()
    save_audited(payment, user)
