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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast

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
from cpts.crises.models import CrisisActivation, HealthCrisis
from cpts.payments import ledger
from cpts.territory.models import Departement, Region

from . import dashboards as d
from . import versions

# --- The facts ------------------------------------------------------------------------------------


class YearFact(NamedTuple):
    """A contract year the money counts (the engine's total) or refuses (``total`` None)."""

    community: int
    start: dt.date
    size: str  # the size class, as the row « by size class » is keyed
    total: Decimal | None
    buckets: tuple[tuple[str, Decimal], ...]  # amounts by row « by mission », in line order


@dataclass(frozen=True)
class YearTable:
    """The contract years as columns (one row each): what the money « committed » adds up."""

    community: np.ndarray  # int64 community id
    start: np.ndarray  # int64 ordinal of the first day
    year: np.ndarray  # int64 calendar year of the first day
    refused: np.ndarray  # bool: the engine refuses the year's facts
    size: np.ndarray  # int64 index in ``Facts.size_keys``
    total: np.ndarray  # int64 cents
    buckets: np.ndarray  # int64 cents, years x ``BUCKETS``
    present: np.ndarray  # bool, years x ``BUCKETS``: the year has a line in that row


@dataclass(frozen=True)
class EntryTable:
    """The ledger's entries grouped by community, booking day, status, contract year and sign,
    as columns: what ``ledger.totals`` and the rows « paid, recovered » add up."""

    community: np.ndarray  # int64
    booked: np.ndarray  # bool: has a booking day (paid_on)
    day: np.ndarray  # int64 ordinal of paid_on (0 without)
    year: np.ndarray  # int64 year of paid_on (0 without)
    paid: np.ndarray  # bool: status paid
    due: np.ndarray  # bool: status due
    sign: np.ndarray  # int64 sign of the amounts
    cents: np.ndarray  # int64 sum of the amounts
    #: the entry's contract year as recorded: its contract's community (``NONE``: none recorded),
    #: the contract's signature (ordinal) and the size class (index in ``size_keys``, -1: none)
    size_community: np.ndarray
    size_signed: np.ndarray
    size: np.ndarray


@dataclass(frozen=True)
class IndicatorTable:
    """The indicators' counts by community, contract signature, start year and mission."""

    community: np.ndarray
    signed: np.ndarray  # ordinal of the contract's signature
    year: np.ndarray  # the calendar year the contract year starts
    mission: np.ndarray  # index in ``MISSION_CHOICES``
    total: np.ndarray
    measured: np.ndarray
    met: np.ndarray


@dataclass(frozen=True)
class CrisisFact:
    pk: int
    title: str
    region: str
    region_name: str
    declared_on: dt.date
    ended_on: dt.date | None
    departements: frozenset[str]  # named ones (none: the whole region)
    activated: frozenset[int]  # communities that activated their plan


@dataclass(frozen=True)
class Facts:
    """Everything the money, coverage, indicator and crisis figures add up, for every community
    (columns as numpy arrays: a slice is a few masks and sums; amounts in cents, exact)."""

    today: dt.date
    communities: int  # the arrays indexed by community id have this length (ids below it)
    region: np.ndarray  # community id -> index in ``regions`` (-1: no community)
    departement_of: dict[int, str]  # community -> département
    regions: list[str]  # region codes
    region_names: dict[str, str]
    departement_regions: dict[str, str]  # département -> region
    size_keys: list[str]  # the keys of the rows « by size class » (« 3 », …)
    years: YearTable  # contract years starting on or before ``today``
    entries: EntryTable
    indicators: IndicatorTable
    crises: tuple[CrisisFact, ...]  # declared on or before ``today``, latest first
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


#: the rows « by mission » of the money, in the order the dashboard shows them
BUCKETS = tuple(d.BUCKET_LABELS)
MISSIONS = [code for code, _ in MISSION_CHOICES]
NONE = -1


def _cents(amount: Decimal) -> int:
    """An amount in cents: the engine and the ledger round every amount to the cent."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(scaled)


def _euros(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _array(values: Iterable[Any], dtype: Any = np.int64) -> np.ndarray:
    return np.fromiter(values, dtype=dtype)


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Every query of the block in one snapshot: in autocommit each query would see its own, and
    facts read across a commit do not fit together (a ledger entry of a community created after
    the communities were read lies beyond the arrays indexed by community: every slice raised
    IndexError). A transaction of its own, REPEATABLE READ, taken after the data version was read
    (its snapshot sees at least what the version counts). Inside a transaction already: its own."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:  # the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def compute(today: dt.date) -> Facts:
    """The national facts on ``today`` (about fifteen queries, in one snapshot)."""
    with one_snapshot():
        return _compute(today)


def _compute(today: dt.date) -> Facts:
    communities = list(Community.objects.values_list("pk", "departement_id"))
    departement_regions = dict(Departement.objects.values_list("code", "region_id"))
    regions = sorted(set(departement_regions.values()))
    region_position = {code: i for i, code in enumerate(regions)}
    size = max((pk for pk, _ in communities), default=0) + 2  # the last slot: « none »
    region = np.full(size, -1, dtype=np.int64)
    for pk, departement in communities:
        region[pk] = region_position[departement_regions[departement]]
    groups = _indicator_groups()
    years = _years(today, _digests(groups))
    entries = _entries()
    recorded: dict[tuple[int, int], tuple[int, dt.date, int | None]] = {
        (contract, number): (community, signed_on, size_class)
        for contract, number, community, signed_on, size_class in ContractYear.objects.values_list(
            "contract_id", "number", "contract__community_id", "contract__signed_on",
            "size_class",
        )
    }  # fmt: skip
    size_keys = sorted(
        {fact.size for fact in years}
        | {str(size_class) for _, _, size_class in recorded.values() if size_class is not None}
    )
    size_index = {key: i for i, key in enumerate(size_keys)}
    return Facts(
        today=today,
        communities=size,
        region=region,
        departement_of=dict(communities),
        regions=regions,
        region_names=dict(Region.objects.values_list("code", "name")),
        departement_regions=departement_regions,
        size_keys=size_keys,
        years=_year_table(years, size_index),
        entries=_entry_table(entries, recorded, size_index, size - 1),
        indicators=_indicator_table(groups),
        crises=_crisis_facts(today),
        coverage=perimeters.coverage_by_departement_series(d.SERIES_START, today),
    )


def _year_table(years: tuple[YearFact, ...], size_index: dict[str, int]) -> YearTable:
    buckets = np.zeros((len(years), len(BUCKETS)), dtype=np.int64)
    present = np.zeros((len(years), len(BUCKETS)), dtype=bool)
    position = {bucket: i for i, bucket in enumerate(BUCKETS)}
    for row, fact in enumerate(years):
        for bucket, amount in fact.buckets:
            buckets[row, position[bucket]] = _cents(amount)
            present[row, position[bucket]] = True
    return YearTable(
        community=_array(fact.community for fact in years),
        start=_array(fact.start.toordinal() for fact in years),
        year=_array(fact.start.year for fact in years),
        refused=_array((fact.total is None for fact in years), bool),
        size=_array(size_index.get(fact.size, NONE) for fact in years),
        total=_array(0 if fact.total is None else _cents(fact.total) for fact in years),
        buckets=buckets,
        present=present,
    )


def _entry_table(
    entries: tuple[tuple[int, dt.date | None, str, int | None, int | None, int, Decimal], ...],
    recorded: dict[tuple[int, int], tuple[int, dt.date, int | None]],
    size_index: dict[str, int],
    none: int,
) -> EntryTable:
    sizes = [
        recorded.get((contract, number)) if contract is not None and number is not None else None
        for _, _, _, contract, number, _, _ in entries
    ]
    return EntryTable(
        community=_array(row[0] for row in entries),
        booked=_array((row[1] is not None for row in entries), bool),
        day=_array(0 if row[1] is None else row[1].toordinal() for row in entries),
        year=_array(0 if row[1] is None else row[1].year for row in entries),
        paid=_array((row[2] == "paid" for row in entries), bool),
        due=_array((row[2] == "due" for row in entries), bool),
        sign=_array(row[5] for row in entries),
        cents=_array(_cents(row[6]) for row in entries),
        size_community=_array(none if size is None else size[0] for size in sizes),
        size_signed=_array(0 if size is None else size[1].toordinal() for size in sizes),
        size=_array(
            NONE if size is None or size[2] is None else size_index[str(size[2])] for size in sizes
        ),
    )


def _indicator_table(groups: list[IndicatorGroup]) -> IndicatorTable:
    position = {code: i for i, code in enumerate(MISSIONS)}
    known = [row for row in groups if row[4] in position]  # the dashboard lists known missions
    return IndicatorTable(
        community=_array(row[1] for row in known),
        signed=_array(row[2].toordinal() for row in known),
        year=_array(row[2].year + row[3] - 1 for row in known),  # as dashboards.indicators
        mission=_array(position[row[4]] for row in known),
        total=_array(row[5] for row in known),
        measured=_array(row[6] for row in known),
        met=_array(row[7] for row in known),
    )


def _crisis_facts(today: dt.date) -> tuple[CrisisFact, ...]:
    named: dict[int, set[str]] = defaultdict(set)
    for crisis, departement in HealthCrisis.departements.through.objects.values_list(
        "healthcrisis_id", "departement_id"
    ):
        named[crisis].add(departement)
    activated: dict[int, set[int]] = defaultdict(set)
    for crisis, community in CrisisActivation.objects.values_list("crisis_id", "community_id"):
        activated[crisis].add(community)
    return tuple(
        CrisisFact(
            pk,
            title,
            region,
            region_name,
            declared_on,
            ended_on,
            frozenset(named[pk]),
            frozenset(activated[pk]),
        )
        for pk, title, region, region_name, declared_on, ended_on in HealthCrisis.objects.filter(
            declared_on__lte=today
        )
        .order_by("-declared_on", "-pk")
        .values_list("pk", "title", "region_id", "region__name", "declared_on", "ended_on")
    )


# Two memos within the process, so that a version after a write reads again only what changed:
# a closed year's amounts by row « by mission » keyed on the row's identity and ``xmin`` (the id
# of the transaction that wrote this version of the row: any update of the row changes it; xids
# are unique in the cluster, and the database's name is in the key too), and an open year's
# projection keyed on its facts with its indicators as an MD5 digest, computed by PostgreSQL, of
# their identities and ``xmin`` (an insert, update or delete of any of them changes it).
_CLOSED: dict[tuple[str, int, str], tuple[tuple[str, Decimal], ...]] = {}
_OPEN: dict[tuple[Any, ...], tuple[Decimal, tuple[tuple[str, Decimal], ...]] | None] = {}
MEMO_BOUND = 100_000
_UNSEEN = object()


def _bounded(memo: dict[Any, Any]) -> None:
    if len(memo) > MEMO_BOUND:
        memo.clear()


def _closed_buckets(today: dt.date) -> dict[tuple[int, int], tuple[tuple[str, Decimal], ...]]:
    """(contract, number) -> amounts by row « by mission » of every closed year of a contract
    signed on or before ``today``: the lines' amounts summed by code by PostgreSQL (the JSON is
    never decoded here), read only for the rows not seen before in this version."""
    database = str(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT year.id, year.xmin::text, year.contract_id, year.number
            FROM {ContractYear._meta.db_table} year
            JOIN {Contract._meta.db_table} contract ON contract.id = year.contract_id
            WHERE year.total IS NOT NULL AND contract.signed_on <= %s
            """,
            [today],
        )
        rows = cursor.fetchall()
        known: dict[int, tuple[tuple[str, Decimal], ...]] = {}  # read once: another thread may
        for pk, xmin, _, _ in rows:  # clear the memo meanwhile
            found = _CLOSED.get((database, pk, xmin))
            if found is not None:
                known[pk] = found
        missing = [pk for pk, _, _, _ in rows if pk not in known]
        if missing:
            lines: dict[tuple[int, str], list[tuple[str, Decimal]]] = defaultdict(list)
            cursor.execute(
                f"""
                SELECT year.id, year.xmin::text, line.value->>'code',
                       sum((line.value->>'amount')::numeric), min(line.ordinality)
                FROM {ContractYear._meta.db_table} year
                CROSS JOIN LATERAL jsonb_array_elements(
                    CASE WHEN jsonb_typeof(year.result->'lines') = 'array'
                         THEN year.result->'lines' ELSE '[]'::jsonb END
                ) WITH ORDINALITY AS line(value, ordinality)
                WHERE year.id = ANY(%s)
                GROUP BY 1, 2, 3
                ORDER BY 1, 5
                """,
                [missing],
            )
            for pk, xmin, code, amount, _ in cursor.fetchall():
                lines[pk, xmin].append((code, amount))
            _bounded(_CLOSED)
            for pk, xmin, _, _ in rows:
                if pk not in known:
                    known[pk] = _CLOSED[database, pk, xmin] = _buckets(lines.get((pk, xmin), ()))
    return {(contract, number): known[pk] for pk, _, contract, number in rows}


IndicatorGroup = tuple[int, int, dt.date, int, str, int, int, int, str | None]


def _indicator_groups() -> list[IndicatorGroup]:
    """The indicators grouped by contract year and mission, in one pass: (contract, community,
    signed on, number, mission, total, measured with an objective, met, digest). The counts
    are :func:`dashboards.indicators`'; the digest (an open year's only: None once closed) is an
    MD5 of the identities and ``xmin`` of the group's rows: any insert, update or delete of one
    of them changes it (``xmin`` is the transaction that wrote the row's version)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT i.contract_id, contract.community_id, contract.signed_on, i.contract_year,
                   i.mission, count(*),
                   count(*) FILTER (WHERE {MEASURED}),
                   count(*) FILTER (WHERE {MEASURED} AND (
                       (NOT i.lower_is_better AND i.measured_value >= i.objective)
                       OR (i.lower_is_better AND i.measured_value <= i.objective))),
                   md5(string_agg(i.id::text || ':' || i.xmin::text, ',' ORDER BY i.id)
                       FILTER (WHERE year.id IS NULL))
            FROM {Indicator._meta.db_table} i
            JOIN {Contract._meta.db_table} contract ON contract.id = i.contract_id
            LEFT JOIN {ContractYear._meta.db_table} year
                ON year.contract_id = i.contract_id AND year.number = i.contract_year
                AND year.total IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            """
        )
        return list(cursor.fetchall())


MEASURED = "i.measured_value IS NOT NULL AND i.objective IS NOT NULL"


def _digests(groups: list[IndicatorGroup]) -> dict[tuple[int, int], tuple[tuple[str, str], ...]]:
    """(contract, number) -> the digests of its indicators by mission (open years only)."""
    found: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for contract, _, _, number, mission, *_, digest in groups:
        if digest is not None:
            found[contract, number].append((mission, digest))
    return {key: tuple(sorted(value)) for key, value in found.items()}


def _years(
    today: dt.date, digests: dict[tuple[int, int], tuple[tuple[str, str], ...]]
) -> tuple[YearFact, ...]:
    """Every contract year starting on or before ``today``, as :func:`dashboards.money` counts
    it: a closed year's total and lines as recorded, an open year's from the engine on its facts
    (memoised on them; its indicators read only when its digest is new)."""
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
    closed = _closed_buckets(today)
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
    crises = d._crisis_dates({row[1]: (row[5], row[6]) for row in contracts})
    tree = default_tree()
    # first pass: the closed years, and the open ones' keys (their indicators as a digest)
    planned: list[tuple[int, dt.date, Any, Any]] = []  # community, start, closed or key, ...
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
                fact = YearFact(
                    community_id,
                    dates.start,
                    str(year_row[4]),
                    year_row[-1],
                    closed.get((pk, number), ()),
                )
                planned.append((community_id, dates.start, fact, None))
                continue
            size = (
                year_row[4]
                if year_row is not None
                else d._size_on(amendments.get(pk, ()), terms[1], dates.start)
            )
            key = (
                signed_on,
                tuple(terms),
                number,
                year_row,
                tuple(amendments.get(pk, ())),
                tuple(missions.get(pk, ())),
                digests.get((pk, number)),
                crises[community_id],
            )
            planned.append((community_id, dates.start, (pk, key), str(size)))
    # the open years not seen before with these facts: their indicators, then the engine
    projections: dict[tuple[Any, ...], Any] = {}  # read once: another thread may clear the memo
    for _, _, plan, size in planned:
        if size is not None and (found := _OPEN.get(plan[1], _UNSEEN)) is not _UNSEEN:
            projections[plan[1]] = found
    wanted = {plan for _, _, plan, size in planned if size is not None}
    wanted = {(pk, key) for pk, key in wanted if key not in projections}
    if wanted:
        indicators = _open_indicators({(pk, key[2]) for pk, key in wanted})
        _bounded(_OPEN)
        for pk, key in wanted:
            signed_on, terms, number, year_row, amended, missioned, _, crisis = key
            projections[key] = _OPEN[key] = d._projected(
                d._YearKey(
                    signed_on,
                    terms,
                    number,
                    year_row,
                    amended,
                    missioned,
                    tuple(indicators.get((pk, number), ())),
                    crisis,
                )
            )
    facts: list[YearFact] = []
    for community_id, start, found, size in planned:
        if size is None:
            facts.append(found)
            continue
        projected = projections[found[1]]
        if projected is None:
            facts.append(YearFact(community_id, start, "", None, ()))
        else:
            total, lines = projected
            facts.append(YearFact(community_id, start, size, total, _buckets(lines)))
    return tuple(facts)


def _open_indicators(years: set[tuple[int, int]]) -> dict[tuple[int, int], list[tuple[Any, ...]]]:
    """The indicators of these (contract, number) years, as the engine's stand-ins read them."""
    contracts = {contract for contract, _ in years}
    closed = ContractYear.objects.filter(
        contract_id=OuterRef("contract_id"), number=OuterRef("contract_year"), total__isnull=False
    )
    found: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        Indicator.objects.filter(contract_id__in=contracts)
        .exclude(Exists(closed))
        .annotate(tiers_text=Cast("tiers", TextField()))  # as text: hashable, decoded on demand
        .order_by("contract_year", "mission", "pk")
        .values_list("contract_id", *d.INDICATOR_FIELDS[:8], "tiers_text", *d.INDICATOR_FIELDS[9:])
    ):
        if (row[0], row[1]) in years:
            found[row[0], row[1]].append(row[1:])
    return found


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


def compute_day(day: dt.date) -> DayFacts:
    """The facts of ``day`` for every community (about ten queries, in one snapshot)."""
    with one_snapshot():
        return _compute_day(day)


def _compute_day(day: dt.date) -> DayFacts:
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
    rows = [dict(row) for row in day_facts.map_rows]  # copies: the facts stay as computed
    if area.region is not None:
        rows = [
            row
            for row in rows
            if facts.departement_regions.get(str(row["departement"])) == area.region
        ]
    if area.departements is not None:
        rows = [row for row in rows if row["departement"] in area.departements]
    return d.Coverage(points, rows)


def _members(facts: Facts, area: d.Area) -> np.ndarray:
    """Community id -> in the area (the last slot, « none », never is)."""
    members = np.zeros(facts.communities, dtype=bool)
    ids = np.asarray(area.community_ids, dtype=np.int64)
    members[ids[ids < facts.communities - 1]] = True  # a community newer than the facts: none
    return members


def _sums(keys: np.ndarray, values: np.ndarray) -> dict[int, int]:
    """values added up by key (every key present, even with a zero sum)."""
    found, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(found), dtype=np.int64)
    np.add.at(sums, inverse, values)
    return {int(key): int(total) for key, total in zip(found, sums, strict=True)}


def money(facts: Facts, area: d.Area, filters: d.Filters) -> d.Money:
    members = _members(facts, area)
    day, year = area.day.toordinal(), filters.year
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

    # committed: the contract years of the area started on or before the day (that year)
    years = facts.years
    chosen = members[years.community] & (years.start <= day)
    if year is not None:
        chosen &= years.year == year
    refused = int(np.count_nonzero(chosen & years.refused))
    counted = chosen & ~years.refused
    totals = years.total[counted]
    for key, cents in _sums(years.year[counted], totals).items():
        row(by_year, str(key), str(key)).committed += _euros(cents)
    regions = facts.region[years.community[counted]]
    for index, cents in _sums(regions, totals).items():
        code = facts.regions[index]
        row(by_region, code, names.get(code, code)).committed += _euros(cents)
    for index, cents in _sums(years.size[counted], totals).items():
        size_key = facts.size_keys[index]
        row(by_size, size_key, f"Taille {size_key}").committed += _euros(cents)
    present = years.present[counted].any(axis=0)
    amounts = years.buckets[counted].sum(axis=0)
    for position, bucket in enumerate(BUCKETS):
        if present[position]:
            row(by_mission, bucket, d.BUCKET_LABELS[bucket]).committed += _euros(amounts[position])
    # the ledger's totals: entries booked on or before the day, or still due (that year)
    entries = facts.entries
    mine = members[entries.community]
    if year is not None:
        counts = mine & entries.booked & (entries.year == year)
    else:
        counts = mine & ((entries.booked & (entries.day <= day)) | entries.due)

    def total(mask: np.ndarray) -> Decimal:
        return _euros(entries.cents[mask].sum()) or Decimal(0)

    ledger_totals = ledger.Totals(
        paid=total(counts & entries.paid),
        due=total(counts & entries.due & (entries.sign > 0)),
        to_recover=-total(counts & entries.due & (entries.sign < 0)),
        recovered=-total(counts & entries.paid & (entries.sign < 0)),
    )
    # paid and recovered by year booked, region and size class (the contract year's, recorded)
    booked = mine & entries.paid & entries.booked & (entries.day <= day)
    if year is not None:
        booked &= entries.year == year
    positive = np.where(entries.sign > 0, entries.cents, 0)[booked]
    negative = np.where(entries.sign < 0, entries.cents, 0)[booked]

    def add(table: dict[str, d.MoneyRow], key: str, label: str, paid: int, back: int) -> None:
        found = row(table, key, label)
        found.paid += _euros(paid)
        found.recovered += -_euros(back)

    booked_years = entries.year[booked]
    back = _sums(booked_years, negative)
    for booked_year, paid in _sums(booked_years, positive).items():
        add(by_year, str(booked_year), str(booked_year), paid, back[booked_year])
    booked_regions = facts.region[entries.community[booked]]
    back = _sums(booked_regions, negative)
    for index, paid in _sums(booked_regions, positive).items():
        code = facts.regions[index]
        add(by_region, code, names.get(code, code), paid, back[index])
    recorded = (
        (entries.size != NONE) & members[entries.size_community] & (entries.size_signed <= day)
    )[booked]
    sizes = np.where(recorded, entries.size[booked], NONE)
    back = _sums(sizes, negative)
    for index, paid in _sums(sizes, positive).items():
        if index == NONE:
            label = "Accélérateur et autres écritures sans année contractuelle"
            add(by_size, "-", label, paid, back[index])
        else:
            size_key = facts.size_keys[index]
            add(by_size, size_key, f"Taille {size_key}", paid, back[index])
    return d.Money(
        committed=d.ZERO + _euros(totals.sum()),
        totals=ledger_totals,
        by_year=[by_year[key] for key in sorted(by_year)],
        by_region=sorted(by_region.values(), key=lambda r: r.key),
        by_size_class=sorted(by_size.values(), key=lambda r: r.key),
        by_mission=[by_mission[key] for key in d.BUCKET_LABELS if key in by_mission],
        refused=refused,
        years=int(np.count_nonzero(counted)),
    )


def late_deadlines(day_facts: DayFacts, area: d.Area) -> list[d.LateDeadline]:
    rows = [row for pk in area.community_ids for row in day_facts.late.get(pk, ())]
    return sorted(rows, key=lambda r: (r.due, r.community, r.mission, r.step))


def indicators(facts: Facts, area: d.Area, filters: d.Filters) -> list[d.IndicatorRow]:
    table = facts.indicators
    chosen = _members(facts, area)[table.community] & (table.signed <= area.day.toordinal())
    if filters.year is not None:
        chosen &= table.year == filters.year
    missions = table.mission[chosen]
    width = len(MISSIONS)
    present = np.bincount(missions, minlength=width)
    counts = [
        np.bincount(missions, weights=column[chosen], minlength=width)
        for column in (table.total, table.measured, table.met)
    ]
    return [
        d.IndicatorRow(code, label, *(round(column[i]) for column in counts))
        for i, (code, label) in enumerate(MISSION_CHOICES)
        if present[i]
    ]


def crises(facts: Facts, area: d.Area, filters: d.Filters, responses: bool) -> list[d.CrisisRow]:
    """:func:`dashboards.crises` on the facts: the crises declared in the area by the day (that
    year), the communities of the area each concerns, how many activated their plan."""
    by_departement: dict[str, set[int]] = defaultdict(set)
    by_region: dict[str, set[int]] = defaultdict(set)
    for pk in area.community_ids:
        departement = facts.departement_of.get(pk)
        if departement is not None:
            by_departement[departement].add(pk)
            by_region[facts.departement_regions[departement]].add(pk)
    regions = (
        None
        if area.departements is None
        else {facts.departement_regions[code] for code in area.departements}
    )
    rows = []
    for crisis in facts.crises:
        if crisis.declared_on > area.day:
            continue
        if regions is not None and crisis.region not in regions:
            continue
        if filters.year is not None and crisis.declared_on.year != filters.year:
            continue
        if crisis.departements:
            concerned = set().union(*(by_departement[code] for code in crisis.departements))
        else:
            concerned = by_region[crisis.region]
        if (
            area.departements is not None
            and crisis.departements
            and not crisis.departements & area.departements
        ):
            continue  # a crisis of other départements of the region
        activated = len(crisis.activated & concerned) if responses else 0
        rows.append(
            d.CrisisRow(
                crisis.pk,
                crisis.title,
                crisis.region_name,
                crisis.declared_on,
                crisis.ended_on,
                len(concerned),
                activated,
            )
        )
    return rows


def figures(
    facts: Facts, day_facts: DayFacts, area: d.Area, filters: d.Filters, responses: bool
) -> tuple[
    d.Stages, d.Coverage, d.Money, list[d.LateDeadline], list[d.CrisisRow], list[d.IndicatorRow]
]:
    """The six figures of an area, sliced from the facts."""
    return (
        stages(day_facts, area),
        coverage(facts, day_facts, area),
        money(facts, area, filters),
        late_deadlines(day_facts, area),
        crises(facts, area, filters, responses),
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
