"""The warm-up of the national facts (``dashboards.warm``, ``manage.py warm_steering``) and the
dashboards through the cache: after the warm-up a dashboard reads none of the expensive tables; a
committed write moves the version and the facts are computed again with it; a transaction that
has written sees its own write (no cache).

Transactional tests: the version is what *committed* transactions wrote (see test_versions.py)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cpts.accounts.models import User
from cpts.steering import dashboards, versions
from cpts.steering.dashboards import Filters
from tests.steering.test_dashboards import entry, steering  # noqa: F401  (the fixture)


def expensive_reads(user: User, filters: Filters, today: dt.date) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        dashboards.dashboard(user, filters, today)
    return [
        query["sql"]
        for query in captured.captured_queries
        if "contracts_contractyear" in query["sql"] or "contracts_payment" in query["sql"]
    ]


@pytest.mark.django_db(transaction=True)
def test_after_the_warm_up_a_dashboard_reads_no_expensive_table(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    versions.clear()
    today = dt.date(2026, 6, 1)
    national = steering["national"]
    assert expensive_reads(national, Filters(), today)  # computed: the facts read them
    versions.clear()
    warmed = dashboards.warm(today)
    assert warmed.version is not None
    assert warmed.days[0] == today
    assert dt.date(2025, 12, 31) in warmed.days
    for user, filters in (
        (national, Filters()),
        (national, Filters(year=2024)),
        (steering["ars"], Filters()),
        (steering["cpam"], Filters(year=2025)),
    ):
        assert expensive_reads(user, filters, today) == []
    # a committed write moves the version: the facts are computed again, with the write in them
    paid = dashboards.dashboard(national, Filters(), today).money.totals.paid
    entry(steering["toulouse"], "250.00", "adjustment", "2026-05-02", reason="Test",
          created_by=steering["admin"])  # fmt: skip
    assert expensive_reads(national, Filters(), today)
    after = dashboards.dashboard(national, Filters(), today).money.totals.paid
    assert after == paid + Decimal("250.00")


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_wrote_sees_its_own_write_and_fills_no_cache(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    versions.clear()
    today = dt.date(2026, 6, 1)
    national = steering["national"]
    dashboards.warm(today)
    before = dashboards.dashboard(national, Filters(), today)
    with transaction.atomic():
        entry(steering["nord"], "700.00", "advance", "2026-04-01", contract_year=3,
              contract=steering["contract"])  # fmt: skip
        assert versions.data_version() is None
        inside = dashboards.dashboard(national, Filters(), today)
        assert inside.money.totals.paid == before.money.totals.paid + Decimal("700.00")
        by_year = {row.key: row.paid for row in inside.money.by_year}
        assert by_year["2026"] == Decimal("700.00")
        transaction.set_rollback(True)
    assert dashboards.dashboard(national, Filters(), today).money == before.money


@pytest.mark.django_db(transaction=True)
def test_the_warm_steering_command_says_what_it_did(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    versions.clear()
    out = io.StringIO()
    call_command("warm_steering", today="2026-06-01", stdout=out)
    text = out.getvalue()
    assert "Faits nationaux du pilotage calculés" in text
    assert "2026-06-01" in text
    assert "2025-12-31" in text
    assert "2019-12-31" in text
    assert expensive_reads(steering["national"], Filters(), dt.date(2026, 6, 1)) == []


@pytest.mark.django_db
def test_the_warm_steering_command_refuses_a_bad_day_in_french() -> None:
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("warm_steering", today="2026-13-01", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_warms_the_facts_again_when_a_write_committed(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    """``cpts worker``'s loop (``warm_steering_if_moved``): warms when the version moved, at
    most once every ``every`` seconds, and not again for the same version."""
    from cpts.cli.worker import SteeringWarmth, warm_steering_if_moved
    from cpts.core.dates import today

    versions.clear()
    state = SteeringWarmth(every=30)
    first = warm_steering_if_moved(state, now=1000.0)
    assert first is not None
    assert first.version == versions.data_version()
    assert expensive_reads(steering["national"], Filters(), today()) == []  # found warm
    assert warm_steering_if_moved(state, now=1031.0) is None  # same version: nothing to do
    entry(steering["toulouse"], "250.00", "adjustment", "2026-05-02", reason="Test",
          created_by=steering["admin"])  # fmt: skip
    assert warm_steering_if_moved(state, now=1040.0) is None  # too soon after the last look
    versions.memory.clear()  # the server process: its level 1 is its own
    second = warm_steering_if_moved(state, now=1062.0)
    assert second is not None
    assert second.version != first.version
    assert expensive_reads(steering["national"], Filters(), today()) == []  # from level 2
    assert warm_steering_if_moved(SteeringWarmth(every=0), now=2000.0) is None  # switched off
