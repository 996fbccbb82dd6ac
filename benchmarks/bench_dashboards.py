"""Benchmark: the steering dashboard at national scale (1,000 communities, five years).

On PostgreSQL (``DATABASE_URL`` if set, else the database ``cpts_bench`` of this checkout's
embedded server): the 1,000 communities with perimeter histories of ``bench_territory.py``, then
for four in five of them a letter of intent and a health project, and for most a contract signed
between September 2019 and 2024 with its core missions (started and deployed at random dates, some
never), its contract years recorded (a third of the closed ones with their final total), its
payment entries (advance and balance per year, a few recoveries), three indicators per year with
values; 30 crises with activations. Measured, median of several runs:

* ``dashboards.dashboard`` for the national viewer, no filter (every figure, five years of
  money), warm (the process has computed the year totals before: the engine's results are
  memoised per input) and cold (memo cleared first);
* the same with a year filter, and for an ARS (its region);
* the page ``/pilotage/`` rendered through Django's test client;
* queries per dashboard (constant in the number of communities; the tests prove it);
* since the cache keyed on the data version (``cpts.steering.versions``): « computed » is the
  dashboard with the cache emptied before each run (what the first reader after a write pays),
  « cached » the same with no write in between (the version, the communities, a cache hit);
  likewise the territory overview ``/territoire/``, and its overlaps and white zones on the
  arrays against the former leaf-by-leaf code.

Baseline, side by side: the straightforward way, one community at a time — ``workflow.stage_of``
for each community, ``engine.year_total`` for each contract year and ``engine.open_deadlines`` for
each contract (queries per community), the other figures as the dashboard computes them.

    .venv/bin/python benchmarks/bench_dashboards.py --runs 7
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_territory import median_ms

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings_test")

TODAY = dt.date(2026, 12, 1)


def ensure_database() -> None:
    if "DATABASE_URL" not in os.environ:
        from bench_territory import ensure_database as embedded

        embedded()


def populate(communities: int, seed: int = 2019) -> None:
    from django.db import transaction

    from bench_territory import populate as perimeters
    from cpts.accounts.models import Role, User
    from cpts.aci import contract_year, core_missions, size_class
    from cpts.aci.calendar import add_months
    from cpts.communities.models import Community
    from cpts.contracts.models import (
        Contract,
        ContractYear,
        HealthProject,
        Indicator,
        LetterOfIntent,
        MissionCommitment,
        Payment,
    )
    from cpts.crises.models import CrisisActivation, HealthCrisis
    from cpts.territory.models import Region

    perimeters(communities)
    bench = Community.objects.filter(name__startswith="Bench ")
    if Contract.objects.filter(community__in=bench).count() > communities // 2:
        return
    rng = random.Random(seed)
    with transaction.atomic():
        ars, _ = User.objects.get_or_create(
            username="bench-ars", defaults={"role": Role.ARS, "region_id": "32"}
        )
        for community in bench:
            community.population = rng.randrange(15_000, 260_000)
        Community.objects.bulk_update(bench, ["population"], batch_size=1000)
        letters, projects, missions, years, payments, indicators = [], [], [], [], [], []
        for community in bench.order_by("pk"):
            draw = rng.random()
            if draw < 0.1:
                continue  # nothing filed yet
            letters.append(
                LetterOfIntent(
                    community=community, filed_on=dt.date(2019, 6, 1), summary="Lettre",
                    status="validated" if draw > 0.2 else "filed",
                    decided_on=dt.date(2019, 7, 1) if draw > 0.2 else None,
                    decided_by=ars if draw > 0.2 else None,
                )
            )  # fmt: skip
            if draw < 0.3:
                continue
            projects.append(
                HealthProject(
                    community=community, filed_on=dt.date(2019, 8, 1), summary="Projet",
                    status="validated", decided_on=dt.date(2019, 8, 20), decided_by=ars,
                )
            )  # fmt: skip
            if draw < 0.35:
                continue
            signed = dt.date(2019, 9, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
            size = size_class(community.population, signed).value
            ends_on = add_months(signed, 60)
            stop = dt.date(2025, 3, 1)
            terminated = draw > 0.98 and signed < stop < ends_on
            contract = Contract.objects.create(
                community=community, signed_on=signed, ends_on=ends_on,
                community_signatory="P", cpam_signatory="C", ars_signatory="A",
                population=community.population, size_class=size, members=rng.randrange(20, 200),
                terminated_on=stop if terminated else None,
                termination_reason="Dissolution" if terminated else "",
            )  # fmt: skip
            for mission in core_missions(signed):
                started = signed + dt.timedelta(days=rng.randrange(10, 500))
                deployed = started + dt.timedelta(days=rng.randrange(30, 900))
                missions.append(
                    MissionCommitment(
                        contract=contract, mission=mission.value,
                        started_on=started if rng.random() < 0.9 else None,
                        deployed_on=deployed if rng.random() < 0.7 and deployed < TODAY else None,
                    )
                )  # fmt: skip
                if missions[-1].started_on is None:
                    missions[-1].deployed_on = None
            for number in range(1, 6):
                dates = contract_year(signed, number)
                if dates.start > TODAY or dates.start >= contract.period_end:
                    break
                closed = dates.end < TODAY and rng.random() < 0.33
                years.append(
                    ContractYear(
                        contract=contract, number=number, start=dates.start, end=dates.end,
                        population=community.population, size_class=size,
                        members=contract.members, grid="2022",
                        total=Decimal("150000.00") if closed else None,
                        result={"lines": [{"code": "functioning", "amount": "150000.00"}]}
                        if closed else None,
                    )
                )  # fmt: skip
                payments.append(
                    Payment(
                        community=community, contract=contract, contract_year=number,
                        kind="advance", label="Avance", amount=Decimal("40000.00"),
                        due_on=dates.start, paid_on=dates.start + dt.timedelta(days=30),
                        status="paid", explanation={},
                    )
                )  # fmt: skip
                if dates.end < TODAY:
                    recovery = rng.random() < 0.1
                    payments.append(
                        Payment(
                            community=community, contract=contract, contract_year=number,
                            kind="recovery" if recovery else "balance", label="Solde",
                            amount=Decimal("-5000.00") if recovery else Decimal("60000.00"),
                            due_on=dates.end + dt.timedelta(days=90),
                            paid_on=dates.end + dt.timedelta(days=100), status="paid",
                            explanation={},
                        )
                    )  # fmt: skip
                for index in range(3):
                    indicators.append(
                        Indicator(
                            contract=contract, contract_year=number,
                            mission=("access", "pathways", "prevention")[index],
                            action="Action", label=f"Indicateur {index}", kind="target",
                            objective=Decimal(50), amount=Decimal(1000),
                            measured_value=Decimal(rng.randrange(20, 80))
                            if dates.end < TODAY else None,
                        )
                    )  # fmt: skip
        LetterOfIntent.objects.bulk_create(letters, batch_size=2000)
        HealthProject.objects.bulk_create(projects, batch_size=2000)
        MissionCommitment.objects.bulk_create(missions, batch_size=5000)
        ContractYear.objects.bulk_create(years, batch_size=5000)
        Payment.objects.bulk_create(payments, batch_size=5000)
        Indicator.objects.bulk_create(indicators, batch_size=5000)
        regions = list(Region.objects.values_list("code", flat=True))
        activations = []
        ids_by_region: dict[str, list[int]] = {}
        for pk, region in bench.values_list("pk", "departement__region_id"):
            ids_by_region.setdefault(region, []).append(pk)
        for index in range(30):
            region = rng.choice(regions)
            crisis = HealthCrisis.objects.create(
                region_id=region, declared_on=dt.date(2023, 1, 1) + dt.timedelta(days=index * 40),
                typology="epidemic", title=f"Crise {index}", declared_by=ars,
            )  # fmt: skip
            for pk in ids_by_region.get(region, []):
                if rng.random() < 0.5:
                    activations.append(
                        CrisisActivation(
                            crisis=crisis, community_id=pk, activated_by=ars,
                            activated_at=dt.datetime(2023, 1, 2, tzinfo=dt.UTC),
                        )
                    )  # fmt: skip
        CrisisActivation.objects.bulk_create(activations)


def naive(user: Any) -> dict[str, Any]:
    """The baseline: one community at a time for the stages, the year totals, the deadlines."""
    from cpts.aci import InvalidInput, contract_year, default_tree
    from cpts.communities.scope import visible_communities
    from cpts.contracts import engine, workflow
    from cpts.contracts.models import Contract
    from cpts.steering import dashboards

    stages: dict[str, int] = {}
    committed = Decimal(0)
    late = 0
    for community in visible_communities(user):
        stage = workflow.stage_of(community, TODAY)
        stages[stage] = stages.get(stage, 0) + 1
        for contract in Contract.objects.filter(community=community, signed_on__lte=TODAY):
            duration = default_tree().at("agreement.contract_duration_years", contract.signed_on)
            for number in range(1, duration.integer() + 1):
                start = contract_year(contract.signed_on, number).start
                if start >= contract.period_end or start > TODAY:
                    break
                with contextlib.suppress(InvalidInput):  # not counted, as the dashboard does
                    committed += engine.year_total(contract, number)
            if contract.signed_on <= TODAY < contract.period_end:
                late += sum(
                    d.status.value == "overdue" for d in engine.open_deadlines(contract, TODAY)
                )
    area = dashboards.area_of(user, dashboards.Filters(), TODAY)
    dashboards.coverage(area)
    dashboards.crises(area, dashboards.Filters())
    dashboards.indicators(area, dashboards.Filters())
    return {"stages": stages, "committed": committed, "late": late}


def facts_report(users: dict[str, Any], today: dt.date, runs: int) -> dict[str, Any]:
    """The national facts (``cpts.steering.facts``): computed in a process that has seen the
    data before (its memos warm: what the first reader after a write pays) and in a new one
    (memos emptied), the facts of one day, the whole warm-up, then each area's slice against
    the reference (the area's figures computed for it alone), checked equal."""
    from cpts.accounts.access import may_read_crisis_responses
    from cpts.steering import dashboards, facts
    from cpts.steering.versions import clear as clear_cache  # both levels

    def fresh() -> None:
        dashboards._projected.cache_clear()
        facts._CLOSED.clear()
        facts._OPEN.clear()
        facts.compute(today)

    computed_ms = median_ms(lambda: facts.compute(today), runs)
    cold_ms = median_ms(fresh, max(1, runs // 2))
    day_ms = median_ms(lambda: facts.compute_day(today), runs)
    warm_all_ms = median_ms(lambda: (clear_cache(), dashboards.warm(today)), max(1, runs // 2))
    national = facts.compute(today)
    days = {day: facts.compute_day(day) for day in facts.days(today)}
    slices: dict[str, Any] = {}
    for name, (user, filters) in {
        "national": (users["national"], dashboards.Filters()),
        "national_year": (users["national"], dashboards.Filters(year=today.year - 2)),
        "national_size_3": (users["national"], dashboards.Filters(size_class=3)),
        "ars_region": (users["ars"], dashboards.Filters()),
        "ars_region_year": (users["ars"], dashboards.Filters(year=today.year - 1)),
        "cpam_departement": (users["cpam"], dashboards.Filters()),
        "year_without_contract": (users["national"], dashboards.Filters(year=2018)),
    }.items():
        area = dashboards.area_of(user, filters, today)
        responses = may_read_crisis_responses(user)
        of_day = days.get(area.day) or facts.compute_day(area.day)
        sliced = facts.figures(national, of_day, area, filters, responses)
        reference = dashboards.reference_figures(area, filters, responses)
        assert sliced == reference, name
        slices[name] = {
            "communities": len(area.community_ids),
            "slice_ms": median_ms(
                lambda: facts.figures(national, of_day, area, filters, responses),  # noqa: B023
                runs,
            ),
            "reference_ms": median_ms(
                lambda: dashboards.reference_figures(area, filters, responses),  # noqa: B023
                max(1, runs // 2),
            ),
        }

    def after_warm_up() -> float:
        clear_cache()
        dashboards.warm(today)
        start = time.perf_counter()
        dashboards.dashboard(users["national"], dashboards.Filters(), today)
        return (time.perf_counter() - start) * 1000

    after = sorted(after_warm_up() for _ in range(max(1, runs // 2)))
    return {
        "facts_computed_warm_process_ms": computed_ms,
        "facts_computed_new_process_ms": cold_ms,
        "day_facts_ms": day_ms,
        "warm_up_all_days_ms": warm_all_ms,
        "warm_up_days": len(days),
        "dashboard_after_warm_up_ms": round(statistics.median(after), 1),
        "slices": slices,
        "target_facts_ms": 300,
        "target_slice_ms": 20,
    }


def demo_main(runs: int) -> None:
    """The facts on the national demo (``DATABASE_URL``: a copy of ``cpts_load``)."""
    import django

    django.setup()
    from django.db.models import Count

    from cpts.accounts.models import User
    from cpts.communities.models import Community
    from cpts.core.dates import today

    national = User.objects.get(username="national")
    departement = Community.objects.order_by("pk").values_list("departement_id", flat=True)[0]
    cpam = User.objects.filter(role="cpam", departements__code=departement).first()
    largest = (
        Community.objects.values("departement__region_id")
        .annotate(count=Count("pk"))
        .order_by("-count")
        .values_list("departement__region_id", flat=True)[0]
    )
    ars = User.objects.filter(role="ars", region_id=largest).first()
    report = facts_report({"national": national, "ars": ars, "cpam": cpam}, today(), runs)
    report["date"] = dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d")
    report["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, CPython " + str(
        platform.python_version()
    )
    report["communities"] = Community.objects.count()
    report["load_average_1_5_15"] = [round(value, 1) for value in os.getloadavg()]
    print(json.dumps(report, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument(
        "--demo", action="store_true", help="only the facts, on the national demo (DATABASE_URL)"
    )
    args = parser.parse_args()
    if args.demo:
        os.environ["DJANGO_SETTINGS_MODULE"] = "cpts.settings"
        demo_main(args.runs)
        return
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver"]
    from cpts.accounts.models import Role, User
    from cpts.contracts.models import Contract, ContractYear
    from cpts.steering import dashboards
    from cpts.steering.dashboards import Filters

    start = time.perf_counter()
    populate(args.communities)
    setup_s = time.perf_counter() - start
    national, _ = User.objects.get_or_create(
        username="bench-national", defaults={"role": Role.NATIONAL}
    )
    ars, _ = User.objects.get_or_create(
        username="bench-ars-hdf", defaults={"role": Role.ARS, "region_id": "32"}
    )
    cpam, created = User.objects.get_or_create(username="bench-cpam-59", defaults={"role": "cpam"})
    if created:
        cpam.departements.set(["59"])

    def board(user: Any = national, **filters: Any) -> dashboards.Dashboard:
        return dashboards.dashboard(user, Filters(**filters), TODAY)

    figures = board()
    baseline = naive(national)
    # the two ways agree
    assert {row.stage: row.count for row in figures.stages.rows if row.count} == {
        str(stage): count for stage, count in baseline["stages"].items()
    }, (figures.stages, baseline["stages"])
    assert figures.money.committed == baseline["committed"], (
        figures.money.committed,
        baseline["committed"],
    )
    assert len(figures.late) == baseline["late"]

    from cpts.communities import perimeters
    from cpts.steering.versions import clear as clear_cache  # both levels

    def computed() -> None:
        clear_cache()
        board()

    def cold() -> None:  # a new process: every memo of the engine's results empty
        from cpts.steering import facts

        clear_cache()
        dashboards._projected.cache_clear()
        facts._CLOSED.clear()
        facts._OPEN.clear()
        board()

    board()
    with CaptureQueriesContext(connection) as captured:
        board()
    hit_queries = len(captured)

    with CaptureQueriesContext(connection) as captured:
        computed()
    queries = len(captured)  # now: the log keeps the last 9,000 queries only
    client = Client()
    client.force_login(national)
    assert client.get("/pilotage/").status_code == 200

    def page(url: str, empty: bool) -> Callable[[], Any]:
        def get() -> None:
            if empty:
                clear_cache()
            assert client.get(url).status_code == 200

        return get

    cached_ms = median_ms(board, args.runs)
    warm_ms = median_ms(computed, args.runs)
    cold_ms = median_ms(cold, args.runs)
    year_ms = median_ms(lambda: (clear_cache(), board(year=2025)), args.runs)
    ars_ms = median_ms(lambda: (clear_cache(), board(ars)), args.runs)
    page_ms = median_ms(page("/pilotage/", True), args.runs)
    page_cached_ms = median_ms(page("/pilotage/", False), args.runs)
    territory_ms = median_ms(page("/territoire/", True), args.runs)
    territory_cached_ms = median_ms(page("/territoire/", False), args.runs)
    day = TODAY
    assert perimeters.overlapping_units(day) == perimeters._overlapping_units_reference(day)
    assert perimeters.uncovered_communes(day) == perimeters._uncovered_communes_reference(day)
    tables_ms = median_ms(
        lambda: (perimeters.overlapping_units(day), perimeters.uncovered_communes(day)), args.runs
    )

    def tables_reference() -> None:
        claims = perimeters.claims_on(day)
        perimeters._overlapping_units_reference(day, claims=claims)
        perimeters._uncovered_communes_reference(day, claims=claims)

    tables_reference_ms = median_ms(tables_reference, args.runs)
    load = os.getloadavg()
    naive_ms = median_ms(lambda: naive(national), max(1, args.runs // 3))
    report = {
        "date": dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, CPython "
        f"{platform.python_version()}, PostgreSQL",
        "communities": figures.communities,
        "contracts": Contract.objects.count(),
        "contract_years_counted": figures.money.years,
        "contract_years_recorded": ContractYear.objects.count(),
        "late_deadlines": len(figures.late),
        "crises": len(figures.crises),
        "setup_s": round(setup_s, 1),
        "load_average_1_5_15": [round(value, 1) for value in load],
        "queries_per_dashboard": queries,
        "queries_per_dashboard_cached": hit_queries,
        "dashboard_cached_ms": cached_ms,
        "dashboard_warm_ms": warm_ms,
        "dashboard_cold_ms": cold_ms,
        "dashboard_year_2025_ms": year_ms,
        "dashboard_ars_region_ms": ars_ms,
        "page_ms": page_ms,
        "page_cached_ms": page_cached_ms,
        "territory_page_ms": territory_ms,
        "territory_page_cached_ms": territory_cached_ms,
        "overlaps_and_white_zones_arrays_ms": tables_ms,
        "overlaps_and_white_zones_reference_ms": tables_reference_ms,
        "naive_one_by_one_ms": naive_ms,
        "ratio_naive_over_warm": round(naive_ms[0] / warm_ms[0], 1),
        "ratio_naive_over_cold": round(naive_ms[0] / cold_ms[0], 1),
        "target_ms": 300,
        "facts": facts_report({"national": national, "ars": ars, "cpam": cpam}, TODAY, args.runs),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
