"""Benchmark: national coverage and a perimeter page with every commune and 1,000 communities.

On PostgreSQL (database ``cpts_bench`` on the embedded server of ``cpts.devdb``, created if
missing): the reference geography (34,875 communes, 45 arrondissements) and 1,000 communities
whose perimeters cover most of France, with some overlaps. Measured, median of several runs:

* the national coverage computation (``perimeters.coverage``: the reference geography indexed
  once per process, then one query of the perimeters valid on the day);
* the coverage by département (the map and its table);
* the perimeter page of the largest community, rendered through Django's test client;
* the national coverage month by month from January 2019 (85 points; perimeters start between
  2019 and 2025, some replaced by a larger version): ``perimeters.coverage_series`` against the
  naive loop (``python_coverage`` for each month) and the previous per-day code
  (``perimeters._coverage_reference`` for each month), every point of the 85 timed.

Baseline, side by side: the same national coverage computed in Python from the rows (the
straightforward way: load every perimeter item and population, expand, count).

    make bench-territory      # or: .venv/bin/python benchmarks/bench_territory.py --runs 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

DATABASE = "cpts_bench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings_test")  # plain HTTP, own key


def ensure_database() -> None:
    """Its own database on this checkout's embedded PostgreSQL server (started if down)."""
    from cpts import devdb

    os.environ["DATABASE_URL"] = devdb.start(database=DATABASE)


def populate(communities: int, seed: int = 2026) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from cpts.communities.models import Community
    from cpts.territory.models import Commune, Perimeter, PerimeterItem
    from cpts.territory.reference import load_reference_data

    call_command("migrate", interactive=False, verbosity=0)
    load_reference_data()
    if (
        Community.objects.filter(name__startswith="Bench ").count() == communities
        and Perimeter.objects.filter(valid_to__isnull=False).exists()
    ):
        return
    rng = random.Random(seed)
    dates = random.Random(seed + 1)  # its own draws: the perimeters of 2026 stay the same
    with transaction.atomic():
        Perimeter.objects.all().delete()
        Community.objects.filter(name__startswith="Bench ").delete()
        by_departement: dict[str, list[str]] = defaultdict(list)
        for code, departement in Commune.objects.filter(kind="commune").values_list(
            "code", "departement_id"
        ):
            by_departement[departement].append(code)
        departements = sorted(by_departement)
        per_departement = max(1, communities // len(departements))
        created = 0
        day = dt.date(2025, 1, 1)

        def month(index: int) -> dt.date:  # the first day of the index-th month from 2019-01
            return dt.date(2019 + index // 12, index % 12 + 1, 1)

        items = []
        for departement in departements:
            codes = sorted(by_departement[departement])
            chunk = max(1, int(len(codes) * 0.9) // per_departement)  # about 90 % covered
            for index in range(per_departement):
                if created == communities:
                    break
                part = codes[
                    index * chunk : (index + 1) * chunk + rng.randrange(0, 3)
                ]  # a few overlaps
                if not part:
                    continue
                community = Community.objects.create(
                    name=f"Bench {departement}-{index}", departement_id=departement, population=0
                )
                # history for the monthly series: a start between 2019 and 2024, and for two
                # communities in five a first, smaller version replaced some months later
                start = month(dates.randrange(0, 72))
                if dates.random() < 0.4:
                    end = month(dates.randrange((start.year - 2019) * 12 + start.month, 73))
                    first = Perimeter.objects.create(
                        community=community, valid_from=start, valid_to=end
                    )
                    items += [
                        PerimeterItem(perimeter=first, commune_id=code)
                        for code in part[: max(1, len(part) // 2)]
                    ]
                    start = end
                perimeter = Perimeter.objects.create(community=community, valid_from=start)
                items += [PerimeterItem(perimeter=perimeter, commune_id=code) for code in part]
                created += 1
        while created < communities:  # top up with city-wide communities
            community = Community.objects.create(
                name=f"Bench extra-{created}", departement_id="75", population=0
            )
            perimeter = Perimeter.objects.create(community=community, valid_from=day)
            items.append(PerimeterItem(perimeter=perimeter, commune_id="75056"))
            created += 1
        PerimeterItem.objects.bulk_create(items, batch_size=5000)


def python_coverage(day: dt.date) -> dict[str, Any]:
    """Baseline: the national coverage computed in Python from every row."""
    from cpts.territory.communes import vintage_on
    from cpts.territory.models import Commune, CommunePopulation, PerimeterItem

    vintage = vintage_on(day)
    populations = dict(
        CommunePopulation.objects.filter(vintage=vintage).values_list("commune_id", "population")
    )
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in Commune.objects.filter(parent__isnull=False).values_list(
        "code", "parent_id"
    ):
        children[parent].append(code)
    claims: dict[str, set[int]] = defaultdict(set)
    rows = PerimeterItem.objects.filter(perimeter__valid_from__lte=day).exclude(
        perimeter__valid_to__lte=day
    )
    for community, code in rows.values_list("perimeter__community_id", "commune_id"):
        for leaf in children.get(code, [code]):
            claims[leaf].add(community)
    leaves = [code for code in populations if code not in children]
    total = sum(populations[code] for code in leaves)
    covered = sum(populations[code] for code in leaves if claims.get(code))
    return {
        "population": total,
        "covered_population": covered,
        "overlaps": sum(1 for c in claims.values() if len(c) > 1),
    }


def median_ms(
    function: Callable[[], Any], runs: int, digits: int = 1
) -> tuple[float, float, float]:
    """Median, min and max in milliseconds of ``runs`` calls after one warm-up call (shared by
    the benchmarks of this folder)."""
    function()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return (
        round(statistics.median(times), digits),
        round(min(times), digits),
        round(max(times), digits),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--communities", type=int, default=1000)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    from cpts.accounts.models import Role, User
    from cpts.communities import perimeters
    from cpts.communities.models import Community

    start = time.perf_counter()
    populate(args.communities)
    setup_s = time.perf_counter() - start
    day = dt.date(2026, 1, 15)
    national = perimeters.coverage(day)
    baseline = python_coverage(day)
    assert (national["population"], national["covered_population"], national["overlaps"]) == (
        baseline["population"],
        baseline["covered_population"],
        baseline["overlaps"],
    ), (national, baseline)

    # the monthly series, 85 points from January 2019: the three ways agree on every point
    months = [dt.date(2019 + i // 12, i % 12 + 1, 1) for i in range(85)]
    series = perimeters.coverage_series(months[0], months[-1])
    assert series == [perimeters._coverage_reference(day) for day in months]
    for point, day in zip(series, months, strict=True):
        naive = python_coverage(day)
        assert (point["population"], point["covered_population"], point["overlaps"]) == (
            naive["population"],
            naive["covered_population"],
            naive["overlaps"],
        ), (point, naive)

    user, _ = User.objects.get_or_create(
        username="bench-national", defaults={"role": Role.NATIONAL}
    )
    client = Client()
    client.force_login(user)
    largest = max(
        Community.objects.filter(name__startswith="Bench "),
        key=lambda community: community.perimeters.first().items.count(),
    )
    url = f"/territoire/communautes/{largest.pk}/perimetre/"
    assert client.get(url).status_code == 200

    coverage_ms = median_ms(lambda: perimeters.coverage(day), args.runs)
    by_departement_ms = median_ms(lambda: perimeters.coverage_by_departement(day), args.runs)
    page_ms = median_ms(lambda: client.get(url), args.runs)
    baseline_ms = median_ms(lambda: python_coverage(day), args.runs)
    reference_ms = median_ms(lambda: perimeters._coverage_reference(day), args.runs)
    series_ms = median_ms(lambda: perimeters.coverage_series(months[0], months[-1]), args.runs)
    loop_runs = max(1, args.runs // 3)  # the loops take seconds: fewer runs, all 85 points each
    naive_series_ms = median_ms(lambda: [python_coverage(d) for d in months], loop_runs)
    reference_series_ms = median_ms(
        lambda: [perimeters._coverage_reference(d) for d in months], loop_runs
    )
    report = {
        "date": dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, CPython {platform.python_version()}, PostgreSQL",
        "communes": national["communes"],
        "communities": national["communities"],
        "covered_share": national["covered_share"],
        "overlaps": national["overlaps"],
        "largest_perimeter_codes": largest.perimeters.first().items.count(),
        "setup_s": round(setup_s, 1),
        "national_coverage_ms": coverage_ms,
        "coverage_by_departement_ms": by_departement_ms,
        "perimeter_page_ms": page_ms,
        "baseline_python_coverage_ms": baseline_ms,
        "ratio_baseline_over_engine": round(baseline_ms[0] / coverage_ms[0], 1),
        "previous_per_day_coverage_ms": reference_ms,
        "target_ms": 200,
        "series_points": len(months),
        "series_covered_share_first_last": [
            series[0]["covered_share"],
            series[-1]["covered_share"],
        ],
        "series_ms": series_ms,
        "series_naive_loop_ms": naive_series_ms,
        "series_previous_per_day_loop_ms": reference_series_ms,
        "series_loop_runs": loop_runs,
        "ratio_naive_loop_over_series": round(naive_series_ms[0] / series_ms[0], 1),
        "ratio_per_day_loop_over_series": round(reference_series_ms[0] / series_ms[0], 1),
        "series_target_ms": 300,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
