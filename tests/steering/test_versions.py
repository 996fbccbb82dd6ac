"""The cache of the steering figures keyed on the data version (``cpts.steering.versions``): a
write committed through a service shows at once (the version moved, the cache misses); a second
read with no write in between reads no figure (only the version and the communities counted); a
transaction that wrote neither reads nor fills the cache; every watched table bumps the version.

Transactional tests: the version is what *committed* transactions wrote, so the writes here must
really commit (a test wrapped in one transaction that wrote would never use the cache)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
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
    versions.clear()
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
    versions.clear()
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
    versions.clear()
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


# --- the two levels: the process's memory, the table shared by the server processes ---------------


@dataclass(frozen=True)
class Figures:
    label: str
    amounts: tuple[Decimal, ...]


VALUE = Figures("national", (Decimal("1234.56"), Decimal("0.01")))


class Counted:
    """A compute that counts its calls (across threads)."""

    def __init__(self, value: Any = VALUE) -> None:
        self.value = value
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            self.calls += 1
        return self.value


def shared_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {versions.SHARED_TABLE}")
        return int(cursor.fetchone()[0])


def advisory_locks(*, granted: bool, mine: bool = False) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = %s "
            "AND (NOT %s OR pid = pg_backend_pid())",
            [granted, mine],
        )
        return int(cursor.fetchone()[0])


def until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to reach a state (polling; the assertions are elsewhere)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.01)


def in_thread(target: Callable[[], Any], results: dict[str, Any], name: str) -> threading.Thread:
    """``target`` in a thread of its own, hence with its own connection (closed at the end)."""

    def run() -> None:
        try:
            results[name] = target()
        except BaseException as error:  # reported to the test
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_value_computed_by_one_process_is_read_back_by_another() -> None:
    versions.clear()
    version = versions.data_version()
    compute = Counted()
    assert versions.cached(version, "test.figures", ("x", 1), compute) == VALUE
    assert compute.calls == 1
    assert shared_rows() == 1
    # another process: its memory is empty, the shared table has it
    versions.memory.clear()
    with CaptureQueriesContext(connection) as captured:
        again = versions.cached(version, "test.figures", ("x", 1), compute)
    assert compute.calls == 1
    assert again == VALUE
    assert again is not compute.value  # unpickled from the table
    assert len(captured) == 1  # one SELECT of the table
    # and now from its memory: the object itself, no query
    with CaptureQueriesContext(connection) as captured:
        third = versions.cached(version, "test.figures", ("x", 1), compute)
    assert third is again
    assert len(captured) == 0
    # other parts, or a newer version: missed in both levels
    versions.cached(version, "test.figures", ("x", 2), compute)
    assert compute.calls == 2
    assert version is not None
    versions.cached(version + 1, "test.figures", ("x", 1), compute)
    assert compute.calls == 3
    assert versions.cache_key(version, "test.figures", ("x", 1)) not in versions.memory


def test_level_1_is_bounded_keeps_the_recently_used_and_the_newest_version() -> None:
    memory = versions.Memory(3)
    for key in "abc":
        memory.put(7, key, key.upper())
    assert memory.get("a") == "A"  # a is now the most recently used
    memory.put(7, "d", "D")
    assert len(memory) == 3
    assert memory.get("b") is versions._MISSING  # the least recently used went
    assert [memory.get(key) for key in "acd"] == ["A", "C", "D"]
    memory.put(6, "old", "OLD")  # a reader on an older snapshot: not kept
    assert memory.get("old") is versions._MISSING
    memory.put(8, "e", "E")  # a newer version: the older entries will never be asked again
    assert len(memory) == 1
    assert memory.get("a") is versions._MISSING
    assert versions.memory.size == versions.MEMORY_ENTRIES


def test_the_shared_cache_keys_sort_by_version_first() -> None:
    # the table culls by key order: the oldest versions go first, whatever the figures' name
    assert versions.cache_key(9, "territory.overview", ()) < versions.cache_key(
        10, "steering.dashboard", ()
    )


@pytest.mark.django_db(transaction=True)
def test_a_missing_key_is_computed_once_while_the_other_process_waits() -> None:
    versions.clear()
    version = versions.data_version()
    computing, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def compute() -> Figures:
        calls.append(threading.current_thread().name)
        computing.set()
        assert release.wait(30)
        return VALUE

    results: dict[str, Any] = {}
    first = in_thread(lambda: versions.cached(version, "test.flight", (), compute), results, "a")
    assert computing.wait(30)
    second = in_thread(lambda: versions.cached(version, "test.flight", (), compute), results, "b")
    try:
        until(lambda: advisory_locks(granted=False) == 1)  # b waits for a's lock
    finally:
        release.set()
        first.join(30)
        second.join(30)
    assert len(calls) == 1
    assert results["a"] == results["b"] == VALUE
    assert results["b"] is not results["a"]  # b read it from the shared table
    assert advisory_locks(granted=True) == 0  # both released


@pytest.mark.django_db(transaction=True)
def test_the_wait_for_another_process_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    versions.clear()
    version = versions.data_version()
    computing, release = threading.Event(), threading.Event()

    def slow() -> Figures:
        computing.set()
        assert release.wait(30)
        return VALUE

    results: dict[str, Any] = {}
    first = in_thread(lambda: versions.cached(version, "test.slow", (), slow), results, "a")
    assert computing.wait(30)
    monkeypatch.setattr(versions, "LOCK_WAIT_MS", 50)
    compute = Counted(Figures("b", ()))
    try:
        # the lock is held: this process gives up waiting and computes on its own
        assert versions.cached(version, "test.slow", (), compute) == Figures("b", ())
        assert compute.calls == 1
        assert advisory_locks(granted=True, mine=True) == 0
    finally:
        release.set()
        first.join(30)
    assert results["a"] == VALUE


@pytest.mark.django_db(transaction=True)
def test_a_failing_compute_releases_the_lock_and_keeps_nothing() -> None:
    versions.clear()
    version = versions.data_version()

    def failing() -> Figures:
        assert advisory_locks(granted=True, mine=True) == 1  # held while computing
        raise ValueError("no figures")

    with pytest.raises(ValueError, match="no figures"):
        versions.cached(version, "test.failing", (), failing)
    assert advisory_locks(granted=True, mine=True) == 0  # the connection persists: released
    assert len(versions.memory) == 0
    assert shared_rows() == 0
    compute = Counted()
    assert versions.cached(version, "test.failing", (), compute) == VALUE
    assert compute.calls == 1


@pytest.mark.django_db(transaction=True)
def test_writing_the_shared_cache_leaves_the_data_version_alone() -> None:
    versions.clear()
    version = versions.data_version()
    versions.cached(version, "test.version", (), Counted())
    assert shared_rows() == 1
    # written in a transaction of its own, committed: no transaction id left to this request,
    # and the cache table is watched by no trigger
    assert versions.data_version() == version
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relpersistence, count(t.oid) FROM pg_class c "
            "LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal "
            "WHERE c.relname = %s GROUP BY c.relpersistence",
            [versions.SHARED_TABLE],
        )
        assert cursor.fetchall() == [("u", 0)]  # unlogged, no trigger


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_shared_cache_is_neither_written_nor_locked() -> None:
    versions.clear()
    version = versions.data_version()
    compute = Counted()

    def read_then_fail() -> None:
        with transaction.atomic():
            assert versions.cached(version, "test.atomic", (), compute) == VALUE
            assert advisory_locks(granted=True, mine=True) == 0
            assert versions.data_version() == version  # still no transaction id
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        read_then_fail()
    assert shared_rows() == 0  # nothing written, so nothing rolled back either
    # the value read committed data: this process keeps it
    assert versions.cached(version, "test.atomic", (), compute) == VALUE
    assert compute.calls == 1


@pytest.mark.django_db(transaction=True)
def test_figures_whose_computation_wrote_are_kept_nowhere() -> None:
    versions.clear()
    version = versions.data_version()

    def writing() -> Figures:
        with connection.cursor() as cursor:  # a write, then the figures it would change
            cursor.execute("UPDATE cpts_data_version SET version = version + 1 WHERE slot = 1")
        return Figures("uncommitted", ())

    def compute_then_fail() -> None:
        with transaction.atomic():
            value = versions.cached(version, "test.writing", (), writing)
            assert value == Figures("uncommitted", ())
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        compute_then_fail()
    assert versions.data_version() == version
    compute = Counted()
    assert versions.cached(version, "test.writing", (), compute) == VALUE
    assert compute.calls == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_shared_cache_only_costs_the_computation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    versions.clear()
    version = versions.data_version()
    shared = {**settings.CACHES[versions.SHARED], "LOCATION": "cpts_no_such_table"}
    compute = Counted()
    with override_settings(CACHES={**settings.CACHES, versions.SHARED: shared}):
        assert versions.cached(version, "test.broken", (), compute) == VALUE
        versions.memory.clear()  # another process
        assert versions.cached(version, "test.broken", (), compute) == VALUE
    assert compute.calls == 2
    assert "shared cache: could not read" in caplog.text
    assert "shared cache: could not write" in caplog.text
    assert versions.data_version() == version  # the connection is fine
    assert advisory_locks(granted=True, mine=True) == 0


@pytest.mark.django_db(transaction=True)
def test_without_a_version_neither_level_is_touched() -> None:
    versions.clear()
    compute = Counted()
    with CaptureQueriesContext(connection) as captured:
        assert versions.cached(None, "test.none", (), compute) == VALUE
        assert versions.cached(None, "test.none", (), compute) == VALUE
    assert compute.calls == 2
    assert len(captured) == 0
    assert len(versions.memory) == 0
    assert shared_rows() == 0


def test_the_shared_cache_is_configured_as_the_code_expects() -> None:
    shared = settings.CACHES[versions.SHARED]
    assert shared["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert shared["LOCATION"] == versions.SHARED_TABLE
    assert shared["TIMEOUT"] == versions.TIMEOUT


@pytest.mark.django_db(transaction=True)
def test_an_emptied_version_table_still_moves_and_never_gives_a_version_again(
    steering: dict[str, Any],  # noqa: F811
) -> None:
    """A ``TRUNCATE`` of every table (the national demo's reset did it) emptied the counters:
    the trigger's UPDATE then changed nothing and the version stood still, so the cache served
    figures older than the writes. The trigger now creates its slot again, from the clock."""
    before = versions.data_version()
    assert before is not None
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cpts_data_version")
    assert versions.data_version() == 0
    versions.clear()
    stale, _ = national_board(steering)  # cached under version 0
    services.file_letter_of_intent(
        steering["lens"], steering["admin"], dt.date(2025, 1, 6), "Lettre"
    )
    after = versions.data_version()
    assert after is not None
    assert after > before  # moved, and above every version the table gave before
    fresh, _ = national_board(steering)
    assert fresh.stages != stale.stages  # the letter shows
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cpts_data_version")
        assert cursor.fetchone() == (1,)  # the writer's slot, created again
