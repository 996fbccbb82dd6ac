"""Services: every change to the lifecycle goes through here (views and commands call them).

Each service checks the business rules and raises :class:`RuleError` with a French message;
nothing is written then. Money always comes from :mod:`cpts.aci` through ``engine.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.aci import (
    AciError,
    InvalidInput,
    Mission,
    accelerator,
    add_months,
    compute_contract_year,
    contract_year,
    core_missions,
    default_tree,
    size_class,
)
from cpts.aci.calendar import year_of
from cpts.aci.money import euros, euros_fr
from cpts.aci.settlement import termination_recovery
from cpts.claims.indicators import definitions
from cpts.communities.models import Community
from cpts.communities.perimeters import current_perimeter
from cpts.core.audit import save_audited as save_audited  # re-exported for the layers above
from cpts.core.dates import check_day as check_day
from cpts.core.dates import today
from cpts.core.errors import RuleError as RuleError
from cpts.territory.communes import population_of
from cpts.unscheduled_care.selectors import INDICATOR_CODE as SAS_INDICATOR_CODE
from cpts.unscheduled_care.selectors import INDICATOR_LABEL as SAS_INDICATOR_LABEL

from . import engine, workflow
from .locks import Busy, lock_money
from .models import (
    AcceleratorGrant,
    Amendment,
    Contract,
    ContractYear,
    Decision,
    Deliverable,
    Evaluation,
    HealthProject,
    Indicator,
    LetterOfIntent,
    MissionCommitment,
    Payment,
    PaymentKind,
)


def file_letter_of_intent(
    community: Community, user: User, filed_on: dt.date, summary: str
) -> LetterOfIntent:
    require(user, Action.FILE, community)
    check_day(filed_on, "Date de dépôt")
    if community.letterofintents.filter(status__in=[Decision.FILED, Decision.VALIDATED]).exists():
        raise RuleError("Une lettre d'intention est déjà déposée ou validée pour cette CPTS.")
    before = workflow.check(community, "file_letter")
    with _once("Une lettre d'intention vient d'être déposée pour cette CPTS."):
        letter = save_audited(
            LetterOfIntent(community=community, filed_on=filed_on, summary=summary), user
        )
        workflow.record(community, "file_letter", before, user)
    return letter


@contextmanager
def _once(message: str) -> Iterator[None]:
    """A write the database refuses as a duplicate (two requests at once) is a French message."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise RuleError(message) from error


def _decide(
    document: LetterOfIntent | HealthProject, user: User, validate: bool, reason: str, on: dt.date
) -> None:
    require(user, Action.DECIDE, document.community)
    check_day(on, "Date de la décision")
    if document.status != Decision.FILED:
        raise RuleError("Ce document a déjà fait l'objet d'une décision.")
    if not validate and not reason.strip():
        raise RuleError("Un refus doit être motivé.")
    if on < document.filed_on:
        raise RuleError("La décision ne peut pas précéder le dépôt.")
    kind = "letter" if isinstance(document, LetterOfIntent) else "project"
    action = f"{'validate' if validate else 'refuse'}_{kind}"
    before = workflow.check(document.community, action)
    document.status = Decision.VALIDATED if validate else Decision.REFUSED
    document.refusal_reason = "" if validate else reason.strip()
    document.decided_on = on
    document.decided_by = user
    with transaction.atomic():
        save_audited(document, user)
        workflow.record(document.community, action, before, user, document.refusal_reason)


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
    check_day(on, "Date d'octroi", default_tree().parameter("accelerator.amount.size_1").dates[0])
    letter = community.letterofintents.filter(status=Decision.VALIDATED).order_by("-pk").first()
    if letter is not None and letter.decided_on and on < letter.decided_on:
        raise RuleError(
            f"L'accélérateur s'accorde après la validation de la lettre d'intention ({letter.decided_on:%d/%m/%Y})."
        )
    try:
        result = accelerator(
            community.population,
            on,
            association=association,
            letter_of_intent_validated=letter is not None,
            contract_signed=community.contracts.exists(),
            core_mission_started=core_mission_started,
        )
    except AciError as error:
        raise RuleError(f"Accélérateur impossible : {error}") from error
    if not result.eligible or result.health_project_due is None:
        raise RuleError("Accélérateur impossible : " + " ".join(result.reasons))
    if hasattr(community, "accelerator"):
        raise RuleError("L'accélérateur a déjà été accordé à cette CPTS.")
    before = workflow.check(community, "grant_accelerator")
    with _once("L'accélérateur vient d'être accordé à cette CPTS."):
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
        workflow.record(community, "grant_accelerator", before, user)
    return grant


def file_health_project(
    community: Community, user: User, filed_on: dt.date, summary: str
) -> HealthProject:
    require(user, Action.FILE, community)
    check_day(filed_on, "Date de dépôt")
    if not community.letterofintents.filter(status=Decision.VALIDATED).exists():
        raise RuleError("Le projet de santé suit une lettre d'intention validée par l'ARS.")
    if community.healthprojects.filter(status__in=[Decision.FILED, Decision.VALIDATED]).exists():
        raise RuleError("Un projet de santé est déjà déposé ou validé pour cette CPTS.")
    before = workflow.check(community, "file_project")
    with _once("Un projet de santé vient d'être déposé pour cette CPTS."):
        project = save_audited(
            HealthProject(community=community, filed_on=filed_on, summary=summary), user
        )
        workflow.record(community, "file_project", before, user)
    return project


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
    """Record the signature of the three-party contract (a first one, or a renewal once the
    previous one has ended): its terms are recorded as they stand that day (population of the
    perimeter in force, size class, members), the core missions are committed, and contract
    year 1 is recorded."""
    require(user, Action.SIGN, community)
    project = community.healthprojects.filter(status=Decision.VALIDATED).order_by("-pk").first()
    if project is None:
        raise RuleError("Le contrat se signe après la validation du projet de santé par l'ARS.")
    if project.decided_on and signed_on < project.decided_on and not community.contracts.exists():
        raise RuleError(
            f"Le contrat se signe après la validation du projet de santé ({project.decided_on:%d/%m/%Y})."
        )
    tree = default_tree()
    first = tree.parameter("agreement.grid_version").dates[0]
    if signed_on < first:
        raise RuleError(f"L'ACI CPTS n'est en vigueur que depuis le {first:%d/%m/%Y}.")
    if signed_on > today():
        raise RuleError("La date de signature ne peut pas être dans le futur.")
    previous = community.contracts.order_by("-signed_on").first()
    if previous is not None and signed_on < previous.period_end:
        raise RuleError(
            f"Le contrat en cours court jusqu'au {previous.period_end - dt.timedelta(days=1):%d/%m/%Y} : "
            f"un nouveau contrat (renouvellement) commence le {previous.period_end:%d/%m/%Y} au plus tôt."
        )
    duration = tree.at("agreement.contract_duration_years", signed_on).integer()
    perimeter = current_perimeter(community, signed_on)
    population = (
        population_of(perimeter.items.values_list("commune_id", flat=True), signed_on)
        if perimeter is not None
        else community.population
    )
    try:
        size = size_class(population, signed_on).value
    except InvalidInput as error:
        raise RuleError(error.message) from error
    missions = core_missions(signed_on)
    before = workflow.check(community, "sign")
    with _once("Un contrat vient d'être signé pour cette CPTS sur cette période."):
        contract = save_audited(
            Contract(
                community=community,
                signed_on=signed_on,
                ends_on=add_months(signed_on, 12 * duration),
                renews=previous,
                community_signatory=community_signatory,
                cpam_signatory=cpam_signatory,
                ars_signatory=ars_signatory,
                population=population,
                size_class=size,
                members=engine.members_on(community.pk, signed_on),
                perimeter=perimeter,
            ),
            user,
        )
        for mission in missions:
            save_audited(MissionCommitment(contract=contract, mission=mission.value), user)
        record_year(contract, 1, user)
        workflow.record(community, "sign", before, user)
    return contract


def check_contract_year(contract: Contract, number: int) -> None:
    """Refuse a number that is not one of ``contract``'s years: outside 1 to the agreement's
    duration, or a year that would start on or after the contract's end (its termination, if
    terminated: the years after it never exist, nothing is written for them)."""
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    if not 1 <= number <= duration:
        raise RuleError(f"L'année contractuelle va de 1 à {duration}.")
    start = contract_year(contract.signed_on, number).start
    if start >= contract.period_end:
        raise RuleError(
            f"Le contrat prend fin le {contract.period_end:%d/%m/%Y} : l'année contractuelle "
            f"{number}, qui commencerait le {start:%d/%m/%Y}, n'en fait pas partie."
        )


def _open_year(contract: Contract, number: int) -> Contract:
    """Inside a transaction: lock ``contract``'s row until its end (closing the evaluation, the
    fills of the annex and its import take it too, so a write never crosses a closing), then
    refuse a year that is not the contract's or whose evaluation is closed. Returns the contract
    as read under the lock."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    check_contract_year(locked, number)
    if _evaluation_closed(locked, number):
        raise RuleError("L'évaluation de cette année est close.")
    return locked


def record_year(contract: Contract, number: int, user: User | None) -> ContractYear:
    """Record the facts of contract year ``number`` (a year of the contract, whose first day must
    have come)."""
    check_contract_year(contract, number)
    year = contract_year(contract.signed_on, number)
    if year.start > today():
        raise RuleError(f"L'année contractuelle {number} n'a pas commencé.")
    return engine.record_year(contract, number, user)


def _in_force(contract: Contract) -> None:
    """Missions and the annex change only on a contract in force (not ended, not terminated)."""
    if today() >= contract.period_end:
        raise RuleError(
            f"Ce contrat a pris fin le {contract.period_end:%d/%m/%Y} : il ne se modifie plus."
        )


def current_contract(community: Community, day: dt.date | None = None) -> Contract | None:
    """The contract in force on ``day`` (today by default), if any."""
    day = day or today()
    return (
        community.contracts.filter(signed_on__lte=day)
        .exclude(terminated_on__lte=day)
        .exclude(ends_on__lte=day)
        .first()
    )


def terminate_contract(contract: Contract, user: User, on: dt.date, reason: str) -> Payment | None:
    """Terminate a contract (missions not started or deployed in time): the sums advanced for the
    contract year of the termination are paid back pro rata temporis, and anything paid for the
    years after it (a termination recorded late) in full, as one recovery entry of the ledger.

    Payment runs and terminations take one lock: a run never pays a contract being terminated."""
    require(user, Action.SIGN, contract.community)
    if not reason.strip():
        raise RuleError("Une résiliation doit être motivée.")
    if on > today():
        raise RuleError("La date de résiliation ne peut pas être dans le futur.")
    try:
        with transaction.atomic():
            lock_money()
            contract = Contract.objects.select_for_update().get(pk=contract.pk)
            if contract.terminated_on is not None:
                raise RuleError("Ce contrat est déjà résilié.")
            if current_contract(contract.community) != contract:
                raise RuleError(
                    "Seul le contrat en cours se résilie ; celui-ci est échu ou à venir."
                )
            if not contract.signed_on <= on < contract.ends_on:
                raise RuleError(
                    f"La résiliation se situe pendant le contrat ({contract.signed_on:%d/%m/%Y} – "
                    f"{contract.ends_on - dt.timedelta(days=1):%d/%m/%Y})."
                )
            number = year_of(contract.signed_on, on)
            entries = contract.payments.exclude(
                kind__in=[PaymentKind.BALANCE, PaymentKind.RECOVERY]
            )
            advanced = entries.filter(contract_year=number).aggregate(total=Sum("amount"))[
                "total"
            ] or Decimal(0)
            later = entries.filter(contract_year__gt=number).aggregate(total=Sum("amount"))[
                "total"
            ] or Decimal(0)
            recovery = termination_recovery(
                max(advanced, Decimal(0)),
                contract_year(contract.signed_on, number),
                on,
                later=max(later, Decimal(0)),
            )
            before = workflow.check(contract.community, "terminate")
            contract.terminated_on = on
            contract.termination_reason = reason.strip()
            save_audited(contract, user)
            workflow.record(contract.community, "terminate", before, user, reason.strip())
            if recovery.amount == 0:
                return None
            return save_audited(
                Payment(
                    community=contract.community,
                    contract=contract,
                    contract_year=number,
                    kind=PaymentKind.TERMINATION,
                    label=f"Reversement après résiliation (année {number})",
                    amount=recovery.amount,
                    reason=reason.strip(),
                    created_by=user,
                    due_on=on,
                    explanation={"termination": recovery.to_dict()},
                ),
                user,
            )
    except Busy as error:
        raise RuleError(str(error)) from error
    except IntegrityError as error:  # terminated at the same moment by someone else
        raise RuleError("Ce contrat vient d'être résilié par ailleurs.") from error


# --- Amendments -----------------------------------------------------------------------------------


def amendment_impact(
    contract: Contract, effective_from: dt.date, population: int, members: int
) -> list[dict[str, Any]]:
    """For each contract year from ``effective_from``: its total under the terms in force, and
    under the new terms (computed by the engine; missions and indicators as recorded today)."""
    rows = []
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    for number in range(1, duration + 1):
        year = contract_year(contract.signed_on, number)
        if year.start < effective_from or year.start >= contract.period_end:
            continue
        inputs = engine.engine_input(contract, number)
        before = compute_contract_year(inputs).total
        after = compute_contract_year(replace(inputs, population=population, members=members)).total
        rows.append(
            {
                "number": number,
                "start": year.start.isoformat(),
                "before": euros(before),
                "after": euros(after),
                "delta": euros(after - before),
            }
        )
    return rows


def next_effective_date(contract: Contract, on: dt.date) -> dt.date | None:
    """When an amendment signed on ``on`` takes effect (parameter ``agreement.amendment_effect``):
    the start of the first contract year that begins on or after ``on`` and is not yet recorded."""
    rule = default_tree().at("agreement.amendment_effect", on).text()
    if rule != "next_contract_year":  # pragma: no cover - the only rule the texts allow today
        raise RuleError(f"Règle d'effet des avenants inconnue : {rule}.")
    recorded = set(contract.years.values_list("number", flat=True))
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    for number in range(1, duration + 1):
        year = contract_year(contract.signed_on, number)
        if year.start >= on and number not in recorded and year.start < contract.period_end:
            return year.start
    return None


def propose_amendment(
    contract: Contract,
    cause: str,
    population: int,
    members: int,
    perimeter_id: int | None,
    on: dt.date,
    user: User | None = None,
) -> Amendment | None:
    """Propose an amendment when new facts change what the contract pays or its size class; the
    proposals still open for the contract are superseded. Nothing when nothing would change."""
    terms = engine.terms_on(contract, max(on, contract.signed_on))
    new_size = size_class(population, on).value
    # if signed right away: an amendment is never retroactive
    effective = next_effective_date(contract, max(on, today()))
    impact = (
        amendment_impact(contract, effective, population, members) if effective is not None else []
    )
    changes_money = any(Decimal(row["delta"]) != 0 for row in impact)
    if new_size == terms.size_class and not changes_money:
        return None
    with transaction.atomic():
        for stale in contract.amendments.filter(status=Amendment.Status.PROPOSED):
            stale.status = Amendment.Status.DISMISSED  # superseded by the new proposal
            stale.decided_on = today()
            stale.decided_by = user
            save_audited(stale, user)
        return save_audited(
            Amendment(
                contract=contract,
                proposed_on=on,
                cause=cause,
                population=population,
                size_class=new_size,
                members=members,
                perimeter_id=perimeter_id,
                effective_from=effective,
                impact=impact,
            ),
            user,
        )


def amendment_summary(amendment: Amendment) -> str:
    """One French sentence: what changes, from when, and the money impact per year. For a
    proposal, as if it were signed today (its date of effect and impact are computed afresh)."""
    contract = amendment.contract
    terms = engine.terms_on(contract, max(amendment.proposed_on, contract.signed_on))
    effective, impact = amendment.effective_from, amendment.impact
    if amendment.status == Amendment.Status.PROPOSED:
        effective = next_effective_date(contract, max(amendment.proposed_on, today()))
        impact = (
            amendment_impact(contract, effective, amendment.population, amendment.members)
            if effective
            else []
        )
    text = (
        f"Population {terms.population:,} → {amendment.population:,} habitants, "
        f"taille {terms.size_class} → {amendment.size_class}, membres {terms.members} → {amendment.members}"
    ).replace(",", "\u202f")
    if effective:
        text += f", à compter du {effective:%d/%m/%Y}"
    elif amendment.status == Amendment.Status.PROPOSED:
        text += " ; le contrat s'achève avant sa prochaine date anniversaire"
    impacts = [
        f"année {row['number']} : {euros_fr(Decimal(row['before']))} → {euros_fr(Decimal(row['after']))}"
        for row in impact
    ]
    return text + (" (" + " ; ".join(impacts) + ")." if impacts else ".")


def apply_amendment(amendment: Amendment, user: User, on: dt.date) -> Amendment:
    """The CPAM records the amendment signed on ``on``: its terms apply from the next anniversary
    that has not come yet (never to a year already started, even when recorded late)."""
    require(user, Action.SIGN, amendment.contract.community)
    if on < amendment.proposed_on or on > today():
        raise RuleError(
            "La date de signature de l'avenant doit suivre sa proposition, sans être future."
        )
    with transaction.atomic():
        amendment = _locked_proposal(amendment)
        contract = amendment.contract
        effective = next_effective_date(contract, max(on, today()))
        if effective is None:
            raise RuleError(
                "Le contrat s'achève avant sa prochaine date anniversaire : les nouvelles données "
                "seront reprises au renouvellement."
            )
        amendment.impact = amendment_impact(
            contract, effective, amendment.population, amendment.members
        )
        amendment.effective_from = effective
        amendment.status = Amendment.Status.APPLIED
        amendment.decided_on = on
        amendment.decided_by = user
        save_audited(amendment, user)
    return amendment


def _locked_proposal(amendment: Amendment) -> Amendment:
    """The amendment, locked until the end of the transaction, if it still awaits a decision."""
    locked = Amendment.objects.select_for_update().select_related("contract").get(pk=amendment.pk)
    if locked.status != Amendment.Status.PROPOSED:
        raise RuleError("Cet avenant a déjà fait l'objet d'une décision.")
    return locked


def dismiss_amendment(amendment: Amendment, user: User, on: dt.date) -> None:
    require(user, Action.SIGN, amendment.contract.community)
    if on < amendment.proposed_on or on > today():
        raise RuleError("La date de la décision doit suivre la proposition, sans être future.")
    with transaction.atomic():
        amendment = _locked_proposal(amendment)
        amendment.status = Amendment.Status.DISMISSED
        amendment.decided_on = on
        amendment.decided_by = user
        save_audited(amendment, user)


def open_contracts(community: Community, day: dt.date) -> QuerySet[Contract]:
    """Contracts that have not ended nor been terminated on ``day`` nor today (an amendment is
    never retroactive: a contract already over needs none)."""
    day = max(day, today())
    return community.contracts.filter(ends_on__gt=day).exclude(terminated_on__lte=day)


def propose_amendments_for(
    community: Community,
    cause: str,
    day: dt.date,
    population: int | None = None,
    perimeter_id: int | None = None,
    user: User | None = None,
) -> list[str]:
    """New facts about ``community`` (a perimeter, members): an amendment proposal for each open
    contract whose payments they would change; French sentences for reports."""
    sentences = []
    for contract in open_contracts(community, day):
        terms = engine.terms_on(contract, max(day, contract.signed_on))
        amendment = propose_amendment(
            contract,
            cause,
            population if population is not None else terms.population,
            engine.members_on(community.pk, day),
            perimeter_id if perimeter_id is not None else terms.perimeter_id,
            day,
            user,
        )
        if amendment is not None:
            sentences.append(amendment_summary(amendment))
    return sentences


def record_mission(
    commitment: MissionCommitment,
    user: User,
    started_on: dt.date | None,
    deployed_on: dt.date | None,
) -> None:
    require(user, Action.MISSIONS, commitment.contract.community)
    contract = commitment.contract
    _in_force(contract)
    for day, what in ((started_on, "Date de démarrage"), (deployed_on, "Date de déploiement")):
        if day is not None:
            check_day(day, what)
    if started_on and started_on < contract.signed_on:
        raise RuleError("Une mission ne peut pas démarrer avant la signature du contrat.")
    exists_from = default_tree().parameter(f"missions.core.{commitment.mission}").dates[0]
    if started_on and started_on < exists_from:
        raise RuleError(f"Cette mission n'existe que depuis le {exists_from:%d/%m/%Y}.")
    if deployed_on and not started_on:
        raise RuleError("Une mission est déployée après avoir démarré.")
    if deployed_on and started_on and deployed_on < started_on:
        raise RuleError("Le déploiement ne peut pas précéder le démarrage.")
    previous = commitment.started_on
    if (
        previous is not None
        and previous != started_on
        and contract.payments.filter(kind=PaymentKind.MISSION_START, due_on=previous).exists()
    ):
        raise RuleError(
            f"Le démarrage du {previous:%d/%m/%Y} a déjà donné lieu à une avance : il ne se "
            "modifie plus ; une erreur se corrige par une écriture de régularisation."
        )
    before = workflow.stage_of(contract.community)
    commitment.started_on = started_on
    commitment.deployed_on = deployed_on
    with transaction.atomic():
        save_audited(commitment, user)
        if workflow.stage_of(contract.community) != before:  # every mission deployed (or no longer)
            workflow.record(contract.community, "record_mission", before, user)


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
    require(user, Action.ANNEX, contract.community)
    _in_force(contract)
    check_contract_year(contract, number)
    if _evaluation_closed(contract, number):
        raise RuleError("L'évaluation de cette année est close.")
    code, measure = check_binding(
        data.get("computed_code") or "", data.get("computed_measure") or "", data["kind"]
    )
    with transaction.atomic():
        _open_year(contract, number)
        return _save_indicator(contract, number, user, data, code, measure)


def _save_indicator(
    contract: Contract, number: int, user: User, data: dict[str, Any], code: str, measure: str
) -> Indicator:
    """The new indicator and its deliverables (under :func:`_open_year`)."""
    indicator = save_audited(
        Indicator(
            contract=contract,
            contract_year=number,
            computed_code=code,
            computed_measure=measure,
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


def check_binding(code: str, measure: str, kind: str) -> tuple[str, str]:
    """A binding of an annex indicator to a computed one (``code``, ``measure``), checked
    against the definitions of the claims package; ``("", "")`` for a value typed by hand."""
    if not code:
        return "", ""
    if code == SAS_INDICATOR_CODE:  # counted from the SAS requests (cpts.unscheduled_care)
        if kind == Indicator.Kind.DONE:
            raise RuleError(
                "Un indicateur « action réalisée ou non » ne se compte pas à partir des demandes."
            )
        if measure != Indicator.Measure.NUMBER:
            raise RuleError(f"« {SAS_INDICATOR_LABEL} » se mesure en nombre, pas en pourcentage.")
        return code, measure
    definition = next((item for item in definitions() if item.code == code), None)
    if definition is None:
        raise RuleError(f"Indicateur calculé inconnu : « {code} ».")
    if kind == Indicator.Kind.DONE:
        raise RuleError(
            "Un indicateur « action réalisée ou non » ne se calcule pas à partir des données."
        )
    if measure not in Indicator.Measure.values or (
        definition.kind == "count" and measure != Indicator.Measure.NUMBER
    ):
        raise RuleError(f"« {definition.label} » se mesure en nombre, pas en pourcentage.")
    return code, measure


def record_indicator(
    indicator: Indicator, user: User, measured_value: Decimal | None, done: bool, remarks: str
) -> None:
    require(user, Action.FILE, indicator.contract.community)
    with transaction.atomic():
        _open_year(indicator.contract, indicator.contract_year)
        indicator.refresh_from_db()  # as a fill that held the lock may have left it
        changed = indicator.measured_value != measured_value or indicator.done != done
        if indicator.measured_value != measured_value:
            clear_provenance(indicator)  # typed by hand now
        indicator.measured_value = measured_value
        indicator.done = done
        indicator.remarks = remarks
        if changed:
            _back_to_decision(indicator)
        save_audited(indicator, user)


def set_objective(indicator: Indicator, user: User, objective: Decimal | None) -> None:
    """Change the objective of an indicator of the annex (who writes the annex: the community or
    its CPAM). A verdict already given goes back to the CPAM: it was given against the old one."""
    require(user, Action.ANNEX, indicator.contract.community)
    _in_force(indicator.contract)
    with transaction.atomic():
        _open_year(indicator.contract, indicator.contract_year)
        indicator.refresh_from_db()
        if indicator.objective == objective:
            return
        indicator.objective = objective
        _back_to_decision(indicator)
        save_audited(indicator, user)


def clear_provenance(indicator: Indicator) -> None:
    """The measured value no longer comes from the claims."""
    indicator.computed_result = None
    indicator.computed_start = indicator.computed_end = indicator.computed_at = None
    indicator.computed_engine = ""
    indicator.computed_by = None


def _back_to_decision(indicator: Indicator) -> None:
    """A value or a proof changed after the CPAM's verdict: the indicator goes back to it."""
    if indicator.verdict == Indicator.Verdict.PENDING:
        return
    indicator.verdict = Indicator.Verdict.PENDING
    indicator.verdict_reason = ""
    indicator.decided_by = None
    indicator.decided_on = None


def update_deliverable(
    deliverable: Deliverable, user: User, ticked: bool, proof: Any = None
) -> None:
    """The community ticks a deliverable and may upload its proof (type and size checked by the form)."""
    require(user, Action.FILE, deliverable.indicator.contract.community)
    changed = deliverable.ticked != ticked or proof is not None
    with transaction.atomic():
        _open_year(deliverable.indicator.contract, deliverable.indicator.contract_year)
        deliverable.ticked = ticked
        if proof is not None:
            deliverable.proof = proof
            deliverable.uploaded_on = timezone.now()
        save_audited(deliverable, user)
        if changed:
            indicator = deliverable.indicator
            indicator.refresh_from_db()
            if indicator.verdict != Indicator.Verdict.PENDING:
                _back_to_decision(indicator)
                save_audited(indicator, user)


def decide_indicator(
    indicator: Indicator, user: User, accept: bool, reason: str, on: dt.date
) -> None:
    """The CPAM accepts or refuses an indicator. Under the contract's row lock, as the closing
    of the evaluation: a decision racing a closing either lands before it (the closing sees
    it) or finds the year closed (a French refusal), never a change to a closed year."""
    require(user, Action.EVALUATE, indicator.contract.community)
    check_day(on, "Date de la décision")
    with transaction.atomic():
        _open_year(indicator.contract, indicator.contract_year)
        if not accept and not reason.strip():
            raise RuleError("Un refus doit être motivé.")
        indicator.refresh_from_db()
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
    contract = indicator.contract
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    following = indicator.contract_year + 1
    if (
        following > duration
        or contract_year(contract.signed_on, following).start >= contract.period_end
    ):
        raise RuleError("Le contrat s'achève avec cette année : il n'y a pas d'année suivante.")
    if _evaluation_closed(contract, following):
        raise RuleError("L'évaluation de l'année suivante est close.")
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
    """Close the evaluation: every indicator decided, the variable parts computed by the engine.

    Under the contract's row lock, which a fill of the annex from the claims takes too
    (``measures.fill_measured_values``): a fill under way finishes first, and what it sent back
    to the CPAM's decision is seen here; a fill that comes after finds the year closed."""
    require(user, Action.EVALUATE, contract.community)
    check_contract_year(contract, number)
    year = contract_year(contract.signed_on, number)
    if on < year.start:
        raise RuleError("L'évaluation d'une année ne peut pas être close avant son début.")
    if on > today():
        raise RuleError("La date de clôture ne peut pas être dans le futur.")
    with transaction.atomic():
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        contract.refresh_from_db()
        check_contract_year(contract, number)  # a termination may have come in the meantime
        pending = contract.indicators.filter(
            contract_year=number, verdict=Indicator.Verdict.PENDING
        ).count()
        if pending:
            raise RuleError(f"{pending} indicateur(s) restent à accepter ou refuser.")
        evaluation = Evaluation.objects.filter(
            contract=contract, contract_year=number
        ).first() or Evaluation(contract=contract, contract_year=number)
        if evaluation.status == Evaluation.Status.CLOSED:
            raise RuleError("Cette évaluation est déjà close.")
        row = record_year(contract, number, user)
        contract.refresh_from_db()
        result = engine.compute(contract, number, final=True)
        evaluation.status = Evaluation.Status.CLOSED
        evaluation.closed_on = on
        evaluation.closed_by = user
        evaluation.result = result.to_dict()
        save_audited(evaluation, user)
        # The year's final result is kept: it never changes again (a trigger guards it).
        row.result = result.to_dict()
        row.total = result.total
        save_audited(row, user)
    return evaluation
