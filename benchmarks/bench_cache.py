"""Benchmark: the two levels of the steering figures' cache (``cpts.steering.versions``).

On a copy of the national demo (``cpts demo national --communities 1000``; ``DATABASE_URL`` names
it, migrated first), for the national viewer's dashboard with no filter (every figure, the value
the load test's ``/pilotage/`` caches), median of several runs (min – max):

* the figures computed (both levels emptied before each run);
* read from level 2 (the process's memory emptied: what another server process pays), against
  the former cache, Django's LocMemCache of each process (it unpickles on every get);
* read from level 1 (the object itself);
* the levels alone, on the same value: ``memory.get``, the table's ``get`` (one query and the
  unpickling), the table's ``set``, and the pickled size;
* a stampede: three threads (each with its own connection, as three server processes) ask for
  the dashboard at once with both levels empty (the first readers after a write): how many
  computed it and the wall time, with single flight and without (the lock never taken). Threads
  share the GIL where processes would share the 2 cores: the count is the figure to read.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpts_x_load \\
        .venv/bin/python benchmarks/bench_cache.py --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings_test")

import django

sys.path.insert(0, str(Path(__file__).parent))
import bench_territory


def median_ms(function: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    return bench_territory.median_ms(function, runs, digits=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    django.setup()
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from cpts.accounts.models import Role, User
    from cpts.steering import dashboards, versions
    from cpts.steering.dashboards import Filters

    call_command("migrate", verbosity=0)
    national = User.objects.filter(role=Role.NATIONAL, is_active=True).first()
    assert national is not None, "no national viewer: is DATABASE_URL the national demo?"
    today = timezone.localdate()

    def board() -> dashboards.Dashboard:
        return dashboards.dashboard(national, Filters(), today)

    def computed() -> None:
        versions.clear()
        board()

    def from_level_2() -> None:
        versions.memory.clear()
        board()

    versions.clear()
    reference = board()
    # the dashboard puts the national facts, the day's facts and its slice: measure the largest
    assert len(versions.memory) >= 1
    key = next(k for k in versions.memory._entries if "steering.facts" in k)
    value = versions.memory.get(key)
    shared = caches[versions.SHARED]
    pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    locmem = LocMemCache("bench", {"TIMEOUT": versions.TIMEOUT})
    locmem.set(key, value)
    # compared pickled (the facts hold numpy arrays, whose == is element-wise), each side after
    # one round trip through pickle, which is what both caches give back
    once = pickle.dumps(pickle.loads(pickled), pickle.HIGHEST_PROTOCOL)
    assert pickle.dumps(locmem.get(key), pickle.HIGHEST_PROTOCOL) == once
    assert pickle.dumps(shared.get(key), pickle.HIGHEST_PROTOCOL) == once

    figures = {
        "computed": median_ms(computed, args.runs),
        "level 2 (another process)": median_ms(from_level_2, args.runs),
        "level 1": median_ms(board, args.runs),
        "memory.get": median_ms(lambda: versions.memory.get(key), args.runs),
        "shared.get": median_ms(lambda: shared.get(key), args.runs),
        "shared.set": median_ms(lambda: shared.set(key, value, versions.TIMEOUT), args.runs),
        "LocMemCache.get (before)": median_ms(lambda: locmem.get(key), args.runs),
    }

    def stampede(single_flight: bool, threads: int = 3) -> dict[str, Any]:
        computes = []
        original_set, original_lock = DatabaseCache.set, versions._lock

        def counted_set(self: DatabaseCache, *args: Any, **kwargs: Any) -> None:
            computes.append(1)  # one write of the table per computation
            original_set(self, *args, **kwargs)

        barrier = threading.Barrier(threads)

        def reader() -> None:
            try:
                barrier.wait()
                board()
            finally:
                connection.close()

        versions.clear()
        DatabaseCache.set = counted_set  # type: ignore[method-assign]
        if not single_flight:
            versions._lock = lambda lock: False
        try:
            start = time.perf_counter()
            running = [threading.Thread(target=reader) for _ in range(threads)]
            for thread in running:
                thread.start()
            for thread in running:
                thread.join()
            elapsed = round((time.perf_counter() - start) * 1000)
        finally:
            DatabaseCache.set = original_set  # type: ignore[method-assign]
            versions._lock = original_lock
        return {"computations": len(computes), "wall ms": elapsed}

    stampedes = {
        "with single flight": stampede(True),
        "without": stampede(False),
        "with single flight, again": stampede(True),
    }
    again = board()  # the same figures, whichever level they came from
    for name in ("stages", "coverage", "money", "late", "crises", "indicators"):
        assert getattr(again, name) == getattr(reference, name), name
    print(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                f"CPython {platform.python_version()}",
                "load average": [round(load, 2) for load in os.getloadavg()],
                "communities counted": reference.communities,
                "pickled bytes": len(pickled),
                "ms (median, min, max)": figures,
                "stampede of 3 readers": stampedes,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
