"""The cache of the steering figures keyed on the data version (``cpts.steering.versions``): a
write committed through a service shows at once (the version moved, the cache misses); a second
read with no write in between reads no figure (only the version and the communities counted); a
transaction that wrote neither reads nor fills the cache; every watched table bumps the version.

Transactional tests: the version is what *committed* transactions wrote, so the writes here must
really commit (a test wrapped in one transaction that wrote would never use the cache)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cpts.communities import perimeters
from cpts.contracts import services
from cpts.steering import dashboards, versions
from cpts.steering.dashboards import Filters
from cpts.territory.models import Commune
from tests.steering.test_dashboards import steering  # noqa: F401  (the fixture)

TODAY = dt.date(2026, 6, 1)


def national_board(data: dict[str, Any]) -> tuple[dashboards.Dashboard, int]:
    with CaptureQueriesContext(connection) as captured:
        board = dashboards.dashboard(data["national"], Filters(), TODAY)
    return board, len(captured)


def area_queries(data: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboards.area_of(data["national"], Filters(), TODAY)
    return len(captured)


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_shows_at_once_and_a_second_read_hits_the_cache(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    cache.clear()
    first, computed = national_board(steering)
    assert first.stages.total == 4
    stage = {row.stage: row.count for row in first.stages.rows}
    # a second read, nothing written: the version and the communities, no figure
    second, hit = national_board(steering)
    assert hit == area_queries(steering) + 1 < computed
    assert second.stages == first.stages
    assert second.money == first.money
    assert second.coverage == first.coverage
    assert second.late == first.late
    # a write through a service (Lens files its letter of intent), committed: seen at once
    before = versions.data_version()
    services.file_letter_of_intent(
        steering["lens"], steering["admin"], dt.date(2025, 1, 6), "Lettre"
    )
    assert versions.data_version() != before
    third, missed = national_board(steering)
    assert missed > hit
    after = {row.stage: row.count for row in third.stages.rows}
    assert after != stage
    assert sum(after.values()) == sum(stage.values()) == 4
    # and read again with no write: from the cache
    fourth, hit_again = national_board(steering)
    assert hit_again == hit
    assert fourth.stages == third.stages


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_wrote_bypasses_the_cache(steering: dict[str, Any]) -> None:  # noqa: F811
    cache.clear()
    first, _ = national_board(steering)
    stage = {row.stage: row.count for row in first.stages.rows}
    seen: dict[str, Any] = {}

    def write_then_fail() -> None:
        with transaction.atomic():
            services.file_letter_of_intent(
                steering["lens"], steering["admin"], dt.date(2025, 1, 6), "Lettre"
            )
            seen["version"] = versions.data_version()  # None: this transaction wrote
            seen["board"], seen["queries"] = national_board(steering)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert seen["version"] is None
    inside, computed = seen["board"], seen["queries"]
    assert {row.stage: row.count for row in inside.stages.rows} != stage  # its own write
    # rolled back: what the cache holds is the committed state, untouched by the rollback
    after, hit = national_board(steering)
    assert hit == area_queries(steering) + 1 < computed
    assert {row.stage: row.count for row in after.stages.rows} == stage


@pytest.mark.django_db(transaction=True)
def test_the_territory_overview_follows_a_perimeter_change(
    steering: dict[str, Any],  # noqa: F811
    client: Any,
) -> None:
    cache.clear()
    client.force_login(steering["national"])
    url = f"/territoire/?on={TODAY:%Y-%m-%d}"
    first = client.get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as computed:
        client.get(url)
    before = first.context["totals"]
    lens = Commune.objects.get(code="62498")
    perimeters.set_perimeter(steering["lens"], [lens], dt.date(2024, 1, 1), user=steering["admin"])
    with CaptureQueriesContext(connection) as missed:
        after = client.get(url).context["totals"]
    assert len(missed) > len(computed)  # the figures were read again
    assert after["communities"] == before["communities"] + 1
    assert after["covered_population"] > before["covered_population"]
    assert after == perimeters.coverage(TODAY)  # what the figures say with no cache


@pytest.mark.django_db
def test_every_watched_table_bumps_the_version() -> None:
    tables = {
        model._meta.db_table
        for label in versions.WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgtype & 2 <> 0 FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = 'cpts_data_version'"
        )
        found = cursor.fetchall()
    watched = {name for name, _ in found}
    assert tables - watched == set()
    assert all(before for _, before in found)  # the slot is taken before any row is locked
