"""Computing the indicators of a community from the claims, and storing them with their
provenance: the community's territory, its département and the nation, in one computation,
stored together or not at all.

Choices (see ``docs/architecture.md``):

* the territory is the community's perimeter in force on the period's last day, with the
  codes its residents may have (``territory.communes.territory_codes``, the rule of
  ``cpts indicators compute`` too): its leaf units (a city listed whole stands for its
  arrondissements), plus a city whose every arrondissement is in it (a beneficiary coded by the
  city's own code then lives in the territory); an arrondissement alone is only itself;
* the département compared with is the one holding most of the territory's legal population on
  that day (one value per year in the trend; a community on two départements is compared with
  the one most of its inhabitants live in);
* the nation is every known commune and arrondissement.

Nothing is written before the three computations have succeeded; then everything is written in
one transaction, in place of what the community's earlier computation of the same first day
held, with the département's and the nation's it owns (same rows: recomputing is idempotent;
another community's computation never touches them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.claims import indicators as claims
from cpts.claims.errors import ClaimsError
from cpts.claims.reader import last_care_day
from cpts.communities.models import Community
from cpts.communities.perimeters import current_perimeter
from cpts.core.audit import save_audited
from cpts.core.errors import RuleError
from cpts.territory.communes import leaf_populations, territory_codes
from cpts.territory.models import Commune

from .models import Computation, ComputedIndicator, Engine, Scope

NATIONAL = "national"


@dataclass(frozen=True)
class Stored:
    """What one computation stored: the community's row, its département's, the nation's."""

    community: Computation
    departement: Computation
    national: Computation


def claims_dir_or_default(claims_dir: Path | str | None) -> Path:
    return Path(claims_dir) if claims_dir else Path(settings.CLAIMS_DIR)


def community_territory(community: Community, day: dt.date) -> set[str]:
    """The territory of ``community`` on ``day`` (its perimeter then in force)."""
    perimeter = current_perimeter(community, day)
    if perimeter is None:
        raise RuleError(
            f"{community.name} n'a pas de périmètre en vigueur au {day:%d/%m/%Y} : les "
            "indicateurs se calculent sur les communes du périmètre."
        )
    return territory_codes(perimeter.items.values_list("commune_id", flat=True))


def main_departement(community: Community, codes: Collection[str], day: dt.date) -> str:
    """The département holding most of the legal population of ``codes`` on ``day`` (ties: the
    smallest code; no population known: the community's seat)."""
    populations = leaf_populations(codes, day)
    departements = dict(
        Commune.objects.filter(code__in=populations).values_list("code", "departement_id")
    )
    totals: dict[str, int] = {}
    for code, population in populations.items():
        totals[departements[code]] = totals.get(departements[code], 0) + population
    if not totals or not any(totals.values()):
        return community.departement_id
    return min(totals, key=lambda code: (-totals[code], code))


@dataclass(frozen=True)
class Pending:
    """Three computations done, not stored yet (see :func:`compute` and :func:`store`)."""

    community: Community
    departement: str
    start: dt.date
    end: dt.date
    engine: str
    claims_dir: Path
    computed: dict[str, claims.Computation]


def compute(
    community: Community,
    start: dt.date,
    end: dt.date,
    user: User | None,
    claims_dir: Path | str | None = None,
    engine: str = Engine.DUCKDB,
    spark_master: str | None = None,
    *,
    in_progress: bool = False,
) -> Pending:
    """Compute every indicator over ``[start, end]`` (``end`` included) for ``community``, its
    main département and the nation, in one pass over the claims; nothing is written. ``user``
    None: the command line without ``--as`` (whoever holds the database: an administrator).
    ``spark_master``: with Spark, the cluster (default: the ``SPARK_MASTER`` setting, which
    the screens use too; ``None`` there: ``local[*]``). Claims whose last day of care (their
    footers' statistics) is before ``start`` are refused: nothing to compute. ``in_progress``: a
    year not over, whose D stops at that last day when the claims stop earlier (an extract runs
    months behind: counting to today would count nobody's care after it)."""
    if user is not None:
        require(user, Action.COMPUTE, community)
    if engine not in Engine.values:
        raise RuleError(f"Moteur de calcul inconnu : « {engine} » (duckdb ou spark).")
    if end < start:
        raise RuleError("La période de calcul finit avant de commencer.")
    folder = claims_dir_or_default(claims_dir)
    if not folder.is_dir():
        raise RuleError(
            f"Les données de l'Assurance Maladie sont introuvables : le dossier « {folder} » "
            "n'existe pas sur le serveur."
        )
    try:
        last = last_care_day(folder)
    except ClaimsError as error:
        raise RuleError(str(error)) from error
    if last is not None and last < start:
        raise RuleError(
            f"Les données de l'Assurance Maladie du dossier « {folder} » s'arrêtent le "
            f"{last:%d/%m/%Y}, avant le début de la période ({start:%d/%m/%Y}) : rien à calculer."
        )
    if in_progress and last is not None and last < end:
        end = last  # D: the last day of care the claims hold, never a day they do not cover
    territory = community_territory(community, end)
    departement = main_departement(community, territory, end)
    known = set(Commune.objects.values_list("code", flat=True))
    territories = {
        Scope.COMMUNITY.value: territory,
        Scope.DEPARTEMENT.value: set(
            Commune.objects.filter(departement_id=departement).values_list("code", flat=True)
        ),
        NATIONAL: known,
    }
    try:
        computed = claims.compute_many(
            folder,
            territories,
            known,
            start,
            end,
            engine=engine,
            spark_master=spark_master or settings.SPARK_MASTER,
        )
    except ClaimsError as error:  # a missing table or column, a wrong type: its French message
        raise RuleError(str(error)) from error
    except OSError as error:  # a folder that cannot be read
        raise RuleError(
            f"Les données de l'Assurance Maladie du dossier « {folder} » ne se lisent pas : "
            f"{error.strerror or error}."
        ) from error
    return Pending(community, departement, start, end, engine, folder, computed)


def store(pending: Pending, user: User | None) -> Stored:
    """Store the three computations together: the community's in place of its computation of the
    same first day (same rows, values replaced; a year in progress computed again later gets its
    new last day), the département's and the nation's in place of those it owns: all or
    nothing."""
    common = {
        "engine": pending.engine,
        "claims_dir": str(pending.claims_dir),
        "computed_at": timezone.now(),
        "computed_by": user,
        "start": pending.start,
        "end": pending.end,
    }
    departement, computed = pending.departement, pending.computed
    try:
        with transaction.atomic():
            own = Computation.objects.select_for_update().filter(
                scope=Scope.COMMUNITY, community=pending.community, start=pending.start
            )
            community = _store(
                own.order_by("-end").first()
                or Computation(scope=Scope.COMMUNITY, community=pending.community),
                departement,
                computed[Scope.COMMUNITY.value],
                common,
                user,
            )
            owned = Computation.objects.select_for_update().filter(owner=community)
            return Stored(
                community=community,
                departement=_store(
                    owned.filter(scope=Scope.DEPARTEMENT).first()
                    or Computation(scope=Scope.DEPARTEMENT, owner=community),
                    departement,
                    computed[Scope.DEPARTEMENT.value],
                    common,
                    user,
                ),
                national=_store(
                    owned.filter(scope=Scope.NATIONAL).first()
                    or Computation(scope=Scope.NATIONAL, owner=community),
                    None,
                    computed[NATIONAL],
                    common,
                    user,
                ),
            )
    except IntegrityError as error:
        if _violated(error) == UNIQUE_VIOLATION:  # the same period stored at this very moment
            raise RuleError(
                "Un calcul des mêmes indicateurs vient d'être enregistré : recommencez."
            ) from error
        raise RuleError(
            "Les indicateurs calculés n'ont pas pu être enregistrés : une valeur est refusée par "
            f"la base de données ({_constraint(error)}). Rien n'a été enregistré ; signalez-le "
            "à l'administration."
        ) from error


#: SQLSTATE of a unique violation (PostgreSQL).
UNIQUE_VIOLATION = "23505"


def _violated(error: IntegrityError) -> str | None:
    """The SQLSTATE of the database error behind ``error``."""
    return getattr(error.__cause__, "sqlstate", None)


def _constraint(error: IntegrityError) -> str:
    diagnostic = getattr(error.__cause__, "diag", None)
    name = getattr(diagnostic, "constraint_name", None)
    return f"règle « {name} »" if name else str(error.__cause__ or error).splitlines()[0]


def compute_for(
    community: Community,
    start: dt.date,
    end: dt.date,
    user: User | None,
    claims_dir: Path | str | None = None,
    engine: str = Engine.DUCKDB,
    spark_master: str | None = None,
) -> Stored:
    """:func:`compute` then :func:`store`."""
    return store(compute(community, start, end, user, claims_dir, engine, spark_master), user)


def _store(
    row: Computation,
    departement: str | None,
    computed: claims.Computation,
    common: dict[str, object],
    user: User | None,
) -> Computation:
    """Write one computation in ``row`` (a stored row, locked, or a new one): its values replace
    the stored ones, each result in its own row."""
    row.departement_id = departement
    for name, value in common.items():
        setattr(row, name, value)
    row.communes = computed.communes
    row.population = computed.population
    row.unknown_residence = computed.unknown_residence
    save_audited(row, user)
    stored = {item.code: item for item in row.results.all()} if row.pk else {}
    for result in computed.results:
        item = stored.pop(result.code, None) or ComputedIndicator(computation=row, code=result.code)
        values = (result.label, result.numerator, result.denominator, result.value)
        if item.pk and (item.label, item.numerator, item.denominator, item.value) == values:
            continue  # unchanged: no new history row
        item.label, item.numerator, item.denominator, item.value = values
        save_audited(item, user)
    for stale in stored.values():  # an indicator no longer defined
        stale._history_user = user  # type: ignore[attr-defined]
        stale.delete()
    return row
