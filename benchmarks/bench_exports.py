"""Benchmark: exporting the ledger of N entries as CSV and as Excel (``/exports/versements``).

Measures the time to write the whole file and the number of queries, for 10,000 and 100,000
entries, and the peak of Python memory (tracemalloc, in a pass apart, up to ``--memory-up-to``
rows): queries and memory must not grow with the rows (rows are read 2,000 at a time and written
as they come).

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_exports.py [--rows 10000 100000]

Without ``DATABASE_URL``, its own database on this checkout's embedded PostgreSQL server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
import tracemalloc
from decimal import Decimal

DATABASE = "cpts_bench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings_test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--memory-up-to", type=int, default=20_000)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        from cpts import devdb

        os.environ["DATABASE_URL"] = devdb.start(database=DATABASE)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cpts.accounts.models import Role, User
    from cpts.communities.models import Community
    from cpts.contracts.models import Payment
    from cpts.steering.exports import Filters, payments
    from cpts.steering.tabular import csv_chunks, xlsx_file
    from cpts.territory.reference import load_reference_data

    call_command("migrate", interactive=False, verbosity=0)
    load_reference_data()
    user, _ = User.objects.get_or_create(username="bench-exports", defaults={"role": Role.ADMIN})
    community, _ = Community.objects.get_or_create(
        name="Bench exports", defaults={"departement_id": "59", "population": 100_000}
    )
    print(f"Python {platform.python_version()}, {platform.machine()}")
    for rows in args.rows:
        Payment.objects.filter(community=community).delete()
        Payment.objects.bulk_create(
            (
                Payment(community=community, kind="adjustment", label=f"Écriture {index}",
                        amount=Decimal(index % 100_000) / 100, reason="Banc d'essai",
                        created_by=user, due_on=dt.date(2024, 1, 1), explanation={})
                for index in range(rows)
            ),
            batch_size=5000,
        )  # fmt: skip
        for fmt in ("csv", "xlsx"):

            def write(fmt: str = fmt) -> int:
                table = payments(user, Filters(community=community))
                if fmt == "csv":
                    return sum(len(chunk.encode()) for chunk in csv_chunks(table))
                output = xlsx_file(table)
                size = output.seek(0, 2)
                output.close()
                return size

            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                size = write()
            elapsed = time.perf_counter() - started
            memory = ""
            if rows <= args.memory_up_to:  # tracemalloc slows Python down 5 times: a pass apart
                tracemalloc.start()
                write()
                memory = f", peak Python memory {tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB"
                tracemalloc.stop()
            print(
                f"{rows:>7} entries, {fmt:>4}: {elapsed:6.2f} s, {size / 1e6:5.1f} MB, "
                f"{len(queries)} queries{memory}",
                flush=True,
            )
    Payment.objects.filter(community=community).delete()


if __name__ == "__main__":
    main()
