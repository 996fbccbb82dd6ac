"""The dashboards as slices of the national facts (``cpts.steering.facts``) equal the reference,
the figures computed for each area alone (``dashboards.reference_figures``): every figure, to the
cent, same counts, same order. On a small national demo (24 communities over every region: closed
and open contract years, renewals, recoveries, crises, overlapping perimeters), with an amendment
applied and a year the engine refuses added, and for every role, year, size class.

Also: the coverage by département and month adds up to ``coverage_series`` (a region, the
nation), the warm-up computes the facts so that the next dashboard reads none of the expensive
tables, and the management command ``warm_steering``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from cpts.accounts.access import may_read_crisis_responses
from cpts.accounts.models import Role, User
from cpts.aci import InvalidInput, contract_year, default_tree
from cpts.communities import perimeters
from cpts.communities.models import Community
from cpts.contracts import engine
from cpts.contracts.models import Amendment, Contract, ContractYear, MissionCommitment
from cpts.core.dates import today as today_
from cpts.demo.national import seed_national
from cpts.steering import dashboards, facts
from cpts.steering.dashboards import Filters
from cpts.territory.models import Departement, Region
from tests.steering.test_dashboards import entry, steering  # noqa: F401  (the fixture)

COUNT = 24


@pytest.fixture(scope="module")
def country(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The small national demo, with an applied amendment (a smaller size class from its second
    year) and a contract whose year 1 the engine refuses (a mission started before the
    signature); built once for the module in a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            summary = seed_national(COUNT, seed=7)
            today = today_()
            contracts = list(Contract.objects.filter(renews__isnull=True).order_by("signed_on"))
            amended = next(c for c in contracts if c.ends_on > today)
            perimeter_id = amended.perimeter_id
            Amendment.objects.create(
                contract=amended, status=Amendment.Status.APPLIED,
                proposed_on=amended.signed_on + dt.timedelta(days=300), cause="Test",
                population=amended.population // 2, size_class=max(1, amended.size_class - 1),
                members=amended.members, perimeter_id=perimeter_id,
                effective_from=amended.signed_on + dt.timedelta(days=380),
                decided_on=amended.signed_on + dt.timedelta(days=330),
                decided_by=User.objects.get(role=Role.NATIONAL),
            )  # fmt: skip
            refused = next(
                c
                for c in Contract.objects.filter(signed_on__lte=today).order_by("-signed_on")
                if c.pk != amended.pk
                and not ContractYear.objects.filter(contract=c, number=1, total__isnull=False)
            )
            MissionCommitment.objects.filter(contract=refused).update(
                started_on=refused.signed_on - dt.timedelta(days=60)
            )
            # recoveries (booked this year and last year, one still due), a balance due
            last_year = dt.date(today.year - 1, 6, 3).isoformat()
            this_month = today.replace(day=1).isoformat()
            admin = User.objects.get(role=Role.ADMIN)
            entry(refused.community, "-800.00", "recovery", this_month, contract=refused,
                  contract_year=1)  # fmt: skip
            for contract, amount, paid_on, number in (
                (amended, "-412.37", last_year, 1),
                (amended, "-300.00", None, 2),
                (amended, "1234.56", None, 2),
                (amended, "0.00", this_month, 2),
            ):
                entry(contract.community, amount, "adjustment", paid_on, contract=contract,
                      contract_year=number, reason="Test", created_by=admin)  # fmt: skip
            # an overlap: a community claims a commune of another's perimeter, since last year
            since = dt.date(today.year - 1, 3, 1)
            claimed = [
                (community, perimeter)
                for community in Community.objects.order_by("pk")
                if (perimeter := perimeters.current_perimeter(community)) is not None
            ]
            (_first, first_perimeter), (second, second_perimeter) = [
                pair for pair in claimed if pair[1].valid_from < since
            ][:2]
            communes = [item.commune for item in second_perimeter.items.all()]
            communes.append(first_perimeter.items.first().commune)
            perimeters.set_perimeter(second, communes, since, user=admin)
            facilitator = User.objects.get(role=Role.FACILITATOR)
            accompanied = list(Community.objects.order_by("pk")[:5])
            facilitator.accompanied.set(accompanied)
            yield {
                "summary": summary,
                "today": today,
                "amended": amended,
                "refused": refused,
                "facilitator": facilitator,
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def compare(user: User, filters: Filters, today: dt.date, national: facts.Facts) -> None:
    area = dashboards.area_of(user, filters, today)
    responses = may_read_crisis_responses(user)
    sliced = facts.figures(national, facts.compute_day(area.day), area, filters, responses)
    reference = dashboards.reference_figures(area, filters, responses)
    for name, mine, theirs in zip(
        ("stages", "coverage", "money", "late", "crises", "indicators"),
        sliced,
        reference,
        strict=True,
    ):
        assert mine == theirs, (name, user.username, filters)


def users() -> list[User]:
    region = Region.objects.order_by("code").values_list("code", flat=True)[0]
    departement = Community.objects.order_by("pk").values_list("departement_id", flat=True)[0]
    return [
        User.objects.get(role=Role.NATIONAL),
        User.objects.get(role=Role.ARS, region_id=region),
        User.objects.filter(role=Role.CPAM, departements__code=departement).first(),
        User.objects.get(role=Role.FACILITATOR),
    ]


@pytest.mark.django_db
def test_the_fixture_has_what_the_comparison_needs(country: dict[str, Any]) -> None:
    today = country["today"]
    national = facts.compute(today)
    assert national.years.refused.any()  # a refused year
    closed = ContractYear.objects.filter(total__isnull=False).count()
    assert closed > 0
    assert len(national.years.total) > closed  # and open ones, projected by the engine
    assert Contract.objects.filter(renews__isnull=False).exists()
    assert (national.entries.paid & (national.entries.sign < 0)).any()  # a recovery booked
    overlaps = perimeters.coverage(today)["overlaps"]
    assert overlaps > 0
    assert Amendment.objects.filter(status=Amendment.Status.APPLIED).count() == 1


@pytest.mark.django_db
def test_slices_equal_the_reference_for_every_role_year_and_size(
    country: dict[str, Any],
) -> None:
    today = country["today"]
    national = facts.compute(today)
    years = [None, *range(dashboards.SERIES_START.year - 1, today.year + 2)]
    for user in [*users(), country["facilitator"]]:
        for year in years:
            compare(user, Filters(year=year), today, national)
        for size in (1, 2, 3, 4):
            compare(user, Filters(size_class=size), today, national)
            compare(user, Filters(size_class=size, year=today.year - 1), today, national)


@pytest.mark.django_db
def test_slices_equal_the_reference_for_a_region_and_a_departement_filter(
    country: dict[str, Any],
) -> None:
    today = country["today"]
    national = facts.compute(today)
    viewer = User.objects.get(role=Role.NATIONAL)
    community = Community.objects.select_related("departement").order_by("pk").first()
    assert community is not None
    region, departement = community.departement.region_id, community.departement_id
    for filters in (
        Filters(region=region),
        Filters(departement=departement),
        Filters(region=region, year=today.year - 2),
        Filters(departement=departement, size_class=2),
        Filters(region=region, size_class=3, year=today.year),
        # a département of another region than the one named: the reference's rows are the
        # region's, filtered to the département (none); the slice keeps the same
        Filters(
            region=Departement.objects.exclude(region_id=region).values_list(
                "region_id", flat=True
            )[0],
            departement=departement,
        ),
    ):
        compare(viewer, filters, today, national)


@pytest.mark.django_db
def test_the_facts_count_each_year_once_and_the_money_adds_up(country: dict[str, Any]) -> None:
    """The national committed total is the sum of ``engine.year_total`` over every contract year
    started (the recorded total of a closed one, the engine's of an open one), taken one by one;
    the refused contract's first year counts as refused, not as money."""
    today = country["today"]
    national = facts.compute(today)
    viewer = User.objects.get(role=Role.NATIONAL)
    area = dashboards.area_of(viewer, Filters(), today)
    money = facts.money(national, area, Filters())
    refused = country["refused"]
    years = national.years
    first_year = (years.community == refused.community_id) & (
        years.start == refused.signed_on.toordinal()
    )
    assert years.refused[first_year].tolist() == [True]
    assert money.refused == int(years.refused.sum()) >= 1
    assert money.years + money.refused == len(years.total)
    # one contract year at a time, through the engine's own entry point (no memo, no facts)
    expected, refusals = Decimal("0.00"), 0
    for contract in Contract.objects.filter(signed_on__lte=today):
        duration = default_tree().at("agreement.contract_duration_years", contract.signed_on)
        for number in range(1, duration.integer() + 1):
            start = contract_year(contract.signed_on, number).start
            if start >= contract.period_end or start > today:
                break
            try:
                expected += engine.year_total(contract, number)
            except InvalidInput:
                refusals += 1
    assert money.committed == expected
    assert money.refused == refusals
    assert money.committed == sum(row.committed for row in money.by_year)
    assert money.committed == sum(row.committed for row in money.by_region)
    assert money.committed == sum(row.committed for row in money.by_mission)


@pytest.mark.django_db
def test_coverage_by_departement_series_adds_up_to_coverage_series(
    country: dict[str, Any],
) -> None:
    today = country["today"]
    start = dashboards.SERIES_START
    series = perimeters.coverage_by_departement_series(start, today)
    national = perimeters.coverage_series(start, today)
    assert [point["date"] for point in national] == [day.isoformat() for day in series.days]
    assert [(point["population"], point["covered_population"]) for point in national] == [
        (population, covered) for _, population, covered in series.totals(None, today)
    ]
    community = Community.objects.select_related("departement").order_by("pk").first()
    assert community is not None
    region = community.departement.region_id
    in_region = frozenset(
        Departement.objects.filter(region_id=region).values_list("code", flat=True)
    )
    regional = perimeters.coverage_series(start, today, region=region)
    assert regional[-1]["covered_population"] > 0
    assert [(p["population"], p["covered_population"]) for p in regional] == [
        (population, covered) for _, population, covered in series.totals(in_region, today)
    ]
    # up to a past December 31: a prefix
    end = dt.date(today.year - 2, 12, 31)
    past = perimeters.coverage_series(start, end, region=region)
    assert [(dt.date.fromisoformat(p["date"]), p["population"], p["covered_population"])
            for p in past] == series.totals(in_region, end)  # fmt: skip
