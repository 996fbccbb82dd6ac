"""Who may see and do what: the one place where access rules live.

* A CPTS coordinator sees and acts for its own community only.
* A CPAM officer sees the communities of its départements.
* An ARS officer sees the communities of its region.
* A national viewer sees everything, read-only.
* A facilitator sees, read-only, the communities it accompanies.
* A SAS regulation (a regulator, or the SAS platform's machine account) sees the communities of
  its départements, their volunteers and free slots, and books them.
* An administrator sees and does everything.

This module sits low (just above the reference data): it knows roles and scopes as plain data
(:class:`Scope`: region codes, département codes, community ids) and never imports the apps
above it. Each app filters its objects with the user's scope (``cpts.communities.scope`` gives
``visible_communities`` and ``community_for``, which answer 404 out of scope); every decision
(:func:`scope_of`, :func:`can`, :func:`require` and the rules below) is taken here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest

from .models import Role, User


class Action(StrEnum):
    FILE = "file"  # letter of intent, health project, indicator values and proofs (the community)
    DECIDE = "decide"  # validate or refuse a letter, a health project; declare a crisis (the ARS)
    GRANT = "grant"  # grant the accélérateur (ARS or CPAM)
    SIGN = "sign"  # record the contract's signature (CPAM)
    EVALUATE = "evaluate"  # accept or refuse indicators, close the evaluation (CPAM)
    PAY = "pay"  # run payments, correct an amount (CPAM)
    MISSIONS = "missions"  # record mission starts and deployments (community or CPAM)
    COMPUTE = "compute"  # compute the annex's indicators from the claims (community or CPAM)
    ANNEX = "annex"  # write the annex: add an indicator, bind it to a computed one
    ORGANISE = "organise"  # the community's unscheduled-care organisation, volunteers and slots
    REGULATE = "regulate"  # record SAS requests, book slots, record outcomes (the SAS regulation)
    RESPOND = "respond"  # activate the crisis plan, log actions, mobilise, message the members


ALLOWED: dict[str, set[Action]] = {
    Role.COORDINATOR: {
        Action.FILE,
        Action.MISSIONS,
        Action.COMPUTE,
        Action.ANNEX,
        Action.ORGANISE,
        Action.RESPOND,
    },
    Role.CPAM: {
        Action.GRANT,
        Action.SIGN,
        Action.EVALUATE,
        Action.PAY,
        Action.MISSIONS,
        Action.COMPUTE,
        Action.ANNEX,
    },
    Role.ARS: {Action.DECIDE, Action.GRANT},
    Role.NATIONAL: set(),
    Role.FACILITATOR: set(),
    Role.REGULATOR: {Action.REGULATE},
    Role.ADMIN: set(Action),
}


def current_user(request: HttpRequest) -> User:
    """The signed-in user of a request (the middleware sends everyone else to the login page)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Connexion requise.")
    return user


@dataclass(frozen=True)
class Scope:
    """The communities a user may see, as plain data: every one, or those of some regions,
    départements, or ids (a community is in scope when any of them matches)."""

    everything: bool = False
    regions: frozenset[str] = field(default_factory=frozenset)
    departements: frozenset[str] = field(default_factory=frozenset)
    communities: frozenset[int] = field(default_factory=frozenset)

    def q(self, prefix: str = "") -> Q:
        """A filter on communities (``prefix``: the path to the community, e.g. ``community__``)."""
        if self.everything:
            return Q()
        condition = Q(**{f"{prefix}pk__in": []})
        if self.regions:
            condition |= Q(**{f"{prefix}departement__region_id__in": sorted(self.regions)})
        if self.departements:
            condition |= Q(**{f"{prefix}departement_id__in": sorted(self.departements)})
        if self.communities:
            condition |= Q(**{f"{prefix}pk__in": sorted(self.communities)})
        return condition

    def contains(self, community: Any) -> bool:
        """Is ``community`` (anything with ``pk`` and ``departement``) in scope?"""
        if self.everything:
            return True
        if community is None or community.pk is None:
            return False
        return (
            community.pk in self.communities
            or community.departement_id in self.departements
            or (bool(self.regions) and community.departement.region_id in self.regions)
        )


NOTHING = Scope()


def scope_of(user: User) -> Scope:
    """The scope of ``user``: what it may see (and, with :data:`ALLOWED`, act on)."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    match user.role:
        case Role.ADMIN | Role.NATIONAL:
            return Scope(everything=True)
        case Role.COORDINATOR:
            return Scope(communities=frozenset({user.community_id} if user.community_id else ()))
        case Role.CPAM | Role.REGULATOR:
            # a SAS regulation (and its platform's machine account) works for its départements
            return Scope(departements=frozenset(user.departements.values_list("code", flat=True)))
        case Role.ARS:
            return Scope(regions=frozenset({user.region_id} if user.region_id else ()))
        case Role.FACILITATOR:
            return Scope(communities=frozenset(user.accompanied.values_list("pk", flat=True)))
    return NOTHING


def may_read_proofs(user: User, community: Any) -> bool:
    """Proofs are readable by the community itself, its CPAM and its ARS (and administrators)."""
    if user.role not in (Role.COORDINATOR, Role.CPAM, Role.ARS, Role.ADMIN):
        return False
    return scope_of(user).contains(community)


def coverage_region(user: User) -> str | None:
    """The region a user's coverage pages are limited to (an ARS: its own), or None for all."""
    return user.region_id if user.role == Role.ARS else None


def crisis_regions(user: User) -> set[str] | None:
    """The regions whose declared crises ``user`` may read (None: every region)."""
    match user.role:
        case Role.ARS:
            return {user.region_id} if user.region_id else set()
        case Role.CPAM:
            return set(user.departements.values_list("region_id", flat=True))
        case Role.COORDINATOR:
            return {user.community.departement.region_id} if user.community else set()
        case Role.FACILITATOR:
            return set(user.accompanied.values_list("departement__region_id", flat=True))
        case Role.REGULATOR:
            return set()
    return None


#: The roles that read the communities' response to crises (activations, actions, messages): the
#: community itself, its CPAM, the ARS of its region (so of the crisis), national, administrators.
CRISIS_RESPONSE_ROLES = {Role.COORDINATOR, Role.CPAM, Role.ARS, Role.NATIONAL, Role.ADMIN}


def may_read_crisis_response(user: User, community: Any) -> bool:
    """May ``user`` read how ``community`` responded to crises (404 otherwise)? Facilitators
    accompany projects and do not follow crises. Names of members stay behind
    :func:`may_read_member_identities`."""
    if not user.is_authenticated or not user.is_active or user.role not in CRISIS_RESPONSE_ROLES:
        return False
    return scope_of(user).contains(community)


def may_read_crisis_responses(user: User) -> bool:
    """May ``user`` count how the communities of its scope responded to crises (the activations
    of a dashboard)? The rule of :func:`may_read_crisis_response` for every community of the
    scope at once: a facilitator does not, even summed over the communities it accompanies (one
    community accompanied, « 1 (100 %) » would tell its response)."""
    return bool(user.is_authenticated and user.is_active and user.role in CRISIS_RESPONSE_ROLES)


def may_read_crisis_reports(user: User) -> bool:
    """The report of a crisis (every concerned community in scope): ARS, CPAM, national,
    administrators."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in {Role.CPAM, Role.ARS, Role.NATIONAL, Role.ADMIN}
    )


def may_read_all_runs(user: User) -> bool:
    """Payment runs are read by their author; every run by an administrator."""
    return bool(user.is_authenticated and user.role == Role.ADMIN)


def may_pay(user: User) -> bool:
    """May ``user`` run payments and correct entries (in its scope)?"""
    return can(user, Action.PAY)


def can(user: User, action: Action, community: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``community``, which must be in its scope)?"""
    if not user.is_authenticated or action not in ALLOWED.get(user.role, set()):
        return False
    if community is None:
        return True
    return scope_of(user).contains(community)


def require(user: User, action: Action, community: Any = None) -> None:
    """Refuse with a 404 when the community is out of scope, with a 403 when the role may not act."""
    if community is not None and not scope_of(user).contains(community):
        raise Http404("CPTS introuvable")
    if not can(user, action, community):
        raise PermissionDenied("Votre rôle ne permet pas cette action.")


def may_read_volunteers(user: User, community: Any) -> bool:
    """May ``user`` read who volunteers for unscheduled care in ``community`` (names, RPPS,
    slots)? Those who see identities, and the SAS regulation of its départements, which books
    them (the FHIR aggregator shows the same to the SAS platform)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role not in MEMBER_IDENTITY_ROLES | {Role.REGULATOR}:
        return False
    return scope_of(user).contains(community)


#: The roles that may read who the members of a community are (names, RPPS and FINESS numbers).
MEMBER_IDENTITY_ROLES = {Role.COORDINATOR, Role.CPAM, Role.ARS, Role.ADMIN}


def may_read_member_identities(user: User, community: Any) -> bool:
    """May ``user`` read the names and RPPS/FINESS numbers of ``community``'s members?

    Everyone who sees the community sees its member *counts* (by kind and profession); the
    identities are personal data (RGPD: minimisation), shown only to whom needs them to act:

    * the coordinator of the community: it keeps the list and imports it;
    * its CPAM: it pays, and checks the members behind the size 4 increase and the indicators;
    * its ARS: it validates the community and its health project, who is in it included;
    * an administrator: support and corrections.

    The national viewer (statistics over every community) and the facilitator (who accompanies
    the project, acts for no one) need counts only: they never see a name nor a number.
    Out of scope is always no.
    """
    if not user.is_authenticated or not user.is_active or user.role not in MEMBER_IDENTITY_ROLES:
        return False
    return scope_of(user).contains(community)


# --- Imports: who may write which part of the territory --------------------------------------------
#
# ``user`` is ``None`` for the command line run without ``--as``: whoever runs it holds the database,
# so it acts as an administrator. Every other caller (the views, ``--as``) passes a real user.


def writable_region_ids(user: User | None) -> set[str] | None:
    """The regions whose perimeters ``user`` may import; ``None`` means every region
    (administrators), an empty set none (every role but ARS and administrators)."""
    if user is None:
        return None
    if not user.is_authenticated or not user.is_active:
        return set()
    match user.role:
        case Role.ADMIN:
            return None
        case Role.ARS:
            return {user.region_id} if user.region_id else set()
    return set()


def writable_departements(user: User | None) -> set[str] | None:
    """The départements whose perimeters ``user`` may import (those of its writable regions);
    ``None`` means every département."""
    from cpts.territory.models import Departement

    regions = writable_region_ids(user)
    if regions is None:
        return None
    return set(Departement.objects.filter(region_id__in=regions).values_list("code", flat=True))


def departements_out_of_scope(user: User | None, codes: set[str]) -> set[str]:
    """The départements among ``codes`` where ``user`` may not write perimeters: a file touching
    one of them (a commune, or the seat of its community) is refused as a whole."""
    allowed = writable_departements(user)
    return set() if allowed is None else codes - allowed


def require_perimeter_import(user: User | None) -> None:
    """Refuse (403) the roles that may not import perimeters: ARS and administrators only. The
    scope (an ARS: its region) is checked line by line with :func:`departements_out_of_scope`."""
    if writable_region_ids(user) == set():
        raise PermissionDenied(
            "L'import des périmètres est réservé aux ARS (pour leur région) et à l'administration."
        )


def require_population_import(user: User | None) -> None:
    """Legal populations are national reference data (INSEE): administrators only import them."""
    if user is not None and not (
        user.is_authenticated and user.is_active and user.role == Role.ADMIN
    ):
        raise PermissionDenied(
            "L'import des populations légales (données nationales de référence) est réservé à "
            "l'administration."
        )


def require_members_import(user: User, community: Any) -> None:
    """Importing members is filing for the community: its coordinator or an administrator, for a
    community in scope (404 out of scope, 403 for a role that may not file)."""
    require(user, Action.FILE, community)


# --- SAS requests: who reads which ----------------------------------------------------------------


def sas_requests_q(user: User) -> Q:
    """The SAS requests ``user`` may read, as a filter on requests (plain field paths, so that this
    module never imports the unscheduled-care app):

    * a SAS regulation: the requests of its départements (the patient's département, kept after
      the commune is erased), booked or not;
    * an administrator: every request;
    * a coordinator, its CPAM and its ARS: the requests booked in a slot of a community in scope
      (the community sees what it is asked to honour, not the regulation's other requests);
    * national viewer and facilitator: none (they see counts, never requests).
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    match user.role:
        case Role.ADMIN:
            return Q()
        case Role.REGULATOR:
            return Q(departement_id__in=sorted(scope_of(user).departements))
        case Role.COORDINATOR | Role.CPAM | Role.ARS:
            return Q(appointment__status="booked") & scope_of(user).q(
                "appointment__slot__volunteer__community__"
            )
    return Q(pk__in=[])


def may_read_sas_request(user: User, departement_code: str, booked_community: Any = None) -> bool:
    """May ``user`` read one SAS request, of the patient's ``departement_code``, booked (live) in
    ``booked_community`` (None when not booked)? The same rule as :func:`sas_requests_q`."""
    if not user.is_authenticated or not user.is_active:
        return False
    match user.role:
        case Role.ADMIN:
            return True
        case Role.REGULATOR:
            return departement_code in scope_of(user).departements
        case Role.COORDINATOR | Role.CPAM | Role.ARS:
            return booked_community is not None and scope_of(user).contains(booked_community)
    return False


def may_read_patient_commune(user: User) -> bool:
    """The patient's commune of a readable SAS request: for the regulation that recorded it (and
    administrators) only; a community, its CPAM and its ARS see the request booked with it, never
    where the patient lives."""
    return bool(
        user.is_authenticated and user.is_active and user.role in {Role.REGULATOR, Role.ADMIN}
    )


def sas_declarations_q(user: User) -> Q | None:
    """The declarations of appointments to the SAS platform (the outbox) ``user`` may read, as a
    filter on declarations; None: the role may not see the outbox (403).

    * an administrator: every declaration;
    * a SAS regulation: those of the appointments in the communities of its départements;
    * every other role: none (None).
    """
    if not user.is_authenticated or not user.is_active:
        return None
    match user.role:
        case Role.ADMIN:
            return Q()
        case Role.REGULATOR:
            return scope_of(user).q("appointment__slot__volunteer__community__")
    return None


# --- Steering dashboards: who reads figures across communities, over which area -------------------

#: The roles that read the steering dashboards (figures across several communities). A coordinator
#: reads its own community's dashboard instead; a SAS regulation has no steering.
STEERING_ROLES = {Role.NATIONAL, Role.ARS, Role.CPAM, Role.FACILITATOR, Role.ADMIN}


def may_read_steering(user: User) -> bool:
    """May ``user`` open the steering dashboards (a 404 otherwise)?"""
    return bool(user.is_authenticated and user.is_active and user.role in STEERING_ROLES)


def steering_departements(user: User) -> frozenset[str] | None:
    """The départements a user's dashboards cover (coverage, crises, filters); ``None``: all of
    them (national viewer, administrators). An ARS: those of its region; a CPAM: its own; a
    facilitator: those of the communities it accompanies. The communities counted stay those of
    :func:`scope_of` (a facilitator: the ones it accompanies)."""
    from cpts.territory.models import Departement

    if not may_read_steering(user):
        return frozenset()
    match user.role:
        case Role.NATIONAL | Role.ADMIN:
            return None
        case Role.ARS:
            return frozenset(
                Departement.objects.filter(region_id=user.region_id).values_list("code", flat=True)
            )
        case Role.CPAM:
            return scope_of(user).departements
        case Role.FACILITATOR:
            return frozenset(user.accompanied.values_list("departement_id", flat=True))
    return frozenset()
