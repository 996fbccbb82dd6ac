"""The rows of every list the screens show, to export as CSV or Excel (:mod:`.tabular`).

One function per list, taking the user and the list's filters (:class:`Filters`) and giving a
:class:`~cpts.steering.tabular.Table`: French column titles, plain values. Each reads through the
same scope as its screen (``visible_communities``, ``visible_contracts``, ``visible_payments``,
``visible_crises``, ``coverage_region``), in a fixed number of queries whatever the number of
rows (``select_related`` and annotations, read with ``.iterator(chunk_size=...)``): a national
export of every payment streams without holding the list in memory.

Members' names and numbers only where :func:`~cpts.accounts.access.may_read_member_identities`
allows; everyone else who sees the community gets the counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from cpts.accounts.access import coverage_region, may_read_member_identities
from cpts.accounts.models import User
from cpts.aci import Mission, add_months
from cpts.communities import perimeters
from cpts.communities.models import Community, Member, Profession, StructureKind
from cpts.communities.scope import visible_communities
from cpts.contracts.annex_imports import indicator_version
from cpts.contracts.models import (
    Contract,
    ContractYear,
    Evaluation,
    Indicator,
    Payment,
    PaymentKind,
)
from cpts.contracts.selectors import visible_contracts, visible_payments, years_of
from cpts.crises.models import Typology
from cpts.crises.selectors import visible_crises
from cpts.territory.models import Departement, Region

from .tabular import Column, Kind, Table

#: Rows read from the database at a time.
CHUNK = 2000

MISSIONS = {mission.value: mission.label for mission in Mission}
PROFESSIONS = dict(Profession.choices)
STRUCTURE_KINDS = dict(StructureKind.choices)


@dataclass(frozen=True)
class Filters:
    """The filters of a list page, already checked (a community out of scope never gets here)."""

    community: Community | None = None
    query: str = ""
    year: int | None = None
    contract: int | None = None
    region: str | None = None
    day: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    departement: str | None = None  # coverage only: the département of the page exported


def _day(filters: Filters) -> dt.date:
    from django.utils import timezone

    return filters.day or timezone.localdate()


# --- Communities ----------------------------------------------------------------------------------


def communities(user: User, filters: Filters) -> Table:
    """The communities list (``q``: a part of the name or of the département's name)."""
    latest = Contract.objects.filter(community=OuterRef("pk")).order_by("-signed_on")
    rows = (
        visible_communities(user)
        .annotate(
            members_count=Count("members", distinct=True),
            signed_on=Subquery(latest.values("signed_on")[:1]),
            terminated_on=Subquery(latest.values("terminated_on")[:1]),
        )
        .order_by("name", "pk")
    )
    if filters.query:
        rows = rows.filter(
            Q(name__icontains=filters.query) | Q(departement__name__icontains=filters.query)
        )
    if filters.community is not None:
        rows = rows.filter(pk=filters.community.pk)

    def produce() -> Iterator[Sequence[Any]]:
        for community in rows.iterator(chunk_size=CHUNK):
            yield [
                community.pk,
                community.name,
                community.association_name,
                community.departement_id,
                community.departement.name,
                community.departement.region.name,
                community.population,
                community.members_count,
                community.created_on,
                community.signed_on,
                community.terminated_on,
                community.siret,
                community.finess,
                community.rna,
            ]

    return Table(
        "cpts",
        "CPTS",
        [
            Column("Identifiant", Kind.INTEGER),
            Column("CPTS"),
            Column("Association"),
            Column("Code département"),
            Column("Département"),
            Column("Région"),
            Column("Population", Kind.INTEGER),
            Column("Membres", Kind.INTEGER),
            Column("Créée le", Kind.DATE),
            Column("Dernier contrat signé le", Kind.DATE),
            Column("Contrat résilié le", Kind.DATE),
            Column("SIRET"),
            Column("FINESS"),
            Column("RNA"),
        ],
        produce(),
    )


# --- Members --------------------------------------------------------------------------------------


def members(user: User, filters: Filters) -> Table:
    """A community's members: names and numbers for who may read them, else counts by kind and
    profession. Without a community: the counts of every visible community, one line each."""
    community = filters.community
    if community is None:
        return _member_counts_by_community(user)
    if may_read_member_identities(user, community):
        return _member_identities(community)
    return _member_counts(community)


def _member_identities(community: Community) -> Table:
    rows = community.members.select_related("commune").order_by("name", "pk")

    def produce() -> Iterator[Sequence[Any]]:
        for member in rows.iterator(chunk_size=CHUNK):
            yield [
                community.name,
                member.get_kind_display(),
                member.name,
                member.rpps,
                PROFESSIONS.get(member.profession, member.profession),
                member.finess,
                STRUCTURE_KINDS.get(member.structure_kind, member.structure_kind),
                member.commune_id or "",
                member.commune.name if member.commune else "",
                member.joined_on,
            ]

    return Table(
        f"membres-{community.pk}",
        "Membres",
        [
            Column("CPTS"),
            Column("Nature"),
            Column("Nom"),
            Column("RPPS"),
            Column("Profession"),
            Column("FINESS"),
            Column("Type de structure"),
            Column("Code commune"),
            Column("Commune"),
            Column("Adhésion le", Kind.DATE),
        ],
        produce(),
    )


def _member_counts(community: Community) -> Table:
    counted = (
        community.members.order_by()
        .values_list("kind", "profession", "structure_kind")
        .annotate(n=Count("pk"))
    )
    rows = []
    for kind, profession, structure_kind, n in counted:
        what = (
            PROFESSIONS.get(profession, profession)
            if kind == Member.Kind.PROFESSIONAL
            else STRUCTURE_KINDS.get(structure_kind, structure_kind)
        )
        rows.append([community.name, Member.Kind(kind).label, what or "non précisé", n])
    rows.sort(key=lambda row: (row[1], -row[3], row[2]))
    return Table(
        f"membres-{community.pk}",
        "Membres",
        [
            Column("CPTS"),
            Column("Nature"),
            Column("Profession ou type de structure"),
            Column("Nombre", Kind.INTEGER),
        ],
        rows,
    )


def _member_counts_by_community(user: User) -> Table:
    rows = (
        visible_communities(user)
        .annotate(
            professionals=Count("members", filter=Q(members__kind=Member.Kind.PROFESSIONAL)),
            structures=Count("members", filter=Q(members__kind=Member.Kind.STRUCTURE)),
        )
        .order_by("name", "pk")
    )

    def produce() -> Iterator[Sequence[Any]]:
        for community in rows.iterator(chunk_size=CHUNK):
            yield [
                community.name,
                community.departement_id,
                community.professionals,
                community.structures,
                community.professionals + community.structures,
            ]

    return Table(
        "membres",
        "Membres",
        [
            Column("CPTS"),
            Column("Code département"),
            Column("Professionnels de santé", Kind.INTEGER),
            Column("Structures", Kind.INTEGER),
            Column("Total", Kind.INTEGER),
        ],
        produce(),
    )


# --- Contracts and their years --------------------------------------------------------------------


def _contracts(user: User, filters: Filters) -> Any:
    contracts = visible_contracts(user).select_related("community__departement__region")
    if filters.community is not None:
        contracts = contracts.filter(community=filters.community)
    if filters.contract is not None:
        contracts = contracts.filter(pk=filters.contract)
    return contracts


def contracts(user: User, filters: Filters) -> Table:
    """The contracts: dates, the facts at signature, the termination."""
    day = _day(filters)
    rows = _contracts(user, filters).order_by("community__name", "signed_on", "pk")

    def produce() -> Iterator[Sequence[Any]]:
        for contract in rows.iterator(chunk_size=CHUNK):
            yield [
                contract.pk,
                contract.community.name,
                contract.community.departement_id,
                contract.signed_on,
                contract.ends_on - dt.timedelta(days=1),
                contract.terminated_on,
                contract.status_label_on(day),
                contract.population,
                contract.size_class,
                contract.members,
                contract.renews_id,
                contract.termination_reason,
            ]

    return Table(
        "contrats",
        "Contrats",
        [
            Column("Identifiant", Kind.INTEGER),
            Column("CPTS"),
            Column("Code département"),
            Column("Signé le", Kind.DATE),
            Column("Dernier jour", Kind.DATE),
            Column("Résilié le", Kind.DATE),
            Column(f"État au {day:%d/%m/%Y}"),
            Column("Population à la signature", Kind.INTEGER),
            Column("Taille à la signature", Kind.INTEGER),
            Column("Membres à la signature", Kind.INTEGER),
            Column("Renouvelle le contrat", Kind.INTEGER),
            Column("Motif de résiliation"),
        ],
        produce(),
    )


YEAR_COLUMNS = [
    Column("Contrat", Kind.INTEGER),
    Column("CPTS"),
    Column("Code département"),
    Column("Année contractuelle", Kind.INTEGER),
    Column("Premier jour", Kind.DATE),
    Column("Dernier jour", Kind.DATE),
    Column("Population", Kind.INTEGER),
    Column("Taille", Kind.INTEGER),
    Column("Membres", Kind.INTEGER),
    Column("Grille"),
    Column("Évaluation"),
    Column("Total (€)", Kind.AMOUNT),
]


def contract_years(user: User, filters: Filters) -> Table:
    """The contract years. For one community (its contract page): every year of its contracts,
    recorded or projected, with the total the page shows (kept once closed, else computed by the
    engine). For every visible community: the years *recorded* (a year is recorded on its first
    day), with their final total once the evaluation is closed — in a fixed number of queries."""
    if filters.community is not None:
        return Table("annees-contractuelles", "Années contractuelles", YEAR_COLUMNS,
                     _years_of_community(user, filters))  # fmt: skip
    closed = Evaluation.objects.filter(
        contract=OuterRef("contract"),
        contract_year=OuterRef("number"),
        status=Evaluation.Status.CLOSED,
    )
    rows = (
        ContractYear.objects.filter(contract__in=_contracts(user, filters))
        .select_related("contract__community")
        .annotate(closed_on=Subquery(closed.values("closed_on")[:1]))
        .order_by("contract__community__name", "contract__signed_on", "number")
    )
    if filters.year is not None:
        rows = rows.filter(number=filters.year)

    def produce() -> Iterator[Sequence[Any]]:
        for year in rows.iterator(chunk_size=CHUNK):
            yield [
                year.contract_id,
                year.contract.community.name,
                year.contract.community.departement_id,
                year.number,
                year.start,
                year.end - dt.timedelta(days=1),
                year.population,
                year.size_class,
                year.members,
                year.grid,
                f"close le {year.closed_on:%d/%m/%Y}" if year.closed_on else "en cours",
                year.total,
            ]

    return Table("annees-contractuelles", "Années contractuelles", YEAR_COLUMNS, produce())


def _years_of_community(user: User, filters: Filters) -> Iterator[Sequence[Any]]:
    for contract in _contracts(user, filters).order_by("signed_on"):
        closed = dict(
            contract.evaluations.filter(status=Evaluation.Status.CLOSED).values_list(
                "contract_year", "closed_on"
            )
        )
        for row in years_of(contract):
            if filters.year is not None and row.number != filters.year:
                continue
            closed_on = closed.get(row.number)
            yield [
                contract.pk,
                contract.community.name,
                contract.community.departement_id,
                row.number,
                row.start,
                row.last_day,
                row.facts.population,
                row.facts.size_class,
                row.facts.members,
                row.facts.grid,
                f"close le {closed_on:%d/%m/%Y}" if closed_on else "en cours",
                row.total,
            ]


# --- Payments -------------------------------------------------------------------------------------


def payments(user: User, filters: Filters) -> Table:
    """The ledger entries, signed (a recovery is negative), as the ledger screen lists them
    (read as tuples: the national ledger is the longest list, and its explanations are not
    exported)."""
    rows = visible_payments(user)
    if filters.community is not None:
        rows = rows.filter(community=filters.community)
    if filters.contract is not None:
        rows = rows.filter(contract_id=filters.contract)
    if filters.year is not None:
        rows = rows.filter(contract_year=filters.year)
    rows = rows.order_by("community__name", "due_on", "pk")
    kinds = dict(PaymentKind.choices)
    statuses = dict(Payment.Status.choices)
    fields = (
        "pk", "community__name", "community__departement_id", "contract__signed_on",
        "contract_year", "kind", "label", "amount", "due_on", "status", "paid_on", "corrects_id",
        "reason", "run__run_on",
    )  # fmt: skip

    def produce() -> Iterator[Sequence[Any]]:
        for row in rows.values_list(*fields).iterator(chunk_size=CHUNK):
            line = list(row)
            line[5] = kinds.get(line[5], line[5])
            line[9] = statuses.get(line[9], line[9])
            yield line

    return Table(
        "versements",
        "Versements",
        [
            Column("Écriture", Kind.INTEGER),
            Column("CPTS"),
            Column("Code département"),
            Column("Contrat signé le", Kind.DATE),
            Column("Année contractuelle", Kind.INTEGER),
            Column("Nature"),
            Column("Libellé"),
            Column("Montant (€)", Kind.AMOUNT),
            Column("Échéance", Kind.DATE),
            Column("État"),
            Column("Versé le", Kind.DATE),
            Column("Régularise l'écriture", Kind.INTEGER),
            Column("Motif"),
            Column("Campagne du", Kind.DATE),
        ],
        produce(),
    )


# --- Indicators (the annexes) ---------------------------------------------------------------------

INDICATOR_COLUMNS = [
    Column("Identifiant", Kind.INTEGER),
    Column("CPTS"),
    Column("Contrat signé le", Kind.DATE),
    Column("Année contractuelle", Kind.INTEGER),
    Column("Mission"),
    Column("Action"),
    Column("Indicateur"),
    Column("Nature"),
    Column("Plus bas est mieux"),
    Column("Objectif", Kind.DECIMAL),
    Column("Montant si atteint (€)", Kind.AMOUNT),
    Column("Valeur mesurée", Kind.DECIMAL),
    Column("Réalisé"),
    Column("Origine de la valeur"),
    Column("Décision"),
    Column("Motif"),
    Column("Décidé le", Kind.DATE),
    Column("Remarques"),
    # the indicator as exported: the import of the annex (this export is its template) refuses a
    # line whose indicator changed since, rather than write the stale cells back
    Column("Version"),
]


def indicators(user: User, filters: Filters) -> Table:
    """The indicators of the annexes: objective, amount, measured value, the CPAM's decision."""
    rows = Indicator.objects.filter(contract__in=_contracts(user, filters)).select_related(
        "contract__community"
    )
    if filters.year is not None:
        rows = rows.filter(contract_year=filters.year)
    rows = rows.order_by("contract__community__name", "contract__signed_on", "contract_year",
                         "mission", "pk")  # fmt: skip

    def produce() -> Iterator[Sequence[Any]]:
        for indicator in rows.iterator(chunk_size=CHUNK):
            yield indicator_row(indicator)

    name = "indicateurs"
    if filters.community is not None:
        name += f"-{filters.community.pk}" + (f"-annee-{filters.year}" if filters.year else "")
    return Table(name, "Indicateurs", INDICATOR_COLUMNS, produce())


def indicator_row(indicator: Indicator) -> list[Any]:
    return [
        indicator.pk,
        indicator.contract.community.name,
        indicator.contract.signed_on,
        indicator.contract_year,
        MISSIONS.get(indicator.mission, indicator.mission),
        indicator.action,
        indicator.label,
        indicator.get_kind_display(),
        indicator.lower_is_better,
        indicator.objective,
        indicator.amount,
        indicator.measured_value,
        indicator.done if indicator.kind == Indicator.Kind.DONE else None,
        (
            "données de l'Assurance maladie"
            if indicator.is_computed
            else ("saisie" if indicator.measured_value is not None else "")
        ),
        indicator.get_verdict_display(),
        indicator.verdict_reason,
        indicator.decided_on,
        indicator.remarks,
        indicator_version(indicator),
    ]


# --- Crises ---------------------------------------------------------------------------------------


def crises(user: User, filters: Filters) -> Table:
    """The serious health crises declared by the ARS that ``user`` may read."""
    rows = visible_crises(user).order_by("-declared_on", "pk")
    if filters.region:
        rows = rows.filter(region_id=filters.region)
    typologies = dict(Typology.choices)

    def produce() -> Iterator[Sequence[Any]]:
        for crisis in rows.iterator(chunk_size=CHUNK):
            codes = sorted(departement.code for departement in crisis.departements.all())
            yield [
                crisis.pk,
                crisis.title,
                typologies.get(crisis.typology, crisis.typology),
                crisis.region.name,
                ", ".join(codes) if codes else "toute la région",
                crisis.declared_on,
                crisis.ended_on,
                crisis.description,
            ]

    return Table(
        "crises",
        "Crises",
        [
            Column("Identifiant", Kind.INTEGER),
            Column("Intitulé"),
            Column("Typologie"),
            Column("Région"),
            Column("Départements concernés"),
            Column("Déclarée le", Kind.DATE),
            Column("Close le", Kind.DATE),
            Column("Description"),
        ],
        produce(),
    )


# --- Coverage -------------------------------------------------------------------------------------


def _coverage_region(user: User, filters: Filters) -> str | None:
    """The region of the coverage pages: an ARS's own, whatever it asks; else the filter."""
    return coverage_region(user) or filters.region


def _coverage_departement(region: str | None, filters: Filters) -> str | None:
    """The département asked, if it lies in the region of the export (else the region)."""
    if filters.departement is None or region is None:
        return filters.departement
    inside = Departement.objects.filter(code=filters.departement, region_id=region).exists()
    return filters.departement if inside else None


def _share(covered: int, population: int) -> Decimal:
    """The covered share in percent, to two decimals, computed from the integers."""
    if not population:
        return Decimal("0.00")
    return (Decimal(covered * 100) / Decimal(population)).quantize(Decimal("0.01"))


def coverage(user: User, filters: Filters) -> Table:
    """Coverage of the population by département on a day (the territory overview's table)."""
    day = _day(filters)
    region = _coverage_region(user, filters)
    departement = _coverage_departement(region, filters)
    names = dict(Departement.objects.values_list("code", "name"))
    rows = [
        [
            row["departement"],
            names.get(row["departement"], row["departement"]),
            row["communes"],
            row["population"],
            row["covered_population"],
            _share(row["covered_population"], row["population"]),
            row["overlaps"],
        ]
        for row in perimeters.coverage_by_departement(day, region=region)
        if departement is None or row["departement"] == departement
    ]
    return Table(
        f"couverture-{day.isoformat()}",
        "Couverture",
        [
            Column("Code département"),
            Column("Département"),
            Column("Communes", Kind.INTEGER),
            Column("Population", Kind.INTEGER),
            Column("Population couverte", Kind.INTEGER),
            Column("Part couverte (%)", Kind.DECIMAL),
            Column("Unités en chevauchement", Kind.INTEGER),
        ],
        rows,
    )


#: The months of the monthly series when no start is given.
SERIES_MONTHS = 36


def coverage_series(user: User, filters: Filters) -> Table:
    """Coverage on the first day of each month (``du``, ``au``; by default the last three years)."""
    end = filters.end or _day(filters)
    start = filters.start or add_months(end.replace(day=1), -SERIES_MONTHS)
    region = _coverage_region(user, filters)
    departement = _coverage_departement(region, filters)
    if departement is not None:
        label = Departement.objects.filter(code=departement).values_list("name", flat=True).first()
    else:
        label = (
            Region.objects.filter(code=region).values_list("name", flat=True).first()
            if region
            else None
        )
    points = perimeters.coverage_series(start, end, region=region, departement=departement)
    rows = [
        [
            dt.date.fromisoformat(point["date"]),
            label or "France entière",
            point["population"],
            point["covered_population"],
            _share(point["covered_population"], point["population"]),
            point["communities"],
            point["uncovered_communes"],
            point["overlaps"],
        ]
        for point in points
    ]
    return Table(
        "couverture-mensuelle",
        "Couverture mensuelle",
        [
            Column("Au", Kind.DATE),
            Column("Territoire"),
            Column("Population", Kind.INTEGER),
            Column("Population couverte", Kind.INTEGER),
            Column("Part couverte (%)", Kind.DECIMAL),
            Column("CPTS", Kind.INTEGER),
            Column("Communes non couvertes", Kind.INTEGER),
            Column("Unités en chevauchement", Kind.INTEGER),
        ],
        rows,
    )


#: Every export, by the name its URL gives it.
EXPORTS: dict[str, Callable[[User, Filters], Table]] = {
    "cpts": communities,
    "membres": members,
    "contrats": contracts,
    "annees-contractuelles": contract_years,
    "versements": payments,
    "indicateurs": indicators,
    "crises": crises,
    "couverture": coverage,
    "couverture-mensuelle": coverage_series,
}
