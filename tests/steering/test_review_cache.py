"""Review of issue 19: the shared cache under a flood of territory days (``/territoire/?on=``).

* the shared table's culling (by key order) must not drop the national facts of the current
  version because many territory overviews of other days were cached;
* the territory overview on a day outside any vintage is a French message, not a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from cpts.steering import versions


@pytest.mark.django_db(transaction=True)
def test_many_territory_days_do_not_evict_the_national_facts_of_this_version() -> None:
    """The shared table keeps at most MAX_ENTRIES rows and culls the lowest keys; within a
    version « steering.* » sorts before « territory.* »: a user asking the overview of a
    thousand days (``/territoire/?on=``) must not drop the facts every dashboard needs."""
    versions.clear()
    version = versions.data_version()
    assert version is not None
    versions.cached(version, "steering.facts", (dt.date(2026, 12, 7),), lambda: "facts")
    for offset in range(1002):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=offset)
        versions.cached(version, "territory.overview", (day, None), lambda: "overview")
    versions.memory.clear()  # another process
    calls = []
    versions.cached(
        version, "steering.facts", (dt.date(2026, 12, 7),), lambda: calls.append(1) or "again"
    )
    versions.clear()
    assert calls == []  # found in the shared table, not computed again


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "1850-06-01", "9999-12-31"])
def test_the_territory_overview_on_a_far_day_is_not_a_500(
    client: Client, people: dict[str, Any], day: str
) -> None:
    client.force_login(people["national"])
    response = client.get("/territoire/", {"on": day})
    assert response.status_code in (200, 400)
    versions.clear()
