"""The lifecycle of a community as an explicit state machine: one table of transitions (from,
action, role, guard, to) that the screens, the command line and the reminders all use, the stage
of a community computed in exactly one place (:func:`stage_of`), and a log of every transition
(who, when, from, to, why).

A plain table of our own rather than django-fsm-2 or viewflow's ``fsm``: the stage is not one
field of one model but follows from several records (the last letter of intent, the last health
project, the contracts and their missions), which those libraries do not model; and the table
stays readable as data, like the parameters of the agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from cpts.accounts.access import Action, can
from cpts.communities.models import Community
from cpts.core.audit import save_audited
from cpts.core.dates import today as _today
from cpts.core.errors import RuleError


class Stage(models.TextChoices):
    """Where a community stands (one value, computed by :func:`stage_of`)."""

    PROJECT = "project", "en projet"
    LETTER_FILED = "letter_filed", "lettre d'intention déposée"
    LETTER_REFUSED = "letter_refused", "lettre d'intention refusée"
    LETTER_VALIDATED = "letter_validated", "lettre d'intention validée"
    PROJECT_FILED = "project_filed", "projet de santé déposé"
    PROJECT_REFUSED = "project_refused", "projet de santé refusé"
    PROJECT_VALIDATED = "project_validated", "projet de santé validé"
    CONTRACTED = "contracted", "contrat en cours"
    DEPLOYED = "deployed", "contrat en cours, missions déployées"
    CONTRACT_OVER = "contract_over", "contrat échu ou résilié"


#: The step of the four-step journey each stage shows (5: every mission deployed).
STEP = {
    Stage.PROJECT: 1,
    Stage.LETTER_FILED: 1,
    Stage.LETTER_REFUSED: 1,
    Stage.LETTER_VALIDATED: 2,
    Stage.PROJECT_FILED: 2,
    Stage.PROJECT_REFUSED: 2,
    Stage.PROJECT_VALIDATED: 3,
    Stage.CONTRACTED: 4,
    Stage.DEPLOYED: 5,
    Stage.CONTRACT_OVER: 3,
}

#: What the community's dashboard says to do next, by stage.
NEXT_STEP = {
    Stage.PROJECT: "Déposer une lettre d'intention auprès de l'ARS.",
    Stage.LETTER_REFUSED: "Déposer une nouvelle lettre d'intention auprès de l'ARS.",
    Stage.LETTER_FILED: "L'ARS doit valider ou refuser la lettre d'intention.",
    Stage.LETTER_VALIDATED: "Rédiger et déposer le projet de santé.",
    Stage.PROJECT_REFUSED: "Rédiger et déposer un nouveau projet de santé.",
    Stage.PROJECT_FILED: "L'ARS doit valider ou refuser le projet de santé.",
    Stage.PROJECT_VALIDATED: "Signer le contrat tripartite (CPTS, CPAM, ARS).",
    Stage.CONTRACT_OVER: "Le contrat a pris fin : signer un nouveau contrat.",
}


def _always(community: Community) -> str | None:
    return None


def _no_contract_yet(community: Community) -> str | None:
    if community.contracts.exists():
        return "La communauté a déjà adhéré au contrat : l'accélérateur la précède."
    if hasattr(community, "accelerator"):
        return "L'accélérateur a déjà été accordé à cette CPTS."
    return None


@dataclass(frozen=True)
class Transition:
    """A step of the lifecycle: from which stages, by which action (:data:`access.ALLOWED` says
    which roles hold it), under which guard, to which stage (None: the stage does not change)."""

    action: str
    sources: frozenset[Stage]
    permission: Action
    target: Stage | None
    label: str
    guard: Callable[[Community], str | None] = _always


LETTER_OPEN = frozenset({Stage.PROJECT, Stage.LETTER_REFUSED})
BEFORE_CONTRACT = frozenset(
    {
        Stage.LETTER_VALIDATED,
        Stage.PROJECT_FILED,
        Stage.PROJECT_REFUSED,
        Stage.PROJECT_VALIDATED,
    }
)
IN_CONTRACT = frozenset({Stage.CONTRACTED, Stage.DEPLOYED})
#: Stages where the health project is still to file (the accélérateur's deadline runs).
PROJECT_TO_FILE = frozenset({Stage.LETTER_VALIDATED, Stage.PROJECT_REFUSED})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "file_letter", LETTER_OPEN, Action.FILE, Stage.LETTER_FILED, "Déposer la lettre d'intention"
    ),
    Transition(
        "validate_letter",
        frozenset({Stage.LETTER_FILED}),
        Action.DECIDE,
        Stage.LETTER_VALIDATED,
        "Valider la lettre d'intention",
    ),
    Transition(
        "refuse_letter",
        frozenset({Stage.LETTER_FILED}),
        Action.DECIDE,
        Stage.LETTER_REFUSED,
        "Refuser la lettre d'intention",
    ),
    Transition(
        "grant_accelerator",
        BEFORE_CONTRACT,
        Action.GRANT,
        None,
        "Accorder l'accélérateur",
        _no_contract_yet,
    ),
    Transition(
        "file_project",
        frozenset({Stage.LETTER_VALIDATED, Stage.PROJECT_REFUSED}),
        Action.FILE,
        Stage.PROJECT_FILED,
        "Déposer le projet de santé",
    ),
    Transition(
        "validate_project",
        frozenset({Stage.PROJECT_FILED}),
        Action.DECIDE,
        Stage.PROJECT_VALIDATED,
        "Valider le projet de santé",
    ),
    Transition(
        "refuse_project",
        frozenset({Stage.PROJECT_FILED}),
        Action.DECIDE,
        Stage.PROJECT_REFUSED,
        "Refuser le projet de santé",
    ),
    Transition(
        "sign",
        frozenset({Stage.PROJECT_VALIDATED, Stage.CONTRACT_OVER}),
        Action.SIGN,
        Stage.CONTRACTED,
        "Enregistrer la signature du contrat",
    ),
    Transition("terminate", IN_CONTRACT, Action.SIGN, Stage.CONTRACT_OVER, "Résilier le contrat"),
)
BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


def stage_of(community: Community, day: dt.date | None = None) -> Stage:
    """Where ``community`` stands on ``day`` (today by default): the only place it is computed."""
    day = day or _today()
    # Lists prefetch the contracts (with their missions), projects and letters: read from them
    # then, one query per relation for a whole page instead of several per row.
    prefetched = getattr(community, "_prefetched_objects_cache", {})
    if "contracts" in prefetched:
        signed = [c for c in community.contracts.all() if c.signed_on <= day]
        contract = max(signed, key=lambda c: (c.signed_on, c.pk), default=None)
    else:
        contract = community.contracts.filter(signed_on__lte=day).order_by("-signed_on").first()
    if contract is not None:
        if day >= contract.period_end:
            return Stage.CONTRACT_OVER
        missions = list(contract.missions.all())
        if missions and all(m.deployed_on is not None and m.deployed_on <= day for m in missions):
            return Stage.DEPLOYED
        return Stage.CONTRACTED
    # the latest record is the last one created (a date typed by a user does not reorder them)
    project = (
        max(community.healthprojects.all(), key=lambda p: p.pk, default=None)
        if "healthprojects" in prefetched
        else community.healthprojects.order_by("-pk").first()
    )
    if project is not None:
        return {
            "filed": Stage.PROJECT_FILED,
            "validated": Stage.PROJECT_VALIDATED,
            "refused": Stage.PROJECT_REFUSED,
        }[project.status]
    letter = (
        max(community.letterofintents.all(), key=lambda p: p.pk, default=None)
        if "letterofintents" in prefetched
        else community.letterofintents.order_by("-pk").first()
    )
    if letter is not None:
        return {
            "filed": Stage.LETTER_FILED,
            "validated": Stage.LETTER_VALIDATED,
            "refused": Stage.LETTER_REFUSED,
        }[letter.status]
    return Stage.PROJECT


def stages_of(
    community_ids: Iterable[int], day: dt.date | None = None, among: Any = None
) -> dict[int, Stage]:
    """:func:`stage_of` for many communities at once (dashboards): the same rules, on four
    queries whatever their number (the latest contract, its missions, the latest health project
    and letter of intent of each community). A test checks it against :func:`stage_of`.

    ``among``: the same communities as a subquery (ids or a queryset of ``pk``), to filter with
    instead of the list of ids."""
    from .models import Contract, HealthProject, LetterOfIntent, MissionCommitment

    day = day or _today()
    wanted = sorted(set(community_ids))
    ids = wanted if among is None else among
    latest_contracts = (
        Contract.objects.filter(community_id__in=ids, signed_on__lte=day)
        .order_by("community_id", "-signed_on")
        .distinct("community_id")
    )
    contracts = {
        contract.community_id: contract
        for contract in latest_contracts.only(
            "pk", "community_id", "signed_on", "ends_on", "terminated_on"
        )
    }
    deployments: dict[int, list[dt.date | None]] = {}
    for contract_id, deployed_on in MissionCommitment.objects.filter(
        contract_id__in=latest_contracts.values("pk")
    ).values_list("contract_id", "deployed_on"):
        deployments.setdefault(contract_id, []).append(deployed_on)

    def latest(model: Any) -> dict[int, str]:
        return dict(
            model.objects.filter(community_id__in=ids)
            .order_by("community_id", "-pk")
            .distinct("community_id")
            .values_list("community_id", "status")
        )

    projects, letters = latest(HealthProject), latest(LetterOfIntent)
    stages = {}
    for pk in wanted:
        contract = contracts.get(pk)
        if contract is not None:
            if day >= contract.period_end:
                stages[pk] = Stage.CONTRACT_OVER
                continue
            deployed = deployments.get(contract.pk, [])
            if deployed and all(on is not None and on <= day for on in deployed):
                stages[pk] = Stage.DEPLOYED
            else:
                stages[pk] = Stage.CONTRACTED
        elif pk in projects:
            stages[pk] = _DECIDED[projects[pk]][1]
        elif pk in letters:
            stages[pk] = _DECIDED[letters[pk]][0]
        else:
            stages[pk] = Stage.PROJECT
    return stages


#: A decision's status -> the stage it gives (letter of intent, health project).
_DECIDED = {
    "filed": (Stage.LETTER_FILED, Stage.PROJECT_FILED),
    "validated": (Stage.LETTER_VALIDATED, Stage.PROJECT_VALIDATED),
    "refused": (Stage.LETTER_REFUSED, Stage.PROJECT_REFUSED),
}


def refusal(community: Community, action: str, user: Any) -> str | None:
    """Why ``user`` may not take ``action`` for ``community`` now (None: it may)."""
    transition = BY_ACTION[action]
    stage = stage_of(community)
    if stage not in transition.sources:
        return f"« {transition.label} » n'est pas possible au stade « {stage.label} »."
    if user is not None and not can(user, transition.permission, community):
        return "Votre rôle ne permet pas cette action."
    return transition.guard(community)


def allowed(community: Community, user: Any) -> list[Transition]:
    """The transitions ``user`` may take now: what the screens offer."""
    return [t for t in TRANSITIONS if refusal(community, t.action, user) is None]


def check(community: Community, action: str) -> Stage:
    """Refuse (RuleError, in French) a transition the current stage does not allow; the stage.

    The role is checked by the services themselves (``access.require``: 404/403)."""
    transition = BY_ACTION[action]
    stage = stage_of(community)
    if stage not in transition.sources:
        raise RuleError(f"« {transition.label} » n'est pas possible au stade « {stage.label} ».")
    reason = transition.guard(community)
    if reason:
        raise RuleError(reason)
    return stage


def record(community: Community, action: str, before: Stage, user: Any, reason: str = "") -> Any:
    """Log a transition taken: who, when, from, to, why."""
    from .models import TransitionLog

    return save_audited(
        TransitionLog(
            community=community,
            action=action,
            from_stage=before,
            to_stage=stage_of(community),
            user=user,
            reason=reason[:2000],
        ),
        user,
    )
