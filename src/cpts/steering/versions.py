"""Data versions: a cache of expensive figures that is never stale after a write commits.

The figures of the steering dashboards and of the territory overview read the tables of the
apps in :data:`WATCHED_APPS`. Every write to one of those tables bumps a counter **in the
writer's own transaction**: a PostgreSQL statement-level trigger (``cpts_bump_data_version``,
installed by the migrations of this app) adds one to a row of ``cpts_data_version``, once per
transaction (a transaction-local setting remembers it did). The counter becomes visible exactly
when the write does, at commit; a rolled-back write rolls its bump back too.

The rows are « slots » chosen by the writer's backend (``mod(pg_backend_pid(), SLOTS)``), so that
two writers rarely wait on the same counter row; the data version is the sum of the slots. The
trigger runs *before* the statement: a transaction takes its slot before locking any row of a
watched table, so two transactions sharing a slot cannot deadlock on those rows (the second
waits for the first's commit before it locks anything there). Each
slot only grows, and in READ COMMITTED every later snapshot sees every commit an earlier one
saw, so two snapshots that differ in what they see of the watched tables have different sums.

A reader reads the version **before** the data: the figures it then computes include at least
every write the version counts (perhaps more, committed in between: then the version has moved,
and later readers miss). A transaction that has itself written (it holds a transaction id) does
not use the cache at all: its own uncommitted writes are not in any committed version, and it
might roll back.

Two levels (:func:`cached`):

1. **the process's memory** (:data:`memory`): a small LRU mapping of key to *the object itself*,
   not a pickled copy, holding entries of the newest version seen only. Cached values are shared
   by every request of the process and must be treated as immutable: callers never mutate what
   :func:`cached` returns (the figures are frozen dataclasses, tuples and lists read only);
2. **a cache shared by every server process**, in PostgreSQL: Django's ``DatabaseCache`` on the
   table ``cpts_shared_cache`` (created by this app's migrations, UNLOGGED: a crash empties it,
   which a cache may), alias :data:`SHARED` of ``settings.CACHES``. The table belongs to no
   watched app: writing to it never moves the data version.

A key missing from both is computed by one process at a time (**single flight**): the first takes
a session-level advisory lock on a hash of the key, looks in level 2 again, computes, writes level
2 and releases the lock in ``finally``; the others wait for the lock (at most :data:`LOCK_WAIT_MS`,
then compute on their own) and then find the value in level 2.

Level 2 and the lock are used **in autocommit only** (the connection is in no ``atomic`` block,
as a request is unless it opens one): the cache row is then written in a transaction of its own,
committed at once, so it never gives the request a transaction id (:func:`data_version` keeps
answering), it cannot be rolled back with the caller's work, an error of level 2 cannot abort the
caller's transaction, and the session-level lock can always be released (an ``UNLOCK`` in an
aborted transaction would fail, and the lock would outlive the request on a persistent
connection). Inside an ``atomic`` block that has not written, only level 1 is used, and a value
whose computation wrote (the transaction holds an id after ``compute``) is kept nowhere. A failure
of level 2 (table missing, connection error, a value that does not unpickle) is logged and the
figures are computed: never an error page because of the cache.

See ``docs/benchmarks.md`` (« Steering dashboard at national scale ») for the reasons and the
measures, ``docs/steering.md`` (« Speed ») for what is cached.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.cache import caches
from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

#: the apps whose tables the cached figures read: every table of them is watched (a test checks)
WATCHED_APPS = ("territory", "communities", "contracts", "crises")
SLOTS = 128
#: bump when the figures' code changes in a way that changes what a cache entry holds
GENERATION = 1
#: how long an entry lives in level 2 (the version makes it correct; this only bounds the table);
#: ``settings.CACHES["shared"]["TIMEOUT"]`` says the same (a test checks)
TIMEOUT = 3600
#: the alias of the level-2 cache in ``settings.CACHES`` and its table (created by a migration)
SHARED = "shared"
SHARED_TABLE = "cpts_shared_cache"
#: how many entries level 1 keeps per process (least recently used dropped first)
MEMORY_ENTRIES = 256
#: how long a process waits for another one computing the same key before computing it too
LOCK_WAIT_MS = 10_000

T = TypeVar("T")
_MISSING: Any = object()


def data_version() -> int | None:
    """The version of the watched tables as this connection sees them, or None when the current
    transaction has written to the database (then nothing may be read from or put in the cache).
    One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(version), 0), pg_current_xact_id_if_assigned() IS NOT NULL "
            "FROM cpts_data_version"
        )
        version, written = cursor.fetchone()
    return None if written else int(version)


class Memory:
    """Level 1: key -> value, at most ``size`` entries, of the newest version put only (an entry
    of an older version would never be asked for again by a reader that started later).
    Thread-safe; values are stored as they are, never copied."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._version: int | None = None
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The value, or ``_MISSING``."""
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is not _MISSING:
                self._entries.move_to_end(key)
            return value

    def put(self, version: int, key: str, value: Any) -> None:
        with self._lock:
            if self._version is not None and version < self._version:
                return  # a reader still on an older snapshot: no later reader will ask for it
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries


#: level 1 of this process
memory = Memory(MEMORY_ENTRIES)


#: the figures every other one is sliced from (few keys per version, the dearest to compute):
#: within a version their keys sort after the others', so that the shared table's culling drops
#: them last (a flood of territory overviews of distinct days must not evict them)
KEPT_LONGEST = frozenset({"steering.facts", "steering.day"})


def cache_key(version: int, name: str, parts: Any) -> str:
    """The version comes first, zero-padded: the shared table's culling (by key order) then drops
    the entries of the oldest versions first; then the rank (1 for :data:`KEPT_LONGEST`, else
    0): within a version, the derived figures go before the facts they are sliced from."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    rank = 1 if name in KEPT_LONGEST else 0
    return f"cpts:{GENERATION}:{version:020d}:{rank}:{name}:{digest}"


def lock_id(key: str) -> int:
    """The advisory lock's key: 64 bits of a hash of the cache key (signed, as PostgreSQL's
    bigint)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def cached(version: int | None, name: str, parts: Any, compute: Callable[[], T]) -> T:
    """``compute()``, or its value cached under ``version`` (read by :func:`data_version` before
    the data ``compute`` reads), ``name`` and ``parts`` (every other input of the figures, as a
    ``repr``-stable value: tuples, strings, numbers, dates). No cache when ``version`` is None.

    The value returned may be shared with other requests: never mutate it."""
    if version is None:
        return compute()
    key = cache_key(version, name, parts)
    found = memory.get(key)
    if found is not _MISSING:
        return cast(T, found)
    if connection.in_atomic_block or not connection.get_autocommit():
        value = compute()
        if not _wrote():
            memory.put(version, key, value)
        return value
    found = _shared_get(key)
    if found is not _MISSING:
        memory.put(version, key, found)
        return cast(T, found)
    return _single_flight(version, key, compute)


def _single_flight(version: int, key: str, compute: Callable[[], T]) -> T:
    lock = lock_id(key)
    locked = _lock(lock)
    try:
        if locked:  # another process may have computed it while this one waited
            found = _shared_get(key)
            if found is not _MISSING:
                memory.put(version, key, found)
                return cast(T, found)
        value = compute()
        memory.put(version, key, value)
        try:
            caches[SHARED].set(key, value, TIMEOUT)
        except Exception:
            logger.warning("shared cache: could not write %s", key, exc_info=True)
        return value
    finally:
        if locked:
            _unlock(lock)


def _shared_get(key: str) -> Any:
    try:
        return caches[SHARED].get(key, _MISSING)
    except Exception:
        logger.warning("shared cache: could not read %s", key, exc_info=True)
        return _MISSING


def _lock(lock: int) -> bool:
    """Take the session-level advisory lock ``lock``, waiting at most :data:`LOCK_WAIT_MS`:
    True when taken (release it with :func:`_unlock`), False when the wait ran out or failed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
            if cursor.fetchone()[0]:
                return True
        # someone computes it: wait for the lock, bounded (lock_timeout, local to this transaction;
        # a session-level lock taken inside a transaction outlives its commit)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{LOCK_WAIT_MS}ms"])
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
        return True
    except DatabaseError:
        logger.warning("shared cache: no lock for %s, computing without it", lock, exc_info=True)
        return False


def _unlock(lock: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
    except DatabaseError:  # the connection is broken: its locks went with it
        logger.warning("shared cache: could not release lock %s", lock, exc_info=True)


def _wrote() -> bool:
    """Whether the current transaction holds a transaction id (it has written)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
        return bool(cursor.fetchone()[0])


def clear() -> None:
    """Empty both levels (tests, benchmarks)."""
    memory.clear()
    caches[SHARED].clear()


# --- SQL installed by the migrations --------------------------------------------------------------

CREATE_SQL = f"""
CREATE TABLE cpts_data_version (
    slot integer PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);
-- slot 0 starts at the creation time in microseconds: a table dropped and created again never
-- gives again a version an older cache entry (a cache shared by processes) could be under
INSERT INTO cpts_data_version (slot, version)
    SELECT slot, CASE WHEN slot = 0
        THEN (extract(epoch FROM clock_timestamp()) * 1000000)::bigint ELSE 0 END
    FROM generate_series(0, {SLOTS - 1}) AS slot;
CREATE FUNCTION cpts_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- once per transaction: the setting is local to it (and to a savepoint rolled back)
    IF coalesce(current_setting('cpts.data_version_bumped', true), '') <> '1' THEN
        UPDATE cpts_data_version SET version = version + 1
            WHERE slot = mod(pg_backend_pid(), {SLOTS});
        PERFORM set_config('cpts.data_version_bumped', '1', true);
    END IF;
    RETURN NULL;
END
$$;
"""

#: The bump as migration 0003 installs it: an upsert, so that a slot row missing (the table
#: emptied by a ``TRUNCATE`` of every table, as a reset of the demo did) is created again instead
#: of the bump updating nothing and the version standing still, which would serve figures older
#: than the write. A slot created again starts at the clock in microseconds, above any sum the
#: table gave before (a transaction per microsecond is more than PostgreSQL commits), so a version
#: never comes back.
BUMP_SQL = f"""
CREATE OR REPLACE FUNCTION cpts_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('cpts.data_version_bumped', true), '') <> '1' THEN
        INSERT INTO cpts_data_version AS counter (slot, version)
            VALUES (
                mod(pg_backend_pid(), {SLOTS}),
                (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
            )
            ON CONFLICT (slot) DO UPDATE SET version = counter.version + 1;
        PERFORM set_config('cpts.data_version_bumped', '1', true);
    END IF;
    RETURN NULL;
END
$$;
"""

DROP_SQL = """
DROP FUNCTION IF EXISTS cpts_bump_data_version() CASCADE;
DROP TABLE IF EXISTS cpts_data_version;
"""


def watch_sql(table: str) -> str:
    """The trigger that bumps the version on every write to ``table``."""
    return (
        f"CREATE TRIGGER cpts_data_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION cpts_bump_data_version();'
    )


def unwatch_sql(table: str) -> str:
    return f'DROP TRIGGER IF EXISTS cpts_data_version ON "{table}";'
