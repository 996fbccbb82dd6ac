"""The durable task queue on PostgreSQL: outbox, retries, order per key, two workers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from cpts.core import tasks
from cpts.core.models import Task, TaskStatus

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
calls: list[Any] = []
fail_times: dict[str, int] = {}


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    """Test handlers: ``test.record`` records its payload; ``test.flaky`` fails as many times as
    ``fail_times[payload['name']]`` says, then records."""
    calls.clear()
    fail_times.clear()
    saved = dict(tasks._REGISTRY)

    @tasks.register("test.record")
    def record(payload: dict[str, Any]) -> None:
        calls.append(payload["name"])

    @tasks.register("test.flaky")
    def flaky(payload: dict[str, Any]) -> None:
        name = payload["name"]
        if fail_times.get(name, 0) > 0:
            fail_times[name] -= 1
            Task.objects.create(kind="should.be.rolled.back")  # the handler's writes are undone
            raise ConnectionError(f"platform down for {name}")
        calls.append(name)

    yield
    tasks._REGISTRY.clear()
    tasks._REGISTRY.update(saved)


def _enqueue(kind: str, name: str, **options: Any) -> Task:
    options.setdefault("run_after", T0)
    return tasks.enqueue(kind, {"name": name}, **options)


@pytest.mark.django_db
def test_a_task_enqueued_in_a_rolled_back_transaction_does_not_exist() -> None:
    def write_that_fails() -> None:
        with transaction.atomic():
            _enqueue("test.record", "lost")
            raise RuntimeError("the write that caused it fails")

    with pytest.raises(RuntimeError):
        write_that_fails()
    kept = _enqueue("test.record", "kept")

    assert list(Task.objects.values_list("id", flat=True)) == [kept.pk]
    summary = tasks.run_due(now=T0)
    assert calls == ["kept"]
    assert (summary.done, summary.pending) == (1, 0)
    kept.refresh_from_db()
    assert (kept.status, kept.attempts, kept.done_at) == (TaskStatus.DONE, 1, T0)


@pytest.mark.django_db
def test_a_task_not_yet_due_waits() -> None:
    _enqueue("test.record", "later", run_after=T0 + dt.timedelta(minutes=5))
    assert tasks.run_due(now=T0).ran == 0
    assert tasks.run_due(now=T0 + dt.timedelta(minutes=5)).done == 1


@pytest.mark.django_db
def test_retries_wait_30_s_then_60_s_then_120_s_then_the_task_fails_for_good() -> None:
    task = _enqueue("test.flaky", "sas", max_attempts=4)
    fail_times["sas"] = 10

    now = T0
    expected_waits = [30, 60, 120]  # 30 s x 2 ** (attempts - 1)
    for attempt, wait in enumerate(expected_waits, start=1):
        summary = tasks.run_due(now=now)
        assert (summary.retried, summary.pending) == (1, 1)
        task.refresh_from_db()
        assert task.attempts == attempt
        assert task.status == TaskStatus.PENDING
        assert task.run_after == now + dt.timedelta(seconds=wait)
        assert task.last_error == "ConnectionError: platform down for sas"
        # one second before the retry: nothing runs
        assert tasks.run_due(now=task.run_after - dt.timedelta(seconds=1)).ran == 0
        now = task.run_after

    summary = tasks.run_due(now=now)
    assert (summary.failed, summary.pending) == (1, 0)
    task.refresh_from_db()
    assert (task.status, task.attempts, task.done_at) == (TaskStatus.FAILED, 4, None)
    assert calls == []
    assert not Task.objects.filter(kind="should.be.rolled.back").exists()
    assert tasks.run_due(now=now + dt.timedelta(days=1)).ran == 0  # failed stays failed


def test_backoff_is_capped_at_one_hour() -> None:
    assert [tasks.backoff(n).total_seconds() for n in (1, 2, 7, 8, 20)] == [
        30,
        60,
        1920,
        3600,  # 30 x 2 ** 7 = 3840 s, capped
        3600,
    ]


@pytest.mark.django_db
def test_a_retry_that_succeeds_is_done_and_clears_the_error() -> None:
    task = _enqueue("test.flaky", "once")
    fail_times["once"] = 1
    tasks.run_due(now=T0)
    tasks.run_due(now=T0 + dt.timedelta(seconds=30))
    task.refresh_from_db()
    assert (task.status, task.attempts, task.last_error) == (TaskStatus.DONE, 2, "")
    assert calls == ["once"]


@pytest.mark.django_db
def test_tasks_of_one_key_run_in_order_and_wait_for_a_failing_head() -> None:
    first = _enqueue("test.flaky", "1", ordered_key="sas:42")
    _enqueue("test.record", "2", ordered_key="sas:42")
    _enqueue("test.record", "other key", ordered_key="sas:43")
    _enqueue("test.record", "no key")
    fail_times["1"] = 1

    summary = tasks.run_due(now=T0)
    # 1 fails (retry in 30 s): 2 waits behind it; the other key and the unordered task run
    assert calls == ["other key", "no key"]
    assert (summary.done, summary.retried, summary.pending) == (2, 1, 2)
    assert tasks.run_due(now=T0 + dt.timedelta(seconds=29)).ran == 0  # 2 still waits

    tasks.run_due(now=T0 + dt.timedelta(seconds=30))
    assert calls == ["other key", "no key", "1", "2"]
    first.refresh_from_db()
    assert first.status == TaskStatus.DONE


@pytest.mark.django_db
def test_a_key_whose_head_failed_for_good_is_blocked_until_retried() -> None:
    head = _enqueue("test.flaky", "1", ordered_key="sas:42", max_attempts=1)
    second = _enqueue("test.record", "2", ordered_key="sas:42")
    fail_times["1"] = 1

    assert tasks.run_due(now=T0).failed == 1
    assert tasks.run_due(now=T0 + dt.timedelta(days=1)).ran == 0
    second.refresh_from_db()
    assert second.status == TaskStatus.PENDING
    assert tasks.blocked_keys() == ["sas:42"]
    from typer.testing import CliRunner

    from cpts.cli import app

    result = CliRunner().invoke(app, ["worker", "--once"])
    assert "1 file(s) ordonnée(s) bloquée(s) par une tâche en échec : sas:42." in result.output

    tasks.retry(head)
    tasks.run_due()
    assert calls == ["1", "2"]
    assert tasks.blocked_keys() == []


@pytest.mark.django_db
def test_an_unknown_kind_fails_with_a_clear_error_and_the_worker_goes_on() -> None:
    unknown = _enqueue("nobody.handles.this", "x", max_attempts=1)
    _enqueue("test.record", "after")

    summary = tasks.run_due(now=T0)
    assert (summary.failed, summary.done) == (1, 1)
    unknown.refresh_from_db()
    assert unknown.status == TaskStatus.FAILED
    assert "aucun traitement enregistré" in unknown.last_error
    assert "« nobody.handles.this »" in unknown.last_error
    assert calls == ["after"]


@pytest.mark.django_db
def test_the_error_hook_sees_each_failure_and_the_final_one() -> None:
    seen: list[tuple[int, bool]] = []

    @tasks.register(
        "test.hooked", on_error=lambda t, error, gave_up, exc: seen.append((t.attempts, gave_up))
    )
    def hooked(payload: dict[str, Any]) -> None:
        raise OSError("smtp down")

    _enqueue("test.hooked", "x", max_attempts=2)
    tasks.run_due(now=T0)
    tasks.run_due(now=T0 + dt.timedelta(minutes=1))
    assert seen == [(1, False), (2, True)]


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_two_threads_never_run_a_task_twice() -> None:
    runs: list[str] = []
    lock = threading.Lock()

    @tasks.register("test.slow")
    def slow(payload: dict[str, Any]) -> None:
        time.sleep(0.01)
        with lock:
            runs.append(payload["name"])

    names = [f"t{i}" for i in range(40)]
    for name in names:
        tasks.enqueue("test.slow", {"name": name})
    # an ordered key too: its five tasks must still run in order
    for i in range(5):
        tasks.enqueue("test.slow", {"name": f"k{i}"}, ordered_key="k")

    summaries: list[tasks.RunSummary] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            summaries.append(tasks.run_due(limit=1000))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(runs) == sorted(names + [f"k{i}" for i in range(5)])  # each exactly once
    assert [name for name in runs if name.startswith("k")] == [f"k{i}" for i in range(5)]
    assert sum(s.done for s in summaries) == 45
    assert all(s.done > 0 for s in summaries)  # both workers took part
    assert Task.objects.filter(status=TaskStatus.DONE).count() == 45


@pytest.mark.django_db
def test_cpts_worker_once_runs_what_is_due_and_prints_a_french_summary() -> None:
    from typer.testing import CliRunner

    from cpts.cli import app

    tasks.enqueue("test.record", {"name": "now"})
    tasks.enqueue("test.flaky", {"name": "down"})
    tasks.enqueue("test.record", {"name": "tomorrow"}, run_after=T0 + dt.timedelta(days=3650))
    fail_times["down"] = 1

    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 envoyée(s), 0 en échec, 2 en attente (dont 1 à retenter)." in result.output
    assert calls == ["now"]


@pytest.mark.django_db
def test_a_failing_error_hook_does_not_undo_the_attempt() -> None:
    def broken_hook(task: Task, error: str, gave_up: bool, exc: BaseException | None) -> None:
        raise RuntimeError("hook bug")

    @tasks.register("test.broken_hook", on_error=broken_hook)
    def failing(payload: dict[str, Any]) -> None:
        raise OSError("down")

    task = _enqueue("test.broken_hook", "x")
    assert tasks.run_due(now=T0).retried == 1
    task.refresh_from_db()
    assert (task.attempts, task.last_error) == (1, "OSError: down")
    assert task.run_after == T0 + dt.timedelta(seconds=30)


@pytest.mark.django_db
def test_a_permanent_failure_is_refused_at_once_counted_failed_and_does_not_block_its_key() -> None:
    seen: list[tuple[int, bool, str]] = []

    @tasks.register(
        "test.refused",
        on_error=lambda t, error, gave_up, exc: seen.append((t.attempts, gave_up, error)),
    )
    def refused(payload: dict[str, Any]) -> None:
        Task.objects.create(kind="should.be.rolled.back")
        raise tasks.PermanentFailure("HTTP 422 — no")

    head = _enqueue("test.refused", "head", ordered_key="k", max_attempts=5)
    _enqueue("test.record", "next", ordered_key="k")
    summary = tasks.run_due(now=T0)
    assert (summary.done, summary.failed, summary.retried, summary.pending) == (1, 1, 0, 0)
    head.refresh_from_db()
    assert (head.status, head.attempts) == (TaskStatus.REFUSED, 1)  # never retried
    assert head.last_error == "PermanentFailure: HTTP 422 — no"
    assert seen == [(1, True, "PermanentFailure: HTTP 422 — no")]
    assert calls == ["next"]  # the key goes on
    assert tasks.blocked_keys() == []
    assert not Task.objects.filter(kind="should.be.rolled.back").exists()
    assert tasks.run_due(now=T0 + dt.timedelta(days=1)).ran == 0
