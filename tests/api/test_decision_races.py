"""A CPAM decision (``PUT /api/v1/indicators/{id}/decision``) racing the closing of its year, on
PostgreSQL with real threads and connections: the decision takes the contract's row lock, as the
closing does, so it lands before the closing (which then sees it) or finds the year closed (a
French 400); never a 500, never a change to a closed year."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.contracts import engine, services
from cpts.contracts.models import ContractYear, Evaluation, Indicator

CLOSED_ON = dt.date(2024, 1, 20)


def accept_both(world: dict[str, Any]) -> None:
    for item in (world["rate"], world["patients"]):
        item.refresh_from_db()
        services.decide_indicator(item, world["cpam"], True, "", timezone.localdate())


def refuse(token: str, indicator: Indicator) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
    return client.put(
        f"/api/v1/indicators/{indicator.pk}/decision",
        {"verdict": "refused", "reason": "Objectif non atteint"},
        content_type="application/json",
    )


def blocked_on_a_lock() -> bool:
    """Another connection of this database waits for a lock (the one held here)."""
    with connection.cursor() as cursor:
        # the activity is read once per transaction unless the snapshot is cleared
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def closed_year_is_what_the_closing_saw(world: dict[str, Any]) -> None:
    """The year's kept total is the one its indicators give now: nothing moved after the close."""
    contract = world["contract"]
    contract.refresh_from_db()
    kept = ContractYear.objects.get(contract=contract, number=1)
    evaluation = Evaluation.objects.get(contract=contract, contract_year=1)
    assert evaluation.status == Evaluation.Status.CLOSED
    assert kept.total == engine.compute(contract, 1, final=True).total
    assert kept.result == evaluation.result


@pytest.mark.django_db(transaction=True)
def test_a_decision_during_a_closing_waits_then_is_refused(world: dict[str, Any]) -> None:
    """The closing holds the contract's lock (not yet committed) when the decision comes: the
    decision waits for it, then finds the year closed. Without the lock, the decision would slip
    a refusal into the year being closed, after the closing computed its total."""
    accept_both(world)
    contract, cpam, rate = world["contract"], world["cpam"], world["rate"]
    token = tokens.issue(cpam)
    closing_holds_the_lock = threading.Event()
    decision_done = threading.Event()
    statuses: list[int] = []
    details: list[str] = []
    failures: list[BaseException] = []

    def close() -> None:
        try:
            with transaction.atomic():
                services.close_evaluation(contract, 1, cpam, CLOSED_ON)
                closing_holds_the_lock.set()
                deadline = time.monotonic() + 30
                while not decision_done.is_set() and not blocked_on_a_lock():
                    assert time.monotonic() < deadline, "the decision neither waited nor ended"
                    time.sleep(0.01)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
            closing_holds_the_lock.set()
        finally:
            connection.close()

    def decide() -> None:
        try:
            closing_holds_the_lock.wait(30)
            response = refuse(token, rate)
            statuses.append(response.status_code)
            details.append(response.json().get("detail", ""))
        finally:
            decision_done.set()
            connection.close()

    threads = [threading.Thread(target=close), threading.Thread(target=decide)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert statuses == [400], (statuses, details)
    assert "close" in details[0]
    rate.refresh_from_db()
    assert rate.verdict == Indicator.Verdict.ACCEPTED
    assert not Indicator.history.filter(id=rate.pk, verdict=Indicator.Verdict.REFUSED).exists()
    closed_year_is_what_the_closing_saw(world)


@pytest.mark.django_db(transaction=True)
def test_a_decision_and_a_closing_at_the_same_moment(world: dict[str, Any]) -> None:
    """Both through the API at once: the decision lands first (200, the closing counts the
    refusal) or after (400); the closing succeeds either way; no 500; the closed year is what its
    indicators give."""
    accept_both(world)
    contract, cpam, rate = world["contract"], world["cpam"], world["rate"]
    token = tokens.issue(cpam)
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def close() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
            barrier.wait()
            statuses["close"] = client.post(
                f"/api/v1/contracts/{contract.pk}/years/1/close",
                {"closed_on": CLOSED_ON.isoformat()},
                content_type="application/json",
            ).status_code
        finally:
            connection.close()

    def decide() -> None:
        try:
            barrier.wait()
            statuses["decide"] = refuse(token, rate).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=close), threading.Thread(target=decide)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses["close"] == 200, statuses
    assert statuses["decide"] in (200, 400), statuses
    rate.refresh_from_db()
    expected = (
        Indicator.Verdict.REFUSED if statuses["decide"] == 200 else Indicator.Verdict.ACCEPTED
    )
    assert rate.verdict == expected
    closed_year_is_what_the_closing_saw(world)
