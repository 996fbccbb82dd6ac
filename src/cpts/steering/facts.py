"""National facts: the expensive part of the steering dashboards, computed once per data version
for the whole country; every dashboard is then a cheap slice of them.

Two kinds of facts, each cached under the data version (:func:`versions.cached`):

* :class:`Facts` (``"steering.facts"``, keyed on the day ``today``): per community and contract
  year, what the money figures add up (the year's total and its amounts by row « by mission »,
  the refused years), the ledger's entries grouped by community, booking day, status, contract
  year and sign, the indicators' counts by community, contract, start year and mission, and the
  coverage by month and département since :data:`dashboards.SERIES_START`. A filter asks for the
  figures on ``today`` or on December 31 of a past year: every fact carries its date, the slice
  keeps those on or before the day (the coverage series up to a past day is a prefix).
* :class:`DayFacts` (``"steering.day"``, keyed on the day the figures are taken): what depends on
  that day for every community (stage, accélérateur, latest contract, late deadlines, the map's
  rows by département).

The facts are never shown as such: a dashboard keeps the communities of its area
(``area.community_ids``, the scope ``cpts.accounts.access`` decides) and the départements of its
territory, and nothing else. The per-area functions of :mod:`cpts.steering.dashboards` stay the
reference: ``tests/steering/test_facts.py`` checks every slice against them (money to the cent).
They also serve a transaction that has written (no data version, no cache): for one area they
cost less than the national facts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, TextField
from django.db.models.functions import Cast, ExtractYear

from cpts.aci import contract_year as contract_year_dates
from cpts.aci import default_tree
from cpts.communities import perimeters
from cpts.communities.models import Community
from cpts.contracts.models import (
    MISSION_CHOICES,
    AcceleratorGrant,
    Amendment,
    Contract,
    ContractYear,
    Indicator,
    MissionCommitment,
)
from cpts.contracts.workflow import Stage, stages_of
from cpts.payments import ledger
from cpts.territory.models import Departement, Region

from . import dashboards as d
from . import versions

# --- The facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearFact:
    """A contract year the money counts (the engine's total) or refuses (``total`` None)."""

    community: int
    start: dt.date
    size: str  # the size class, as the row « by size class » is keyed
    total: Decimal | None
    buckets: tuple[tuple[str, Decimal], ...]  # amounts by row « by mission », in line order


@dataclass(frozen=True)
class Facts:
    """Everything the money, coverage and indicator figures add up, for every community."""

    today: dt.date
    region_of: dict[int, str]  # community -> region code
    region_names: dict[str, str]
    departement_regions: dict[str, str]  # département -> region
    years: tuple[YearFact, ...]  # contract years starting on or before ``today``
    #: ledger entries grouped: (community, paid_on, status, contract, contract year, sign) -> sum
    entries: tuple[tuple[int, dt.date | None, str, int | None, int | None, int, Decimal], ...]
    #: (contract, contract year number) -> (contract's community, signed on, recorded size class)
    sizes: dict[tuple[int, int], tuple[int, dt.date, int | None]]
    #: indicators: (community, contract signed on, start year, mission, total, measured, met)
    indicators: tuple[tuple[int, dt.date, int, str, int, int, int], ...]
    coverage: perimeters.DepartementSeries


@dataclass(frozen=True)
class DayFacts:
    """What the stages, late deadlines and map depend on, on one day, for every community."""

    day: dt.date
    stages: dict[int, Stage]
    accelerator: dict[int, int]  # community -> grants on or before the day
    latest: dict[int, tuple[bool, bool]]  # community -> (renews one, terminated by the day)
    late: dict[int, tuple[d.LateDeadline, ...]]
    map_rows: tuple[dict[str, object], ...]  # perimeters.coverage_by_departement, national


# --- Computing them -------------------------------------------------------------------------------


def compute(today: dt.date) -> Facts:
    """The national facts on ``today`` (about a dozen queries)."""
    communities = list(Community.objects.values_list("pk", "departement_id"))
    departement_regions = dict(Departement.objects.values_list("code", "region_id"))
    region_of = {pk: departement_regions[departement] for pk, departement in communities}
    return Facts(
        today=today,
        region_of=region_of,
        region_names=dict(Region.objects.values_list("code", "name")),
        departement_regions=departement_regions,
        years=_years(today),
        entries=_entries(),
        sizes={
            (contract, number): (community, signed_on, size)
            for contract, number, community, signed_on, size in ContractYear.objects.values_list(
                "contract_id",
                "number",
                "contract__community_id",
                "contract__signed_on",
                "size_class",
            )
        },
        indicators=_indicators(),
        coverage=perimeters.coverage_by_departement_series(d.SERIES_START, today),
    )


def _years(today: dt.date) -> tuple[YearFact, ...]:
    """Every contract year starting on or before ``today``, as :func:`dashboards.money` counts
    it: a closed year's total and lines as recorded (the lines' amounts summed by code in SQL,
    the JSON never decoded here), an open year's from the engine on its facts (memoised)."""
    signed = Contract.objects.filter(signed_on__lte=today)
    contracts = list(
        signed.order_by("pk").values_list(
            "pk", "community_id", "signed_on", "ends_on", "terminated_on",
            "community__departement_id", "community__departement__region_id",
            *d.SIGNATURE_FIELDS,
        )
    )  # fmt: skip
    years = d._grouped(
        ContractYear.objects.filter(contract__signed_on__lte=today).values_list(
            "contract_id", *d.YEAR_FIELDS
        )
    )
    closed: dict[tuple[int, int], list[tuple[str, Decimal]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT year.contract_id, year.number, line.value->>'code',
                   sum((line.value->>'amount')::numeric), min(line.ordinality)
            FROM {ContractYear._meta.db_table} year
            JOIN {Contract._meta.db_table} contract ON contract.id = year.contract_id
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(year.result->'lines') = 'array'
                     THEN year.result->'lines' ELSE '[]'::jsonb END
            ) WITH ORDINALITY AS line(value, ordinality)
            WHERE year.total IS NOT NULL AND contract.signed_on <= %s
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 5
            """,
            [today],
        )
        for contract, number, code, amount, _ in cursor.fetchall():
            closed[contract, number].append((code, amount))
    open_years = ContractYear.objects.filter(
        contract_id=OuterRef("contract_id"), number=OuterRef("contract_year"), total__isnull=False
    )
    amendments = d._grouped(
        Amendment.objects.filter(contract__signed_on__lte=today, status=Amendment.Status.APPLIED)
        .order_by("pk")
        .values_list("contract_id", *d.AMENDMENT_FIELDS)
    )
    missions = d._grouped(
        MissionCommitment.objects.filter(contract__signed_on__lte=today)
        .order_by("pk")
        .values_list("contract_id", *d.MISSION_FIELDS)
    )
    indicators: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for found in (
        Indicator.objects.filter(contract__signed_on__lte=today)
        .exclude(Exists(open_years))  # a closed year's indicators: its total is recorded
        .annotate(tiers_text=Cast("tiers", TextField()))
        .order_by("contract_year", "mission", "pk")
        .values_list("contract_id", *d.INDICATOR_FIELDS[:8], "tiers_text", *d.INDICATOR_FIELDS[9:])
    ):
        indicators[found[0], found[1]].append(found[1:])
    crises = d._crisis_dates({row[1]: (row[5], row[6]) for row in contracts})
    tree = default_tree()
    facts: list[YearFact] = []
    for pk, community_id, signed_on, ends_on, terminated_on, _, _, *terms in contracts:
        period_end = terminated_on or ends_on
        recorded = {year[0]: year for year in years.get(pk, [])}
        duration = tree.at("agreement.contract_duration_years", signed_on).integer()
        for number in range(1, duration + 1):
            dates = contract_year_dates(signed_on, number)
            if dates.start >= period_end or dates.start > today:
                break
            year_row = recorded.get(number)
            if year_row is not None and year_row[-1] is not None:
                lines = [(code, amount) for code, amount in closed.get((pk, number), ())]
                facts.append(
                    YearFact(
                        community_id, dates.start, str(year_row[4]), year_row[-1], _buckets(lines)
                    )
                )
                continue
            projected = d._projected(
                d._YearKey(
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
                facts.append(YearFact(community_id, dates.start, "", None, ()))
                continue
            total, engine_lines = projected
            size = (
                year_row[4]
                if year_row is not None
                else d._size_on(amendments.get(pk, ()), terms[1], dates.start)
            )
            facts.append(
                YearFact(community_id, dates.start, str(size), total, _buckets(engine_lines))
            )
    return tuple(facts)


def _buckets(lines: Iterable[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    """A year's lines summed by row « by mission » (each row present if any line is in it)."""
    sums: dict[str, Decimal] = {}
    for code, amount in lines:
        bucket = d._bucket(code)
        sums[bucket] = sums.get(bucket, d.ZERO) + amount
    return tuple(sums.items())


def _entries() -> tuple[tuple[int, dt.date | None, str, int | None, int | None, int, Decimal], ...]:
    """The ledger's entries grouped by community, booking day, status, contract year and sign
    (one query): what ``ledger.totals`` and the booked rows add up, for any day and year."""
    from cpts.contracts.models import Payment

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT community_id, paid_on, status, contract_id, contract_year,
                   sign(amount)::integer, sum(amount)
            FROM {Payment._meta.db_table}
            GROUP BY 1, 2, 3, 4, 5, 6
            """
        )
        return tuple(cursor.fetchall())


def _indicators() -> tuple[tuple[int, dt.date, int, str, int, int, int], ...]:
    """The indicators' counts (total, with a value and an objective, met) by community, contract
    signature, start year and mission, as :func:`dashboards.indicators` counts them."""
    measured = Q(measured_value__isnull=False, objective__isnull=False)
    met = measured & (
        Q(lower_is_better=False, measured_value__gte=F("objective"))
        | Q(lower_is_better=True, measured_value__lte=F("objective"))
    )
    return tuple(
        Indicator.objects.annotate(
            community=F("contract__community_id"),
            signed_on=F("contract__signed_on"),
            start_year=ExtractYear("contract__signed_on") + F("contract_year") - 1,
        )
        .values("community", "signed_on", "start_year", "mission")
        .annotate(
            total=Count("pk"), measured=Count("pk", filter=measured), met=Count("pk", filter=met)
        )
        .order_by()
        .values_list("community", "signed_on", "start_year", "mission", "total", "measured", "met")
    )


def compute_day(day: dt.date) -> DayFacts:
    """The facts of ``day`` for every community (about ten queries)."""
    everyone = Community.objects.values("pk")
    ids = list(Community.objects.values_list("pk", flat=True))
    accelerator = Counter(
        AcceleratorGrant.objects.filter(granted_on__lte=day).values_list("community_id", flat=True)
    )
    latest = {
        community: (renews is not None, terminated_on is not None and terminated_on <= day)
        for community, renews, terminated_on in Contract.objects.filter(signed_on__lte=day)
        .order_by("community_id", "-signed_on")
        .distinct("community_id")
        .values_list("community_id", "renews_id", "terminated_on")
    }
    in_force = (
        Contract.objects.filter(signed_on__lte=day)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=day))
        .filter(ends_on__gt=day)
    )
    missions = d._grouped(
        MissionCommitment.objects.filter(contract_id__in=in_force.values("pk"))
        .order_by("pk")
        .values_list("contract_id", *d.MISSION_FIELDS)
    )
    late: dict[int, list[d.LateDeadline]] = defaultdict(list)
    for pk, community_id, name, signed_on in in_force.values_list(
        "pk", "community_id", "community__name", "signed_on"
    ):
        for mission, step, due in d._overdue(signed_on, day, tuple(missions.get(pk, ()))):
            late[community_id].append(
                d.LateDeadline(
                    community_id,
                    name,
                    d.MISSION_LABELS.get(mission, mission),
                    step,
                    due,
                    (day - due).days,
                )
            )
    return DayFacts(
        day=day,
        stages=stages_of(ids, day, among=everyone),
        accelerator=dict(accelerator),
        latest=latest,
        late={community: tuple(rows) for community, rows in late.items()},
        map_rows=tuple(perimeters.coverage_by_departement(day)),
    )


# --- Slicing them ---------------------------------------------------------------------------------


def stages(day_facts: DayFacts, area: d.Area) -> d.Stages:
    by_community = [day_facts.stages[pk] for pk in area.community_ids if pk in day_facts.stages]
    counts = Counter(by_community)
    rows = [d.StageCount(stage.value, stage.label, counts.get(stage, 0)) for stage in Stage]
    renewed = terminated = 0
    accelerator = 0
    for pk in area.community_ids:
        accelerator += day_facts.accelerator.get(pk, 0)
        found = day_facts.latest.get(pk)
        if found is not None:
            renewed += found[0]
            terminated += found[1]
    return d.Stages(rows, len(by_community), accelerator, renewed, terminated)


def coverage(facts: Facts, day_facts: DayFacts, area: d.Area) -> d.Coverage:
    if area.departements is not None and not area.departements:
        points: list[d.CoveragePoint] = []  # no territory: no series
    else:
        points = [
            d.CoveragePoint(day, population, covered)
            for day, population, covered in facts.coverage.totals(area.departements, area.day)
        ]
    rows = list(day_facts.map_rows)
    if area.region is not None:
        rows = [
            row
            for row in rows
            if facts.departement_regions.get(str(row["departement"])) == area.region
        ]
    if area.departements is not None:
        rows = [row for row in rows if row["departement"] in area.departements]
    return d.Coverage(points, rows)


def money(facts: Facts, area: d.Area, filters: d.Filters) -> d.Money:
    ids = set(area.community_ids)
    day, year = area.day, filters.year
    by_year: dict[str, d.MoneyRow] = {}
    by_region: dict[str, d.MoneyRow] = {}
    by_size: dict[str, d.MoneyRow] = {}
    by_mission: dict[str, d.MoneyRow] = {}
    names = facts.region_names

    def row(table: dict[str, d.MoneyRow], key: str, label: str) -> d.MoneyRow:
        found = table.get(key)
        if found is None:
            found = table[key] = d.MoneyRow(key, label)
        return found

    committed = d.ZERO
    refused = counted = 0
    for fact in facts.years:
        if fact.community not in ids or fact.start > day:
            continue
        if year is not None and fact.start.year != year:
            continue
        if fact.total is None:
            refused += 1
            continue
        counted += 1
        committed += fact.total
        key = str(fact.start.year)
        row(by_year, key, key).committed += fact.total
        region = facts.region_of[fact.community]
        row(by_region, region, names.get(region, region)).committed += fact.total
        row(by_size, fact.size, f"Taille {fact.size}").committed += fact.total
        for bucket, amount in fact.buckets:
            row(by_mission, bucket, d.BUCKET_LABELS[bucket]).committed += amount
    paid = due = to_recover = recovered = d.ZERO
    booked: dict[tuple[int, str, int | None, int | None], list[Decimal | None]] = {}
    for community, paid_on, status, contract, number, sign, amount in facts.entries:
        if community not in ids:
            continue
        if year is not None:
            counts = paid_on is not None and paid_on.year == year
        else:
            counts = (paid_on is not None and paid_on <= day) or status == "due"
        if counts:
            if status == "paid":
                paid += amount
                if sign < 0:
                    recovered += amount
            elif status == "due":
                if sign > 0:
                    due += amount
                elif sign < 0:
                    to_recover += amount
        if status != "paid" or paid_on is None or paid_on > day:
            continue
        if year is not None and paid_on.year != year:
            continue
        region = facts.region_of[community]
        sums = booked.setdefault((paid_on.year, region, contract, number), [None, None])
        if sign > 0:
            sums[0] = amount if sums[0] is None else sums[0] + amount
        elif sign < 0:
            sums[1] = amount if sums[1] is None else sums[1] + amount
    for (booked_year, region, contract, number), (positive, negative) in booked.items():
        key = str(booked_year)
        d._add(row(by_year, key, key), positive, negative)
        d._add(row(by_region, region, names.get(region, region)), positive, negative)
        size = None
        if contract is not None and number is not None:
            recorded = facts.sizes.get((contract, number))
            if recorded is not None and recorded[0] in ids and recorded[1] <= day:
                size = recorded[2]
        if size is None:
            label = "Accélérateur et autres écritures sans année contractuelle"
            d._add(row(by_size, "-", label), positive, negative)
        else:
            d._add(row(by_size, str(size), f"Taille {size}"), positive, negative)
    totals = ledger.Totals(
        paid=paid or Decimal(0),
        due=due or Decimal(0),
        to_recover=-(to_recover or Decimal(0)),
        recovered=-(recovered or Decimal(0)),
    )
    return d.Money(
        committed=committed,
        totals=totals,
        by_year=[by_year[key] for key in sorted(by_year)],
        by_region=sorted(by_region.values(), key=lambda r: r.key),
        by_size_class=sorted(by_size.values(), key=lambda r: r.key),
        by_mission=[by_mission[key] for key in d.BUCKET_LABELS if key in by_mission],
        refused=refused,
        years=counted,
    )


def late_deadlines(day_facts: DayFacts, area: d.Area) -> list[d.LateDeadline]:
    rows = [row for pk in area.community_ids for row in day_facts.late.get(pk, ())]
    return sorted(rows, key=lambda r: (r.due, r.community, r.mission, r.step))


def indicators(facts: Facts, area: d.Area, filters: d.Filters) -> list[d.IndicatorRow]:
    ids = set(area.community_ids)
    counts: dict[str, list[int]] = {}
    for community, signed_on, start_year, mission, total, measured, met in facts.indicators:
        if community not in ids or signed_on > area.day:
            continue
        if filters.year is not None and start_year != filters.year:
            continue
        found = counts.setdefault(mission, [0, 0, 0])
        found[0] += total
        found[1] += measured
        found[2] += met
    return [
        d.IndicatorRow(code, label, *counts[code])
        for code, label in MISSION_CHOICES
        if code in counts
    ]


def figures(
    facts: Facts, day_facts: DayFacts, area: d.Area, filters: d.Filters, responses: bool
) -> tuple[
    d.Stages, d.Coverage, d.Money, list[d.LateDeadline], list[d.CrisisRow], list[d.IndicatorRow]
]:
    """The six figures of an area, sliced from the facts (the crises: computed for the area,
    a few small queries)."""
    return (
        stages(day_facts, area),
        coverage(facts, day_facts, area),
        money(facts, area, filters),
        late_deadlines(day_facts, area),
        d.crises(area, filters, responses=responses),
        indicators(facts, area, filters),
    )


# --- Cached, and warmed up ------------------------------------------------------------------------


def national(version: int | None, today: dt.date) -> Facts:
    """The national facts on ``today``, cached under the data version."""
    return versions.cached(version, "steering.facts", (today,), lambda: compute(today))


def of_day(version: int | None, day: dt.date) -> DayFacts:
    """The facts of ``day``, cached under the data version."""
    return versions.cached(version, "steering.day", (day,), lambda: compute_day(day))


def days(today: dt.date) -> list[dt.date]:
    """Every day a filter can take the figures on: ``today``, and December 31 of each past year
    since the first of the coverage series."""
    return [today] + [dt.date(year, 12, 31) for year in range(d.SERIES_START.year, today.year)]


@dataclass(frozen=True)
class Warmed:
    version: int | None
    days: list[dt.date]
    seconds: float


def warm(today: dt.date) -> Warmed:
    """Compute (or find in the cache) the national facts and the facts of every day a filter can
    ask, so that the first reader after a write does not pay for them."""
    started = time.perf_counter()
    version = versions.data_version()
    national(version, today)
    wanted = days(today)
    for day in wanted:
        of_day(version, day)
    return Warmed(version, wanted, time.perf_counter() - started)
