"""Perimeters of communities: INSEE codes resolved, populations at a date, versions, coverage.

A perimeter lists communes and municipal arrondissements; a whole commune listed means all of its
arrondissements. Populations, overlaps and coverage are computed on « leaf units »: communes
without arrondissements, and arrondissements (so Paris listed whole and 75018 listed by another
community overlap on 75018).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.postgres.aggregates import StringAgg
from django.db import transaction
from django.db.models import Count

from cpts.aci import size_class
from cpts.core.audit import bulk_create_audited, save_audited
from cpts.territory.communes import normalise_code as normalise_code
from cpts.territory.communes import population_of, vintage_on
from cpts.territory.communes import resolve_codes as resolve_codes
from cpts.territory.communes import resolve_map as resolve_map
from cpts.territory.models import (
    Commune,
    CommunePopulation,
    Perimeter,
    PerimeterItem,
    PopulationVintage,
)

from .models import Community
from .signals import perimeter_changed


class PerimeterError(Exception):
    """A perimeter cannot be recorded; the message is for the user, in French."""


@dataclass(frozen=True)
class PerimeterChange:
    community: Community
    changed: bool
    population: int
    size_class: int
    previous_size_class: int | None
    amendment: str = ""


def current_perimeter(community: Community, day: dt.date | None = None) -> Perimeter | None:
    perimeters = community.perimeters.all()
    if day is None:
        return perimeters.filter(valid_to__isnull=True).first()
    return (
        perimeters.filter(valid_from__lte=day)
        .exclude(valid_to__lte=day)
        .order_by("-valid_from")
        .first()
    )


@transaction.atomic
def set_perimeter(
    community: Community,
    communes: list[Commune],
    valid_from: dt.date,
    source: str = "",
    user: Any = None,
) -> PerimeterChange:
    """Record a new version of the perimeter (nothing if it is the same set of codes).

    The community's population follows. Contracts are not touched here: the layers above listen
    to :data:`perimeter_changed` and propose an amendment when the change alters what a contract
    pays (a change of size class is never applied silently).
    """
    if not communes:
        raise PerimeterError(f"{community.name} : le périmètre est vide.")
    codes = {commune.code for commune in communes}
    current = current_perimeter(community)
    population = population_of(codes, valid_from)
    new_size = size_class(population, valid_from).value
    old_size = size_class(community.population, valid_from).value if community.population else None
    if current is not None and set(current.items.values_list("commune_id", flat=True)) == codes:
        return PerimeterChange(community, False, population, new_size, old_size)
    if current is not None:
        if valid_from <= current.valid_from:
            raise PerimeterError(
                f"{community.name} : le nouveau périmètre doit commencer après le {current.valid_from:%d/%m/%Y}."
            )
        current.valid_to = valid_from
        save_audited(current, user, update_fields=["valid_to"])
    perimeter = save_audited(
        Perimeter(community=community, valid_from=valid_from, source=source[:300]), user
    )
    bulk_create_audited(
        PerimeterItem,
        (PerimeterItem(perimeter=perimeter, commune=commune) for commune in communes),
        user,
    )
    community.population = population
    save_audited(community, user, update_fields=["population"])
    answers = perimeter_changed.send(
        sender=Perimeter,
        community=community,
        perimeter=perimeter,
        population=population,
        day=valid_from,
        user=user,
    )
    amendment = " ".join(str(answer) for _, answer in answers if answer)
    return PerimeterChange(community, True, population, new_size, old_size, amendment)


# --- Coverage, overlaps, white zones --------------------------------------------------------------
#
# The reference geography is static between two loads: its « leaf units » and their populations
# are indexed once per process and vintage (a few MB), so that a coverage computation only reads
# the perimeters valid on the day. One implementation serves the nation, a region or a département.


@dataclass(frozen=True)
class _Leaf:
    code: str
    commune: str  # the commune it belongs to (itself, or the city of an arrondissement)
    departement: str
    region: str
    population: int


@dataclass(frozen=True)
class _Index:
    leaves: dict[str, _Leaf]
    children: dict[str, tuple[str, ...]]  # commune with arrondissements -> its arrondissements
    names: dict[str, str]


_INDEX: dict[tuple[int, int], _Index] = {}


def _index(day: dt.date) -> _Index:
    vintage = vintage_on(day)
    year = vintage.year if vintage else 0
    size = Commune.objects.count()
    key = (year, size)
    if key not in _INDEX:
        _INDEX.clear()
        populations: dict[str, int] = (
            dict(vintage.populations.values_list("commune_id", "population")) if vintage else {}
        )
        rows = list(
            Commune.objects.values_list(
                "code", "name", "parent_id", "departement_id", "departement__region_id"
            )
        )
        children: dict[str, list[str]] = {}
        for code, _name, parent, _dep, _reg in rows:
            if parent:
                children.setdefault(parent, []).append(code)
        leaves = {}
        for code, _name, parent, departement, region in rows:
            if code in children:
                continue
            leaves[code] = _Leaf(
                code, parent or code, departement, region, populations.get(code, 0)
            )
        _INDEX[key] = _Index(
            leaves, {k: tuple(v) for k, v in children.items()}, {r[0]: r[1] for r in rows}
        )
    return _INDEX[key]


def claims_on(day: dt.date) -> dict[str, set[int]]:
    """Leaf unit -> the communities whose perimeter valid on ``day`` covers it: read once by a
    screen that shows several figures of the same day (coverage by département, overlaps, white
    zones), and given to each of them."""
    return _claims(day, _index(day))


def _claims(day: dt.date, index: _Index) -> dict[str, set[int]]:
    """Leaf unit -> the communities whose perimeter valid on ``day`` covers it."""
    rows = PerimeterItem.objects.filter(perimeter__valid_from__lte=day).exclude(
        perimeter__valid_to__lte=day
    )
    claims: dict[str, set[int]] = {}
    for community, code in rows.values_list("perimeter__community_id", "commune_id"):
        for leaf in index.children.get(code, (code,)):
            claims.setdefault(leaf, set()).add(community)
    return claims


def _in_scope(leaf: _Leaf, region: str | None, departement: str | None) -> bool:
    return (region is None or leaf.region == region) and (
        departement is None or leaf.departement == departement
    )


def coverage(
    day: dt.date,
    region: str | None = None,
    departement: str | None = None,
    claims: _Claims | None = None,
) -> dict[str, Any]:
    """Coverage figures on ``day`` for the nation, a region or a département (``claims``: the
    perimeters of the day read once by :func:`arrays_on`, for a screen showing several figures)."""
    return _series([day], region, departement, claims)[0]


def coverage_series(
    start: dt.date, end: dt.date, region: str | None = None, departement: str | None = None
) -> list[dict[str, Any]]:
    """The coverage on the first day of each month from ``start`` to ``end`` (both included):
    each point is what :func:`coverage` gives on that day."""
    return _series(_month_days(start, end), region, departement)


# The array path: the leaf units as numpy arrays (built once per process and geography), one
# population array per vintage, and the perimeter versions with their items read in one query;
# each day then selects its active versions and counts owners per leaf with ``np.bincount``.


@dataclass(frozen=True)
class _Arrays:
    listed: (
        np.ndarray
    )  # every code a perimeter may list (communes, cities, arrondissements), sorted
    first: np.ndarray  # listed code -> position of its first leaf in ``expansion``
    count: (
        np.ndarray
    )  # listed code -> how many leaves it stands for (1, or a city's arrondissements)
    expansion: np.ndarray  # leaf indices, by listed code
    codes: list[str]  # leaf index -> code
    commune: np.ndarray  # leaf index -> index of its commune (itself, or its city)
    communes: int
    commune_codes: list[str]  # commune index -> code
    names: dict[str, str]  # code (leaf or commune) -> name
    departement: np.ndarray  # leaf index -> département code (object array)
    region: np.ndarray  # leaf index -> region code (object array)
    departements: list[str]  # the département codes, sorted
    departement_index: np.ndarray  # leaf index -> position of its département in ``departements``


_ARRAYS: dict[int, _Arrays] = {}
_POPULATIONS: dict[tuple[int, int], np.ndarray] = {}


def _arrays() -> _Arrays:
    size = Commune.objects.count()
    if size not in _ARRAYS:
        _ARRAYS.clear()
        _POPULATIONS.clear()
        named = list(
            Commune.objects.order_by("code").values_list(
                "code", "parent_id", "departement_id", "departement__region_id", "name"
            )
        )
        rows = [row[:4] for row in named]
        parents = {parent for _, parent, _, _ in rows if parent}
        leaves = [row for row in rows if row[0] not in parents]
        position = {row[0]: i for i, row in enumerate(leaves)}
        commune_codes = sorted({parent or code for code, parent, _, _ in leaves})
        commune_index = {code: i for i, code in enumerate(commune_codes)}
        children: dict[str, list[int]] = {}
        for code, parent, _, _ in leaves:
            if parent:
                children.setdefault(parent, []).append(position[code])
        expansion = [children.get(code, [position.get(code, -1)]) for code, *_ in rows]
        count = np.array([len(leaf) for leaf in expansion], dtype=np.int64)
        departement_codes = sorted({row[2] for row in leaves})
        departement_position = {code: i for i, code in enumerate(departement_codes)}
        _ARRAYS[size] = _Arrays(
            listed=np.array([row[0] for row in rows]),
            first=np.cumsum(count) - count,
            count=count,
            expansion=np.array([i for leaf in expansion for i in leaf], dtype=np.int64),
            codes=[row[0] for row in leaves],
            commune=np.array(
                [commune_index[parent or code] for code, parent, _, _ in leaves], dtype=np.int64
            ),
            communes=len(commune_codes),
            commune_codes=commune_codes,
            names={row[0]: row[4] for row in named},
            departement=np.array([row[2] for row in leaves], dtype=object),
            region=np.array([row[3] for row in leaves], dtype=object),
            departements=departement_codes,
            departement_index=np.array(
                [departement_position[row[2]] for row in leaves], dtype=np.int64
            ),
        )
    return _ARRAYS[size]


def _population_array(arrays: _Arrays, year: int) -> np.ndarray:
    key = (year, len(arrays.codes))
    if key not in _POPULATIONS:
        populations = dict(
            CommunePopulation.objects.filter(vintage_id=year).values_list(
                "commune_id", "population"
            )
        )
        _POPULATIONS[key] = np.array(
            [populations.get(code, 0) for code in arrays.codes], dtype=np.int64
        )
    return _POPULATIONS[key]


def warm() -> None:
    """Build this process's arrays of the territory and the population of each vintage (what
    the first coverage figure would otherwise build; a server process calls it at start-up)."""
    arrays = _arrays()
    for year in PopulationVintage.objects.values_list("year", flat=True):
        _population_array(arrays, year)


def _vintage_year(day: dt.date, vintages: list[tuple[int, dt.date]]) -> int | None:
    """:func:`vintage_on`, on the vintages read once (``(year, in_force_from)``, oldest first)."""
    chosen = None
    for year, in_force_from in vintages:
        if in_force_from <= day:
            chosen = year
    if chosen is None and vintages:
        chosen = vintages[0][0]
    return chosen


@dataclass(frozen=True)
class _Claims:
    """The perimeter versions active on some days, as arrays: one claim (version, leaf) per leaf
    unit a version covers, and each version's community and dates."""

    arrays: _Arrays
    vintages: list[tuple[int, dt.date]]
    community: np.ndarray  # version -> dense community index
    communities: int
    ids: np.ndarray  # dense community index -> community id
    since: np.ndarray  # version -> first day (ordinal)
    until: np.ndarray  # version -> first day after (ordinal; 10**9 when open)
    version: np.ndarray  # claim -> version
    leaf: np.ndarray  # claim -> leaf index

    def population(self, day: dt.date) -> tuple[int | None, np.ndarray]:
        """The vintage in force on ``day`` and the population of each leaf unit in it."""
        size = len(self.arrays.codes)
        year = _vintage_year(day, self.vintages)
        if year is None:
            return None, np.zeros(size, np.int64)
        return year, _population_array(self.arrays, year)

    def owners(self, day: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """On ``day``: how many communities claim each leaf, and the claims (owner, leaf)."""
        size = len(self.arrays.codes)
        active = (self.since <= day.toordinal()) & (self.until > day.toordinal())
        selected = active[self.version]
        owners_of = self.community[self.version[selected]]
        leaves = self.leaf[selected]
        if np.unique(self.community[active]).size < np.count_nonzero(active):
            # two versions of one community on the same day (the database forbids it): one claim
            pairs = np.unique(owners_of * size + leaves)
            owners_of, leaves = pairs // size, pairs % size
        return np.bincount(leaves, minlength=size), owners_of, leaves


def arrays_on(day: dt.date) -> _Claims:
    """The perimeters valid on ``day`` as arrays, read once (one query) by a screen that shows
    several figures of the same day: give it to :func:`coverage`, :func:`coverage_by_departement`,
    :func:`overlapping_units`, :func:`uncovered_communes`."""
    return _claims_on([day])


def _claims_on(days: list[dt.date]) -> _Claims:
    """Every version active on one of ``days``, with its items, in one query (codes joined)."""
    arrays = _arrays()
    size = len(arrays.codes)
    vintages = list(
        PopulationVintage.objects.order_by("in_force_from").values_list("year", "in_force_from")
    )
    versions = list(
        Perimeter.objects.filter(valid_from__lte=max(days))
        .exclude(valid_to__lte=min(days))
        .annotate(codes=StringAgg("items__commune_id", delimiter=","))
        .filter(codes__isnull=False)
        .order_by()
        .values_list("community_id", "valid_from", "valid_to", "codes")
    )
    # communities as dense indices; per version, its dates as ordinals
    ids, community = np.unique(
        np.array([v[0] for v in versions], dtype=np.int64), return_inverse=True
    )
    community = community.astype(np.int64)
    since = np.array([v[1].toordinal() for v in versions], dtype=np.int64)
    until = np.array([v[2].toordinal() if v[2] else 10**9 for v in versions], dtype=np.int64)
    # items: listed code -> its leaves (a city stands for its arrondissements), by version
    listed = [v[3].split(",") for v in versions]
    flat = np.array([c for codes in listed for c in codes], dtype=arrays.listed.dtype)
    codes = np.searchsorted(arrays.listed, flat)
    items = np.repeat(np.arange(len(versions), dtype=np.int64), [len(c) for c in listed])
    lengths = arrays.count[codes]
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    leaf = arrays.expansion[np.repeat(arrays.first[codes], lengths) + offsets]
    version = np.repeat(items, lengths)
    # a commune listed whole and one of its arrondissements listed too: one claim
    keys = np.unique(version * size + leaf)
    return _Claims(
        arrays=arrays,
        vintages=vintages,
        community=community,
        communities=int(community.max()) + 1 if versions else 0,
        ids=ids,
        since=since,
        until=until,
        version=keys // size,
        leaf=keys % size,
    )


def _scope_mask(arrays: _Arrays, region: str | None, departement: str | None) -> np.ndarray:
    scope = np.ones(len(arrays.codes), dtype=bool)
    if region is not None:
        scope &= arrays.region == region
    if departement is not None:
        scope &= arrays.departement == departement
    return scope


def _series(
    days: list[dt.date],
    region: str | None,
    departement: str | None,
    claims: _Claims | None = None,
) -> list[dict[str, Any]]:
    if not days:
        return []
    claims = _claims_on(days) if claims is None else claims
    arrays = claims.arrays
    scope = _scope_mask(arrays, region, departement)
    communes = int(np.unique(arrays.commune[scope]).size)
    result = []
    for day in days:
        year, population = claims.population(day)
        owners, owners_of, leaves = claims.owners(day)
        covered_leaves = (owners > 0) & scope
        total = int(population[scope].sum())
        covered = int(population[covered_leaves].sum())
        in_scope = scope[leaves]
        touched = np.zeros(arrays.communes, dtype=bool)
        touched[arrays.commune[covered_leaves]] = True
        covered_communes = int(np.count_nonzero(touched))
        share = (
            (Decimal(covered) / Decimal(total)).quantize(Decimal("0.0001")) if total else Decimal(0)
        )
        result.append(
            {
                "date": day.isoformat(),
                "region": region,
                "departement": departement,
                "population_vintage": year,
                "communes": communes,
                "population": total,
                "communities": int(
                    np.count_nonzero(np.bincount(owners_of[in_scope], minlength=claims.communities))
                ),
                "covered_population": covered,
                "covered_share": float(share),
                "uncovered_communes": communes - covered_communes,
                "overlaps": int(np.count_nonzero(owners[scope] > 1)),
            }
        )
    return result


def _month_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of each month from ``start`` to ``end`` (both included)."""
    year, month = start.year, start.month
    if start.day > 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    days = []
    while (day := dt.date(year, month, 1)) <= end:
        days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


@dataclass(frozen=True)
class DepartementSeries:
    """The population and the covered population on the first day of each month, by
    département: ``population[m, d]`` on ``days[m]`` in ``departements[d]``. A region's or a set
    of départements' series is the sum of their columns; the series up to an earlier day is a
    prefix of the rows."""

    days: list[dt.date]
    departements: list[str]  # sorted codes (the columns)
    population: np.ndarray  # int64, months x départements
    covered: np.ndarray  # int64, months x départements

    def totals(
        self, departements: frozenset[str] | None, end: dt.date
    ) -> list[tuple[dt.date, int, int]]:
        """(day, population, covered) of each month up to ``end`` for these départements (None:
        all of them): the points of :func:`coverage_series` added up over them."""
        rows = sum(1 for day in self.days if day <= end)
        population, covered = self.population[:rows], self.covered[:rows]
        if departements is not None:
            columns = [i for i, code in enumerate(self.departements) if code in departements]
            population, covered = population[:, columns], covered[:, columns]
        population, covered = population.sum(axis=1), covered.sum(axis=1)
        return [(self.days[m], int(population[m]), int(covered[m])) for m in range(rows)]


def coverage_by_departement_series(start: dt.date, end: dt.date) -> DepartementSeries:
    """:func:`coverage_series`' population and covered population, on the same days, for every
    département at once: one query of the perimeters, then per day one ``np.bincount`` by
    département index. Summed over the départements of a region (or all), it gives that
    region's (the nation's) series (a test checks it)."""
    days = _month_days(start, end)
    arrays = _arrays()
    width = len(arrays.departements)
    population = np.zeros((len(days), width), dtype=np.int64)
    covered = np.zeros((len(days), width), dtype=np.int64)
    if days:
        claims = _claims_on(days)
        places = arrays.departement_index
        by_vintage: dict[int | None, tuple[np.ndarray, np.ndarray]] = {}
        for row, day in enumerate(days):
            year, people = claims.population(day)
            if year not in by_vintage:
                weights = people.astype(np.float64)  # exact: sums far below 2**53
                totals = np.rint(np.bincount(places, weights=weights, minlength=width))
                by_vintage[year] = (weights, totals.astype(np.int64))
            weights, population[row] = by_vintage[year]
            owners, _, _ = claims.owners(day)
            covered[row] = np.rint(
                np.bincount(places, weights=np.where(owners > 0, weights, 0.0), minlength=width)
            )
    return DepartementSeries(days, list(arrays.departements), population, covered)


def _coverage_reference(
    day: dt.date, region: str | None = None, departement: str | None = None
) -> dict[str, Any]:
    """Coverage on ``day``, leaf by leaf in Python: the reference :func:`coverage` and
    :func:`coverage_series` are checked against (tests and benchmark)."""
    index = _index(day)
    claims = _claims(day, index)
    communes: set[str] = set()
    covered_communes: set[str] = set()
    communities: set[int] = set()
    population = covered = overlaps = 0
    for leaf in index.leaves.values():
        if not _in_scope(leaf, region, departement):
            continue
        communes.add(leaf.commune)
        population += leaf.population
        owners = claims.get(leaf.code)
        if owners:
            covered += leaf.population
            covered_communes.add(leaf.commune)
            communities |= owners
            overlaps += len(owners) > 1
    vintage = vintage_on(day)
    share = (
        (Decimal(covered) / Decimal(population)).quantize(Decimal("0.0001"))
        if population
        else Decimal(0)
    )
    return {
        "date": day.isoformat(),
        "region": region,
        "departement": departement,
        "population_vintage": vintage.year if vintage else None,
        "communes": len(communes),
        "population": population,
        "communities": len(communities),
        "covered_population": covered,
        "covered_share": float(share),
        "uncovered_communes": len(communes - covered_communes),
        "overlaps": overlaps,
    }


def coverage_by_departement(
    day: dt.date, region: str | None = None, claims: _Claims | None = None
) -> list[dict[str, Any]]:
    """Coverage per département on ``day`` (for the map and its table), on the arrays of
    :func:`coverage_series`: one query of the perimeters valid on the day, then counts per
    département with ``np.bincount``. Same rows as :func:`_coverage_by_departement_reference`."""
    claims = _claims_on([day]) if claims is None else claims
    arrays = claims.arrays
    scope = _scope_mask(arrays, region, None)
    _, population = claims.population(day)
    owners, _, _ = claims.owners(day)
    places = arrays.departement_index
    width = len(arrays.departements)

    def per_departement(mask: np.ndarray, weights: np.ndarray | None = None) -> list[int]:
        counts = np.bincount(
            places[mask], weights=None if weights is None else weights[mask], minlength=width
        )
        return [round(value) for value in counts]

    leaves = per_departement(scope)
    totals = per_departement(scope, population.astype(np.float64))
    covered = per_departement(scope & (owners > 0), population.astype(np.float64))
    overlaps = per_departement(scope & (owners > 1))
    # communes: each commune once, in the département of its leaves (a city's arrondissements
    # share its département)
    commune_place = np.zeros(arrays.communes, dtype=np.int64)
    commune_place[arrays.commune] = places
    communes = np.bincount(commune_place[np.unique(arrays.commune[scope])], minlength=width)
    rows = []
    for position, code in enumerate(arrays.departements):
        if not leaves[position]:
            continue
        rows.append(
            {
                "departement": code,
                "communes": int(communes[position]),
                "population": totals[position],
                "covered_population": covered[position],
                "overlaps": overlaps[position],
                "covered_share": (
                    covered[position] / totals[position] if totals[position] else 0.0
                ),
            }
        )
    return rows


def _coverage_by_departement_reference(
    day: dt.date, region: str | None = None
) -> list[dict[str, Any]]:
    """Coverage per département, leaf by leaf in Python: the reference
    :func:`coverage_by_departement` is checked against (tests and benchmark)."""
    index = _index(day)
    claims = _claims(day, index)
    rows: dict[str, dict[str, Any]] = {}
    communes: dict[str, set[str]] = {}
    for leaf in index.leaves.values():
        if not _in_scope(leaf, region, None):
            continue
        row = rows.setdefault(
            leaf.departement,
            {
                "departement": leaf.departement,
                "communes": 0,
                "population": 0,
                "covered_population": 0,
                "overlaps": 0,
            },
        )
        communes.setdefault(leaf.departement, set()).add(leaf.commune)
        row["population"] += leaf.population
        owners = claims.get(leaf.code, ())
        if owners:
            row["covered_population"] += leaf.population
            row["overlaps"] += len(owners) > 1
    for code, row in rows.items():
        row["communes"] = len(communes[code])
        row["covered_share"] = (
            row["covered_population"] / row["population"] if row["population"] else 0.0
        )
    return [rows[code] for code in sorted(rows)]


def _overlapping_units_reference(
    day: dt.date,
    region: str | None = None,
    limit: int = 500,
    claims: dict[str, set[int]] | None = None,
) -> list[dict[str, Any]]:
    """Overlaps leaf by leaf in Python: the reference :func:`overlapping_units` is checked
    against (tests and benchmark)."""
    index = _index(day)
    claims = _claims(day, index) if claims is None else claims
    names = dict(Community.objects.values_list("pk", "name"))
    result = []
    for code in sorted(claims):
        owners = claims[code]
        leaf = index.leaves.get(code)
        if len(owners) > 1 and leaf is not None and _in_scope(leaf, region, None):
            result.append(
                {
                    "code": code,
                    "name": index.names.get(code, code),
                    "departement": leaf.departement,
                    "communities": sorted(names.get(owner, str(owner)) for owner in owners),
                }
            )
    return result[:limit]


def _uncovered_communes_reference(
    day: dt.date,
    region: str | None = None,
    departement: str | None = None,
    claims: dict[str, set[int]] | None = None,
) -> list[dict[str, Any]]:
    """White zones leaf by leaf in Python: the reference :func:`uncovered_communes` is checked
    against (tests and benchmark)."""
    index = _index(day)
    claims = _claims(day, index) if claims is None else claims
    totals: dict[str, int] = {}
    touched: set[str] = set()
    places: dict[str, str] = {}
    for leaf in index.leaves.values():
        if not _in_scope(leaf, region, departement):
            continue
        totals[leaf.commune] = totals.get(leaf.commune, 0) + leaf.population
        places[leaf.commune] = leaf.departement
        if leaf.code in claims:
            touched.add(leaf.commune)
    rows = [
        {
            "code": code,
            "name": index.names.get(code, code),
            "departement": places[code],
            "population": population,
        }
        for code, population in totals.items()
        if code not in touched
    ]
    return sorted(rows, key=lambda row: (-row["population"], row["code"]))


def overlapping_units(
    day: dt.date, region: str | None = None, limit: int = 500, claims: _Claims | None = None
) -> list[dict[str, Any]]:
    """Communes or arrondissements claimed by two communities or more, for the ARS to settle
    (by code), on the arrays: the leaves with two owners or more, their owners' names read for
    them only. Same rows as :func:`_overlapping_units_reference`."""
    claims = _claims_on([day]) if claims is None else claims
    arrays = claims.arrays
    owners, owners_of, leaves = claims.owners(day)
    shared = (owners > 1) & _scope_mask(arrays, region, None)
    chosen = np.flatnonzero(shared)[:limit]  # leaves are in the order of their codes
    selected = np.isin(leaves, chosen)
    ids = claims.ids[owners_of[selected]]
    names = dict(Community.objects.filter(pk__in=ids.tolist()).values_list("pk", "name"))
    by_leaf: dict[int, list[str]] = {}
    for leaf, owner in zip(leaves[selected].tolist(), ids.tolist(), strict=True):
        by_leaf.setdefault(leaf, []).append(names.get(owner, str(owner)))
    return [
        {
            "code": arrays.codes[leaf],
            "name": arrays.names.get(arrays.codes[leaf], arrays.codes[leaf]),
            "departement": arrays.departement[leaf],
            "communities": sorted(by_leaf[leaf]),
        }
        for leaf in chosen.tolist()
    ]


def uncovered_communes(
    day: dt.date,
    region: str | None = None,
    departement: str | None = None,
    claims: _Claims | None = None,
) -> list[dict[str, Any]]:
    """Communes no community covers, even in part (largest first), on the arrays: a commune is
    touched when one of its leaves has an owner. Same rows as
    :func:`_uncovered_communes_reference`."""
    claims = _claims_on([day]) if claims is None else claims
    arrays = claims.arrays
    _, population = claims.population(day)
    owners, _, _ = claims.owners(day)
    scope = _scope_mask(arrays, region, departement)
    in_scope = np.zeros(arrays.communes, dtype=bool)
    in_scope[arrays.commune[scope]] = True
    touched = np.zeros(arrays.communes, dtype=bool)
    touched[arrays.commune[scope & (owners > 0)]] = True
    totals = np.bincount(
        arrays.commune[scope], weights=population[scope], minlength=arrays.communes
    )
    place = np.empty(arrays.communes, dtype=object)
    place[arrays.commune] = arrays.departement
    rows = [
        {
            "code": arrays.commune_codes[index],
            "name": arrays.names.get(arrays.commune_codes[index], arrays.commune_codes[index]),
            "departement": place[index],
            "population": round(totals[index]),
        }
        for index in np.flatnonzero(in_scope & ~touched).tolist()
    ]
    return sorted(rows, key=lambda row: (-row["population"], row["code"]))


def communities_summary(day: dt.date, region: str | None = None) -> list[dict[str, Any]]:
    """Each community with a perimeter on ``day``: name, population, size class, number of codes."""
    perimeters = (
        Perimeter.objects.filter(valid_from__lte=day)
        .exclude(valid_to__lte=day)
        .select_related("community__departement")
    )
    if region:
        perimeters = perimeters.filter(community__departement__region_id=region)
    counts = dict(
        PerimeterItem.objects.filter(perimeter__in=perimeters)
        .values("perimeter_id")
        .annotate(n=Count("id"))
        .values_list("perimeter_id", "n")
    )
    result = []
    for perimeter in perimeters.order_by("community__name"):
        community = perimeter.community
        result.append(
            {
                "name": community.name,
                "finess": community.finess or None,
                "departement": community.departement_id,
                "population": community.population,
                "size_class": size_class(community.population, day).value,
                "codes": counts.get(perimeter.pk, 0),
                "valid_from": perimeter.valid_from.isoformat(),
            }
        )
    return result
