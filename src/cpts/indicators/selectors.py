"""Reading the stored indicators: a community's trend over periods (its contract years), with
the values of its département and of the nation computed with it, on the same claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q

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
    period: the community's, and those of the département and the nation computed with it (None
    when missing). A period's computation begins on its first day and ends on its last, or
    earlier for a year computed while in progress (``TrendRow.computation`` has the real
    dates)."""
    wanted = {period.start: period for period in periods}
    own: dict[dt.date, Computation] = {}
    for computation in Computation.objects.filter(
        scope=Scope.COMMUNITY, community=community, start__in=list(wanted)
    ).select_related("departement", "computed_by"):
        if computation.end > wanted[computation.start].end:
            continue
        kept = own.get(computation.start)
        if kept is None or computation.end > kept.end:
            own[computation.start] = computation
    if not own:
        return []
    results: dict[tuple[int, str], dict[str, ComputedIndicator]] = {}
    for item in ComputedIndicator.objects.filter(
        Q(computation__in=own.values()) | Q(computation__owner__in=own.values())
    ).select_related("computation"):
        computation = item.computation
        key = (computation.owner_id or computation.pk, computation.scope)
        results.setdefault(key, {})[item.code] = item
    by_code: dict[str, Trend] = {}
    for start, computation in sorted(own.items()):
        period = wanted[start]
        mine = results.get((computation.pk, Scope.COMMUNITY), {})
        departement = results.get((computation.pk, Scope.DEPARTEMENT), {})
        national = results.get((computation.pk, Scope.NATIONAL), {})
        for code, item in mine.items():
            trend = by_code.setdefault(code, Trend(code, item.label))
            trend.rows.append(
                TrendRow(period, computation, item, departement.get(code), national.get(code))
            )
    order = {definition.code: index for index, definition in enumerate(definitions())}
    return sorted(
        by_code.values(), key=lambda trend: (order.get(trend.code, len(order)), trend.code)
    )
