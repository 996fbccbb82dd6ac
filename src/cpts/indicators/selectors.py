"""Reading the stored indicators: a community's trend over periods (its contract years), with
the values of its département and of the nation computed on the same claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from cpts.claims.indicators import definitions
from cpts.communities.models import Community

from .models import Computation, ComputedIndicator, Scope


@dataclass(frozen=True)
class Period:
    """A period the trend shows (a contract year): its label and its data dates (inclusive)."""

    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class TrendRow:
    period: Period
    computation: Computation
    community: ComputedIndicator | None
    departement: ComputedIndicator | None
    national: ComputedIndicator | None


@dataclass
class Trend:
    """One indicator over the periods computed for a community."""

    code: str
    label: str
    rows: list[TrendRow] = field(default_factory=list)


def trends(community: Community, periods: Sequence[Period]) -> list[Trend]:
    """For each indicator stored for ``community`` over any of ``periods``, its values period by
    period: the community's, its département's and the nation's (None when missing)."""
    wanted = {(period.start, period.end): period for period in periods}
    own = [
        computation
        for computation in Computation.objects.filter(
            scope=Scope.COMMUNITY, community=community
        ).select_related("departement", "computed_by")
        if (computation.start, computation.end) in wanted
    ]
    if not own:
        return []
    starts = {computation.start for computation in own}
    larger = Computation.objects.filter(
        scope__in=[Scope.DEPARTEMENT, Scope.NATIONAL], start__in=starts
    )
    results: dict[tuple[str, str | None, dt.date, dt.date], dict[str, ComputedIndicator]] = {}
    for item in ComputedIndicator.objects.filter(computation__in=[*own, *larger]).select_related(
        "computation"
    ):
        computation = item.computation
        key = (
            computation.scope,
            computation.departement_id if computation.scope != Scope.COMMUNITY else None,
            computation.start,
            computation.end,
        )
        results.setdefault(key, {})[item.code] = item
    by_code: dict[str, Trend] = {}
    for computation in sorted(own, key=lambda row: row.start):
        period = wanted[(computation.start, computation.end)]
        dates = (computation.start, computation.end)
        mine = results.get((Scope.COMMUNITY, None, *dates), {})
        departement = results.get((Scope.DEPARTEMENT, computation.departement_id, *dates), {})
        national = results.get((Scope.NATIONAL, None, *dates), {})
        for code, item in mine.items():
            trend = by_code.setdefault(code, Trend(code, item.label))
            trend.rows.append(
                TrendRow(period, computation, item, departement.get(code), national.get(code))
            )
    order = {definition.code: index for index, definition in enumerate(definitions())}
    return sorted(
        by_code.values(), key=lambda trend: (order.get(trend.code, len(order)), trend.code)
    )
