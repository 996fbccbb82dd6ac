"""The figures of the steering dashboards (national, regional, départemental), read-only.

Each figure is a plain dataclass computed in a few queries whatever the number of communities
(a test counts them): the communities in the user's scope (``cpts.accounts.access``) narrowed by
the filters are read once, as ids, and every other query filters on them. See
``docs/steering.md`` for what each figure means and how it is computed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, F, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, ExtractYear

from cpts.accounts.access import may_read_crisis_responses, scope_of, steering_departements
from cpts.accounts.models import User
from cpts.aci import (
    InvalidInput,
    compute_contract_year,
    default_tree,
    size_class,
)
from cpts.aci import contract_year as contract_year_dates
from cpts.communities import perimeters
from cpts.communities.models import Community
from cpts.contracts import engine
from cpts.contracts.models import (
    MISSION_CHOICES,
    AcceleratorGrant,
    Amendment,
    Contract,
    ContractYear,
    Indicator,
    MissionCommitment,
    Payment,
)
from cpts.contracts.workflow import Stage, stages_of
from cpts.crises.models import CrisisActivation, HealthCrisis
from cpts.payments import ledger
from cpts.territory.models import Departement, Region

from . import versions

if TYPE_CHECKING:
    from . import facts as facts_module

ZERO = Decimal("0.00")
#: The first month of the coverage series: January of the year the ACI CPTS came into force
#: (the first date of its grid, ``agreement.grid_version``, with its reference).
SERIES_START = dt.date(default_tree().parameter("agreement.grid_version").dates[0].year, 1, 1)
MISSION_LABELS = dict(MISSION_CHOICES)


@dataclass(frozen=True)
class Filters:
    """What a dashboard is narrowed to (every field optional; checked by the form and by
    :func:`out_of_scope` before use)."""

    region: str | None = None
    departement: str | None = None
    size_class: int | None = None
    year: int | None = None


@dataclass(frozen=True)
class Area:
    """The communities a dashboard counts and the territory whose coverage it shows."""

    community_ids: list[int]
    #: the same communities as a subquery (a list of a thousand ids costs more to send than the
    #: query it filters): the scope's filter, or the ids when the size class narrowed them
    communities: QuerySet[Community, Any]
    departements: frozenset[str] | None  # None: France entière
    region: str | None  # the one region the territory lies in, if any
    departement: str | None  # the one département, if any
    day: dt.date  # the day the figures are taken on (today, or the end of the filtered year)


def out_of_scope(user: User, filters: Filters) -> bool:
    """Does a filter name a region or département the user may not read (a 404)?"""
    allowed = steering_departements(user)
    if allowed is None:
        return False
    if filters.departement is not None and filters.departement not in allowed:
        return True
    if filters.region is not None:
        regions = set(
            Departement.objects.filter(code__in=allowed).values_list("region_id", flat=True)
        )
        return filters.region not in regions
    return False


def area_of(user: User, filters: Filters, today: dt.date) -> Area:
    """The communities in ``user``'s scope matching ``filters`` (ids, read once) and the territory
    covered. The size class is that of the community's population on the day."""
    day = (
        today
        if filters.year is None or filters.year >= today.year
        else dt.date(filters.year, 12, 31)
    )
    communities = Community.objects.filter(scope_of(user).q())
    allowed = steering_departements(user)
    departements = allowed
    if filters.region is not None:
        communities = communities.filter(departement__region_id=filters.region)
        in_region = frozenset(
            Departement.objects.filter(region_id=filters.region).values_list("code", flat=True)
        )
        departements = in_region if allowed is None else in_region & allowed
    if filters.departement is not None:
        communities = communities.filter(departement_id=filters.departement)
        departements = frozenset({filters.departement})
    rows = list(communities.values_list("pk", "population"))
    ids = [
        pk
        for pk, population in rows
        if filters.size_class is None or size_class(population, day).value == filters.size_class
    ]
    region = filters.region
    if region is None and departements is not None:
        regions = set(
            Departement.objects.filter(code__in=departements).values_list("region_id", flat=True)
        )
        region = regions.pop() if len(regions) == 1 else None
    departement = filters.departement
    if departement is None and departements is not None and len(departements) == 1:
        departement = next(iter(departements))
    subquery = communities if filters.size_class is None else Community.objects.filter(pk__in=ids)
    return Area(sorted(ids), subquery.values("pk"), departements, region, departement, day)


# --- (1) Communities by stage ---------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class Stages:
    rows: list[StageCount]
    total: int
    accelerator: int  # communities granted the accélérateur
    renewed: int  # communities whose contract in force renews an earlier one
    terminated: int  # communities whose latest contract was terminated early

    @property
    def maximum(self) -> int:
        return max((row.count for row in self.rows), default=0)


def stages(area: Area) -> Stages:
    """How many communities stand at each stage of the lifecycle (``workflow.stages_of``)."""
    by_community = stages_of(area.community_ids, area.day, among=area.communities)
    counts = Counter(by_community.values())
    rows = [StageCount(stage.value, stage.label, counts.get(stage, 0)) for stage in Stage]
    accelerator = AcceleratorGrant.objects.filter(
        community_id__in=area.communities, granted_on__lte=area.day
    ).count()
    latest = (
        Contract.objects.filter(community_id__in=area.communities, signed_on__lte=area.day)
        .order_by("community_id", "-signed_on")
        .distinct("community_id")
        .values_list("renews_id", "terminated_on")
    )
    renewed = terminated = 0
    for renews, terminated_on in latest:
        renewed += renews is not None
        terminated += terminated_on is not None and terminated_on <= area.day
    return Stages(rows, len(by_community), accelerator, renewed, terminated)


# --- (2) Coverage of the population ---------------------------------------------------------------


@dataclass(frozen=True)
class CoveragePoint:
    day: dt.date
    population: int
    covered: int

    @property
    def share(self) -> float:
        return self.covered / self.population if self.population else 0.0


@dataclass(frozen=True)
class Coverage:
    points: list[CoveragePoint]
    by_departement: list[dict[str, object]]  # rows of ``perimeters.coverage_by_departement``

    @property
    def last(self) -> CoveragePoint | None:
        return self.points[-1] if self.points else None


def coverage(area: Area) -> Coverage:
    """The population covered on the first day of each month since January 2019
    (``perimeters.coverage_series``), and by département on the day (the map)."""
    end = area.day
    scopes: list[tuple[str | None, str | None]]
    if area.departement is not None:
        scopes = [(None, area.departement)]
    elif area.departements is None:
        scopes = [(None, None)]
    elif area.region is not None and area.departements == frozenset(
        Departement.objects.filter(region_id=area.region).values_list("code", flat=True)
    ):
        scopes = [(area.region, None)]
    else:  # some départements (a CPAM's, a facilitator's): one series each, added up
        scopes = [(None, code) for code in sorted(area.departements)]
    totals: dict[dt.date, list[int]] = {}
    for region, departement in scopes:
        for point in perimeters.coverage_series(SERIES_START, end, region, departement):
            day = dt.date.fromisoformat(point["date"])
            total = totals.setdefault(day, [0, 0])
            total[0] += point["population"]
            total[1] += point["covered_population"]
    points = [CoveragePoint(day, *totals[day]) for day in sorted(totals)]
    rows = perimeters.coverage_by_departement(end, region=area.region)
    if area.departements is not None:
        rows = [row for row in rows if row["departement"] in area.departements]
    return Coverage(points, rows)


# --- (3) Money committed, paid, recovered ---------------------------------------------------------


@dataclass
class MoneyRow:
    key: str
    label: str
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    recovered: Decimal = ZERO


@dataclass(frozen=True)
class Money:
    committed: Decimal
    totals: ledger.Totals  # every entry of the communities (paid, due, to recover, recovered)
    by_year: list[MoneyRow]
    by_region: list[MoneyRow]
    by_size_class: list[MoneyRow]
    by_mission: list[MoneyRow]  # committed only: an entry of the ledger is not by mission
    refused: int  # contract years the engine refused (e.g. a mission started before signature)
    years: int  # contract years counted

    @property
    def maximum(self) -> Decimal:
        return max((max(row.committed, row.paid) for row in self.by_year), default=Decimal(0))


# The engine reads a contract through its relations (``years``, ``amendments``, ``missions``,
# ``indicators``, each with ``all()``). At national scale, model instances for every row cost more
# than the engine itself: the dashboard reads plain rows (``values_list``) and hands the engine
# light stand-ins with the same attributes. Each year's result is memoised on its facts (the
# rows it depends on, as tuples): a pure function of them, within the process.

YEAR_FIELDS = (
    "number", "start", "end", "population", "size_class", "members", "grid", "perimeter_id",
    "amendment_id", "total",
)  # fmt: skip
AMENDMENT_FIELDS = (
    "pk", "status", "effective_from", "population", "size_class", "members", "perimeter_id",
)  # fmt: skip
MISSION_FIELDS = ("mission", "started_on", "deployed_on")
SIGNATURE_FIELDS = ("population", "size_class", "members", "perimeter_id")
INDICATOR_FIELDS = (
    "contract_year", "mission", "amount", "verdict", "kind", "done", "label", "measured_value",
    "tiers", "lower_is_better", "objective",
)  # fmt: skip


class _Rows:
    """A relation read as plain rows, answering ``all()`` like a prefetched manager."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def all(self) -> list[Any]:
        return self.rows


def _light(fields: tuple[str, ...], values: tuple[Any, ...]) -> SimpleNamespace:
    return SimpleNamespace(**dict(zip(fields, values, strict=True)))


@dataclass(frozen=True)
class _YearKey:
    """Every fact a contract year's projection depends on (hashable)."""

    signed_on: dt.date
    terms: tuple[Any, ...]  # at the signature: SIGNATURE_FIELDS
    number: int
    recorded: tuple[Any, ...] | None  # the ContractYear row, YEAR_FIELDS
    amendments: tuple[tuple[Any, ...], ...]  # applied ones, AMENDMENT_FIELDS
    missions: tuple[tuple[Any, ...], ...]  # MISSION_FIELDS
    indicators: tuple[tuple[Any, ...], ...]  # of this year, INDICATOR_FIELDS (tiers as JSON)
    crises: tuple[dt.date, ...]


@lru_cache(maxsize=50_000)
def _projected(key: _YearKey) -> tuple[Decimal, tuple[tuple[str, Decimal], ...]] | None:
    """The engine's total and lines of a year from its facts (None: the engine refuses them)."""
    contract = SimpleNamespace(
        signed_on=key.signed_on,
        **dict(zip(SIGNATURE_FIELDS, key.terms, strict=True)),
        years=_Rows(
            [_light((*YEAR_FIELDS, "result"), (*key.recorded, None))] if key.recorded else []
        ),
        amendments=_Rows([_light(AMENDMENT_FIELDS, row) for row in key.amendments]),
        missions=_Rows([_light(MISSION_FIELDS, row) for row in key.missions]),
        indicators=_Rows(
            [
                _light(INDICATOR_FIELDS, (*row[:8], json.loads(row[8]), *row[9:]))
                for row in key.indicators
            ]
        ),
    )
    inputs = engine.engine_input(cast(Contract, contract), key.number, crises=key.crises)
    try:
        result = compute_contract_year(inputs)
    except InvalidInput:
        return None
    return result.total, tuple((line.code, line.amount) for line in result.lines)


def _size_on(amendments: Iterable[tuple[Any, ...]], signed: int, day: dt.date) -> int:
    """The size class of the terms in force on ``day`` (``engine.terms_on`` on plain rows):
    the latest applied amendment in effect, else the signature's."""
    in_effect = [row for row in amendments if row[2] is not None and row[2] <= day]
    if not in_effect:
        return signed
    return int(max(in_effect, key=lambda row: (row[2], row[0]))[4])


def _grouped(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows whose first value is a contract id, by contract (the id dropped)."""
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped


def _bucket(code: str) -> str:
    """A line of the engine -> its row « by mission »: the mission, or functioning, or increase."""
    head = code.split(".", 1)[0]
    if head in MISSION_LABELS:
        return head
    return "functioning" if "functioning" in head else "increase"


BUCKET_LABELS = {
    **MISSION_LABELS,
    "functioning": "Fonctionnement",
    "increase": "Majoration (taille 4)",
}


def _crisis_dates(communities: dict[int, tuple[str, str]]) -> dict[int, tuple[dt.date, ...]]:
    """``engine.crisis_dates`` for every community at once (two queries)."""
    crises = list(HealthCrisis.objects.values_list("pk", "region_id", "declared_on"))
    named: dict[int, set[str]] = defaultdict(set)
    for crisis, departement in HealthCrisis.departements.through.objects.values_list(
        "healthcrisis_id", "departement_id"
    ):
        named[crisis].add(departement)
    result = {}
    for pk, (departement, region) in communities.items():
        result[pk] = tuple(
            sorted(
                {
                    declared
                    for crisis, crisis_region, declared in crises
                    if crisis_region == region
                    and (not named[crisis] or departement in named[crisis])
                }
            )
        )
    return result


def money(area: Area, filters: Filters) -> Money:
    """Committed (the engine's year totals: kept once the evaluation is closed, else computed
    from the year's facts) against paid and recovered (the ledger's entries booked), by year,
    region, size class; committed by mission. A contract year counts in the calendar year it
    starts; an entry in the year it was booked."""
    signed = Contract.objects.filter(community_id__in=area.communities, signed_on__lte=area.day)
    ids = signed.values("pk")
    contracts = list(
        signed.order_by("pk")
        .values_list(
            "pk", "community_id", "signed_on", "ends_on", "terminated_on",
            "community__departement_id", "community__departement__region_id",
            *SIGNATURE_FIELDS,
        )
    )  # fmt: skip
    years = _grouped(
        ContractYear.objects.filter(contract_id__in=ids).values_list("contract_id", *YEAR_FIELDS)
    )
    results = {
        (contract, number): result
        for contract, number, result in ContractYear.objects.filter(
            contract_id__in=ids, total__isnull=False
        ).values_list("contract_id", "number", "result")
    }
    amendments = _grouped(
        Amendment.objects.filter(contract_id__in=ids, status=Amendment.Status.APPLIED)
        .order_by("pk")
        .values_list("contract_id", *AMENDMENT_FIELDS)
    )
    missions = _grouped(
        MissionCommitment.objects.filter(contract_id__in=ids)
        .order_by("pk")
        .values_list("contract_id", *MISSION_FIELDS)
    )
    indicators: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for found in (
        Indicator.objects.filter(contract_id__in=ids)
        .annotate(tiers_text=Cast("tiers", TextField()))  # as text: hashable, decoded on demand
        .order_by("contract_year", "mission", "pk")
        .values_list("contract_id", *INDICATOR_FIELDS[:8], "tiers_text", *INDICATOR_FIELDS[9:])
    ):
        indicators[found[0], found[1]].append(found[1:])
    places = {row[1]: (row[5], row[6]) for row in contracts}
    crises = _crisis_dates(places)
    regions = dict(Region.objects.values_list("code", "name"))
    by_year: dict[str, MoneyRow] = {}
    by_region: dict[str, MoneyRow] = {}
    by_size: dict[str, MoneyRow] = {}
    by_mission: dict[str, MoneyRow] = {}

    def row(table: dict[str, MoneyRow], key: str, label: str) -> MoneyRow:
        return table.setdefault(key, MoneyRow(key, label))

    committed = ZERO
    refused = counted = 0
    tree = default_tree()
    for pk, community_id, signed_on, ends_on, terminated_on, _, region, *terms in contracts:
        period_end = terminated_on or ends_on
        recorded = {year[0]: year for year in years.get(pk, [])}
        duration = tree.at("agreement.contract_duration_years", signed_on).integer()
        for number in range(1, duration + 1):
            dates = contract_year_dates(signed_on, number)
            if dates.start >= period_end or dates.start > area.day:
                break
            if filters.year is not None and dates.start.year != filters.year:
                continue
            year_row = recorded.get(number)
            lines: tuple[tuple[str, Decimal], ...]
            if year_row is not None and year_row[-1] is not None and (pk, number) in results:
                total = year_row[-1]
                lines = tuple(
                    (line["code"], Decimal(line["amount"]))
                    for line in (results[pk, number] or {}).get("lines", [])
                )
                size_value = year_row[4]
            else:
                projected = _projected(
                    _YearKey(
                        signed_on,
                        tuple(terms),
                        number,
                        year_row,
                        tuple(amendments.get(pk, ())),
                        tuple(missions.get(pk, ())),
                        tuple(indicators.get((pk, number), ())),
                        crises[community_id],
                    )
                )
                if projected is None:
                    refused += 1
                    continue
                total, lines = projected
                size_value = (
                    year_row[4]
                    if year_row is not None
                    else _size_on(amendments.get(pk, ()), terms[1], dates.start)
                )
            counted += 1
            committed += total
            year = str(dates.start.year)
            row(by_year, year, year).committed += total
            row(by_region, region, regions.get(region, region)).committed += total
            size = str(size_value)
            row(by_size, size, f"Taille {size}").committed += total
            for code, amount in lines:
                bucket = _bucket(code)
                row(by_mission, bucket, BUCKET_LABELS[bucket]).committed += amount
    entries = Payment.objects.filter(community_id__in=area.communities)
    if filters.year is not None:
        booked_totals = ledger.totals(entries.filter(paid_on__year=filters.year))
    else:
        booked_totals = ledger.totals(entries.filter(Q(paid_on__lte=area.day) | Q(status="due")))
    booked = entries.filter(status=Payment.Status.PAID, paid_on__lte=area.day)
    if filters.year is not None:
        booked = booked.filter(paid_on__year=filters.year)
    sums = {
        "paid": Sum("amount", filter=Q(amount__gt=0)),
        "recovered": Sum("amount", filter=Q(amount__lt=0)),
    }
    # one query, grouped by year, region and contract year; rolled up here (the size class is
    # the one recorded for the contract year, read above)
    sizes = {(pk, year[0]): year[4] for pk, rows in years.items() for year in rows}
    for year_key, region, contract_id, year_number, paid, recovered in (
        booked.annotate(
            booked_year=ExtractYear("paid_on"), region=F("community__departement__region_id")
        )
        .values("booked_year", "region", "contract_id", "contract_year")
        .annotate(**sums)
        .order_by()
        .values_list("booked_year", "region", "contract_id", "contract_year", "paid", "recovered")
    ):
        _add(row(by_year, str(year_key), str(year_key)), paid, recovered)
        _add(row(by_region, str(region), regions.get(region, str(region))), paid, recovered)
        recorded_size = sizes.get((contract_id, year_number))
        if recorded_size is None:
            label = "Accélérateur et autres écritures sans année contractuelle"
            _add(row(by_size, "-", label), paid, recovered)
        else:
            _add(row(by_size, str(recorded_size), f"Taille {recorded_size}"), paid, recovered)
    return Money(
        committed=committed,
        totals=booked_totals,
        by_year=[by_year[key] for key in sorted(by_year)],
        by_region=sorted(by_region.values(), key=lambda r: r.key),
        by_size_class=sorted(by_size.values(), key=lambda r: r.key),
        by_mission=[by_mission[key] for key in BUCKET_LABELS if key in by_mission],
        refused=refused,
        years=counted,
    )


def _add(row: MoneyRow, paid: Decimal | None, recovered: Decimal | None) -> None:
    row.paid += paid or ZERO
    row.recovered += -(recovered or ZERO)


# --- (4) Late deadlines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LateDeadline:
    community_id: int
    community: str
    mission: str
    step: str
    due: dt.date
    days_late: int


def late_deadlines(area: Area) -> list[LateDeadline]:
    """The start and deployment deadlines of the missions of contracts in force, overdue on the
    day (``engine.open_deadlines``), the oldest first."""
    in_force = (
        Contract.objects.filter(community_id__in=area.communities, signed_on__lte=area.day)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=area.day))
        .filter(ends_on__gt=area.day)
    )
    contracts = list(in_force.values_list("pk", "community_id", "community__name", "signed_on"))
    missions = _grouped(
        MissionCommitment.objects.filter(contract_id__in=in_force.values("pk"))
        .order_by("pk")
        .values_list("contract_id", *MISSION_FIELDS)
    )
    rows = []
    for pk, community_id, name, signed_on in contracts:
        for mission, step, due in _overdue(signed_on, area.day, tuple(missions.get(pk, ()))):
            rows.append(
                LateDeadline(
                    community_id,
                    name,
                    MISSION_LABELS.get(mission, mission),
                    step,
                    due,
                    (area.day - due).days,
                )
            )
    return sorted(rows, key=lambda r: (r.due, r.community, r.mission, r.step))


@lru_cache(maxsize=20_000)
def _overdue(
    signed_on: dt.date, day: dt.date, missions: tuple[tuple[Any, ...], ...]
) -> tuple[tuple[str, str, dt.date], ...]:
    """``engine.open_deadlines`` overdue on ``day`` (mission, step, due), on plain rows; memoised
    on its facts. Nothing when the engine refuses the facts (e.g. a mission started before the
    signature): the money counts that year as refused, the deadlines are not shown (not a 500)."""
    contract = SimpleNamespace(
        signed_on=signed_on, missions=_Rows([_light(MISSION_FIELDS, row) for row in missions])
    )
    try:
        deadlines = engine.open_deadlines(cast(Contract, contract), day)
    except InvalidInput:
        return ()
    return tuple(
        (deadline.mission.value, deadline.step, deadline.due)
        for deadline in deadlines
        if deadline.status.value == "overdue"
    )


# --- (5) Crises and their activations -------------------------------------------------------------


@dataclass(frozen=True)
class CrisisRow:
    pk: int
    title: str
    region: str
    declared_on: dt.date
    ended_on: dt.date | None
    concerned: int  # communities of the area the crisis concerns
    activated: int  # of which activated their plan


def crises(area: Area, filters: Filters, *, responses: bool = True) -> list[CrisisRow]:
    """The crises declared in the area (the year filter: declared that year), each with the
    communities of the area it concerns and how many activated their crisis plan (0 when the
    user may not read the communities' response, ``responses`` false: the view says so)."""
    region_of = dict(Departement.objects.values_list("code", "region_id"))
    by_departement: dict[str, set[int]] = defaultdict(set)
    by_region: dict[str, set[int]] = defaultdict(set)
    for pk, departement in Community.objects.filter(pk__in=area.communities).values_list(
        "pk", "departement_id"
    ):
        by_departement[departement].add(pk)
        by_region[region_of[departement]].add(pk)
    found = HealthCrisis.objects.select_related("region").filter(declared_on__lte=area.day)
    if area.departements is not None:
        regions = {region_of[code] for code in area.departements}
        found = found.filter(region_id__in=regions)
    if filters.year is not None:
        found = found.filter(declared_on__year=filters.year)
    found_list = list(found.order_by("-declared_on", "-pk"))
    named: dict[int, set[str]] = defaultdict(set)
    for crisis_id, departement in HealthCrisis.departements.through.objects.filter(
        healthcrisis_id__in=[c.pk for c in found_list]
    ).values_list("healthcrisis_id", "departement_id"):
        named[crisis_id].add(departement)
    activations: dict[int, set[int]] = defaultdict(set)
    for crisis_id, community in CrisisActivation.objects.filter(
        crisis__in=found_list if responses else [], community_id__in=area.communities
    ).values_list("crisis_id", "community_id"):
        activations[crisis_id].add(community)
    rows = []
    for crisis in found_list:
        if named[crisis.pk]:
            concerned = set().union(*(by_departement[code] for code in named[crisis.pk]))
        else:
            concerned = by_region[crisis.region_id]
        if (
            area.departements is not None
            and named[crisis.pk]
            and not named[crisis.pk] & area.departements
        ):
            continue  # a crisis of other départements of the region
        rows.append(
            CrisisRow(
                crisis.pk,
                crisis.title,
                crisis.region.name,
                crisis.declared_on,
                crisis.ended_on,
                len(concerned),
                len(activations[crisis.pk] & concerned),
            )
        )
    return rows


# --- (6) Indicators against their objectives ------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    mission: str
    label: str
    total: int  # indicators of the annexes
    measured: int  # with a measured value and an objective
    met: int  # of which the objective is met

    @property
    def not_met(self) -> int:
        return self.measured - self.met


def indicators(area: Area, filters: Filters) -> list[IndicatorRow]:
    """The annexes' indicators by mission: how many have a value and an objective, and how many
    meet it (at or above it; at or below when lower is better). Contract years counted as for
    the money: in the calendar year they start (``signed_on``'s year + number − 1)."""
    found = Indicator.objects.filter(
        contract__community_id__in=area.communities, contract__signed_on__lte=area.day
    )
    if filters.year is not None:
        found = found.annotate(
            start_year=ExtractYear("contract__signed_on") + F("contract_year") - 1
        ).filter(start_year=filters.year)
    measured = Q(measured_value__isnull=False, objective__isnull=False)
    met = measured & (
        Q(lower_is_better=False, measured_value__gte=F("objective"))
        | Q(lower_is_better=True, measured_value__lte=F("objective"))
    )
    rows = (
        found.values("mission")
        .annotate(
            total=Count("pk"), measured=Count("pk", filter=measured), met=Count("pk", filter=met)
        )
        .order_by("mission")
        .values_list("mission", "total", "measured", "met")
    )
    counts = {mission: (total, m, ok) for mission, total, m, ok in rows}
    return [
        IndicatorRow(code, label, *counts[code])
        for code, label in MISSION_CHOICES
        if code in counts
    ]


# --- The whole dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    area: Area
    stages: Stages
    coverage: Coverage
    money: Money
    late: list[LateDeadline]
    crises: list[CrisisRow]
    indicators: list[IndicatorRow]
    communities: int = field(default=0)


def dashboard(user: User, filters: Filters, today: dt.date) -> Dashboard:
    """Every figure of the steering dashboard for ``user`` (its scope) and ``filters``.

    The figures are slices of the national facts (:mod:`cpts.steering.facts`, computed once per
    data version for the whole country), kept in the cache under the data version
    (:mod:`cpts.steering.versions`, read first, before any data) and everything else they depend
    on: the filters, the communities counted, the territory and the day. A write to any table
    they read moves the version: never stale. A transaction that has written (no version) gets
    the figures of its area computed directly (:func:`reference_figures`)."""
    from . import facts  # built on this module's figures and helpers

    version = versions.data_version()
    area = area_of(user, filters, today)
    responses = may_read_crisis_responses(user)  # the crisis rows depend on the role too
    if version is None:
        figures = reference_figures(area, filters, responses)
    else:
        parts = (
            filters,
            tuple(area.community_ids),
            None if area.departements is None else tuple(sorted(area.departements)),
            area.region,
            area.departement,
            area.day,
            responses,
        )

        def sliced() -> tuple[
            Stages, Coverage, Money, list[LateDeadline], list[CrisisRow], list[IndicatorRow]
        ]:
            national = facts.national(version, today)
            of_day = facts.of_day(version, area.day)
            return facts.figures(national, of_day, area, filters, responses)

        figures = versions.cached(version, "steering.dashboard", parts, sliced)
    return Dashboard(filters, area, *figures, communities=len(area.community_ids))


def warm(today: dt.date) -> facts_module.Warmed:
    """Compute the national facts and those of every day a filter can ask (``facts.warm``), so
    that the first reader after a write does not pay for them."""
    from . import facts

    return facts.warm(today)


def reference_figures(
    area: Area, filters: Filters, responses: bool
) -> tuple[Stages, Coverage, Money, list[LateDeadline], list[CrisisRow], list[IndicatorRow]]:
    """The six figures of ``area`` computed for it alone, query by query: the reference the
    slices of the national facts are checked against, and the figures of a transaction that
    has written (no cache)."""
    return (
        stages(area),
        coverage(area),
        money(area, filters),
        late_deadlines(area),
        crises(area, filters, responses=responses),
        indicators(area, filters),
    )


def communities_in(user: User, filters: Filters, today: dt.date) -> QuerySet[Community]:
    """The communities a dashboard counts, as a queryset (for a list or an export)."""
    return Community.objects.filter(pk__in=area_of(user, filters, today).communities)
