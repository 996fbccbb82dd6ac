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

See ``docs/benchmarks.md`` (« Steering dashboard at national scale ») for the reasons and the
measures, ``docs/steering.md`` (« Speed ») for what is cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection

#: the apps whose tables the cached figures read: every table of them is watched (a test checks)
WATCHED_APPS = ("territory", "communities", "contracts", "crises")
SLOTS = 128
#: bump when the figures' code changes in a way that changes what a cache entry holds
GENERATION = 1
#: how long an entry lives (the version makes it correct; this only bounds the memory)
TIMEOUT = 3600

T = TypeVar("T")


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


def cached(version: int | None, name: str, parts: Any, compute: Callable[[], T]) -> T:
    """``compute()``, or its value cached under ``version`` (read by :func:`data_version` before
    the data ``compute`` reads), ``name`` and ``parts`` (every other input of the figures, as a
    ``repr``-stable value: tuples, strings, numbers, dates). No cache when ``version`` is None."""
    if version is None:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"cpts:{name}:{GENERATION}:{version}:{digest}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, TIMEOUT)
    return value


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
