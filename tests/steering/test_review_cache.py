"""Review of issue 19: the shared cache under a flood of territory days (``/territoire/?on=``).

* the shared table's culling (by key order) must not drop the national facts of the current
  version because many territory overviews of other days were cached;
* the territory overview on a day outside any vintage is a French message, not a 500.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

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
    """A day outside 2000 – five years ahead gets a French message and today's figures: each
    new day is computed and cached once, so one user must not fill the shared cache."""
    from cpts.core.dates import today

    client.force_login(people["national"])
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/territoire/", {"on": day})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choisissez une date entre le 01/01/2000 et le" in page
    assert f"Au {today():%d/%m/%Y}" in page
    assert not any(day in query["sql"] for query in captured.captured_queries)
    inside = client.get("/territoire/", {"on": "2024-02-29"}).content.decode()
    assert "Au 29/02/2024" in inside
    assert "Choisissez une date" not in inside
    versions.clear()


@pytest.mark.django_db(transaction=True)
def test_facts_computed_while_a_community_and_its_entry_commit_slice_without_error(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``facts.compute`` reads about fifteen queries; in autocommit each sees its own snapshot.
    Two communities and an entry of the second committed between the read of the communities and
    the read of the ledger gave facts whose entries name a community beyond the arrays: every
    slice of them (every dashboard of that version, from either cache level) raised IndexError,
    a 500. The facts must be read in one snapshot."""
    from cpts.communities.models import Community
    from cpts.steering import dashboards, facts
    from cpts.steering.dashboards import Filters
    from tests.steering.test_dashboards import entry

    original = facts._indicator_groups
    committed: list[int] = []

    def concurrent_write() -> None:
        from django.db import connection

        try:
            for name in ("CPTS arrivée pendant le calcul", "CPTS arrivée aussi"):
                community = Community.objects.create(
                    name=name, departement_id="59", population=50_000
                )
            entry(community, "100.00", "advance", "2026-01-15")
            committed.append(community.pk)
        finally:
            connection.close()

    def groups_after_a_commit() -> Any:
        if not committed:
            thread = threading.Thread(target=concurrent_write)
            thread.start()
            thread.join()
        return original()

    monkeypatch.setattr(facts, "_indicator_groups", groups_after_a_commit)
    today = dt.date(2026, 6, 1)
    national = facts.compute(today)
    assert committed
    area = dashboards.area_of(people["national"], Filters(), today)
    money = facts.money(national, area, Filters())  # raised IndexError
    assert money.totals.paid in (Decimal("0"), Decimal("100.00"))


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_warms_the_facts_of_a_new_day_without_a_write(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facts are keyed on ``today``: after midnight, with no write, the first dashboard
    would compute them unless the worker warms the new day too."""
    from cpts.cli.worker import SteeringWarmth, warm_steering_if_moved

    versions.clear()
    state = SteeringWarmth(every=30)
    monkeypatch.setattr("cpts.core.dates.today", lambda: dt.date(2026, 12, 7))
    first = warm_steering_if_moved(state, now=1000.0)
    assert first is not None
    monkeypatch.setattr("cpts.core.dates.today", lambda: dt.date(2026, 12, 8))
    second = warm_steering_if_moved(state, now=1031.0)
    assert second is not None
    assert second.days[0] == dt.date(2026, 12, 8)
    versions.clear()
