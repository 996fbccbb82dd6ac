"""The national demo (``cpts demo national``), built small: its invariants. The full size (a
thousand communities) is measured by the load test (benchmarks/load, docs/benchmarks.md)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from cpts.accounts.models import User
from cpts.aci import payment_schedule
from cpts.communities.identifiers import finess_error, rpps_error
from cpts.communities.models import Community, Member
from cpts.communities.perimeters import current_perimeter, uncovered_communes
from cpts.contracts import engine
from cpts.contracts.models import (
    Contract,
    ContractYear,
    Evaluation,
    Indicator,
    Payment,
    PaymentKind,
    PaymentRun,
)
from cpts.core.dates import today
from cpts.crises.models import CrisisActivation, HealthCrisis
from cpts.demo.national import NationalError, Summary, plan, seed_national
from cpts.payments import ledger
from cpts.territory.models import Epci, Region

pytestmark = [pytest.mark.load, pytest.mark.django_db]

COUNT = 24  # more than the 18 regions


@pytest.fixture(scope="module")
def country(django_db_setup: None, django_db_blocker: Any) -> Iterator[Summary]:
    """Built once for the module, inside a transaction rolled back at its end (each test runs
    in a savepoint of it, as under ``TestCase.setUpTestData``)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_national(COUNT, seed=7)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_counts_and_spread_over_every_region(country: Summary) -> None:
    assert Community.objects.count() == country.communities == COUNT
    assert Contract.objects.count() == country.contracts > COUNT // 2
    assert Member.objects.count() == country.members
    assert 85 * COUNT <= country.members <= 115 * COUNT  # about a hundred each
    assert ContractYear.objects.count() == country.contract_years
    assert Indicator.objects.count() == country.indicators > 0
    assert Evaluation.objects.filter(status="closed").count() == country.evaluations > 0
    assert HealthCrisis.objects.count() == country.crises > 0
    assert CrisisActivation.objects.count() == country.activations > 0
    assert PaymentRun.objects.count() == country.payment_runs > 0
    assert Payment.objects.count() == country.payments > 0
    regions = set(Community.objects.values_list("departement__region_id", flat=True))
    assert regions == set(Region.objects.values_list("code", flat=True))  # all 18
    signed = Contract.objects.filter(renews__isnull=True).values_list("signed_on", flat=True)
    assert {day.year for day in signed} <= set(range(2019, 2025))
    assert min(day.year for day in signed) <= 2020  # five years of history


def test_members_carry_valid_identifiers(country: Summary) -> None:
    professionals = Member.objects.filter(kind=Member.Kind.PROFESSIONAL)
    assert professionals.count() > 0.9 * country.members
    assert all(rpps_error(rpps) is None for rpps in professionals.values_list("rpps", flat=True))
    structures = Member.objects.filter(kind=Member.Kind.STRUCTURE)
    assert all(finess_error(code) is None for code in structures.values_list("finess", flat=True))
    assert len(set(professionals.values_list("profession", flat=True))) >= 8


def test_perimeters_are_real_intercommunalities_and_leave_white_zones(country: Summary) -> None:
    for community in Community.objects.select_related("departement"):
        perimeter = current_perimeter(community)
        assert perimeter is not None
        codes = set(perimeter.items.values_list("commune_id", flat=True))
        # at least one whole EPCI of the DGCL list is in it
        assert any(
            set(epci.communes.values_list("code", flat=True)) <= codes
            for epci in Epci.objects.filter(communes__in=codes).distinct()
        ), community.name
        # its département is that of one of its communes, and in its region
        departements = set(perimeter.communes.values_list("departement_id", flat=True))
        assert community.departement_id in departements
        regions = set(perimeter.communes.values_list("departement__region_id", flat=True))
        assert community.departement.region_id in regions
    assert uncovered_communes(today())  # white zones remain


def test_amounts_are_the_engines(country: Summary) -> None:
    rng = random.Random(1)
    closed = list(ContractYear.objects.filter(total__isnull=False).select_related("contract"))
    assert closed
    for year in rng.sample(closed, min(12, len(closed))):
        result = engine.compute(year.contract, year.number, final=True)
        assert year.total == result.total
        assert (
            Evaluation.objects.get(contract=year.contract, contract_year=year.number).result
            == result.to_dict()
        )
    # the advances booked are those of the engine's schedule
    booked = Payment.objects.filter(
        kind__in=[PaymentKind.FUNCTIONING, PaymentKind.ADVANCE]
    ).select_related("contract")
    assert booked
    for payment in booked[:40]:
        assert payment.contract is not None
        assert payment.contract_year is not None
        schedule = payment_schedule(engine.engine_input(payment.contract, payment.contract_year))
        expected = [p.amount for p in schedule.payments if p.kind == payment.kind]
        assert payment.amount in expected


def test_payments_reconcile_with_the_ledger(country: Summary) -> None:
    everything = ledger.totals(Payment.objects.all())
    runs = sum(PaymentRun.objects.values_list("total", flat=True), Decimal(0))
    assert everything.paid == runs  # every paid entry belongs to a run, and only those
    assert sum(PaymentRun.objects.values_list("payments_count", flat=True)) == (
        Payment.objects.filter(status=Payment.Status.PAID).count()
    )
    for payment in Payment.objects.filter(status=Payment.Status.PAID).select_related("run")[:200]:
        assert payment.run is not None
        assert payment.paid_on == payment.run.run_on
        assert payment.due_on <= payment.paid_on
    # each settled year: what was paid for it (advances, crisis part, balance or recovery)
    # adds up to the engine's final total
    settled = 0
    for year in ContractYear.objects.filter(total__isnull=False):
        entries = Payment.objects.filter(contract=year.contract, contract_year=year.number)
        if entries.filter(kind__in=[PaymentKind.BALANCE, PaymentKind.RECOVERY]).exists():
            assert sum(entries.values_list("amount", flat=True), Decimal(0)) == year.total
            settled += 1
    assert settled > 0
    # the real ledger, run today for every CPAM, finds nothing the history forgot
    before = Payment.objects.count()
    for user in User.objects.filter(username__startswith="cpam-"):
        report = ledger.run_payments(user, today())
        assert report.paid == [], [(p.contract_id, p.kind, p.amount) for p in report.paid]
        assert report.skipped == []
    assert Payment.objects.count() == before


def test_deterministic_and_refuses_to_run_twice(country: Summary) -> None:
    first = plan(COUNT, 7, today())
    again = plan(COUNT, 7, today())
    assert [(p.name, p.communes, p.stage, p.signed) for p in first] == [
        (p.name, p.communes, p.stage, p.signed) for p in again
    ]
    assert [p.name for p in plan(COUNT, 8, today())] != [p.name for p in first]
    with pytest.raises(NationalError, match=f"contient déjà {COUNT} CPTS"):
        seed_national(COUNT, seed=7)
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_national", communities=COUNT, quiet=True)


def test_a_count_out_of_range_is_a_french_message(geography: None) -> None:
    with pytest.raises(NationalError, match="Nombre de CPTS impossible"):
        seed_national(0)
    with pytest.raises(NationalError, match="Nombre de CPTS impossible"):
        seed_national(5000)


def test_a_refusal_prints_only_its_french_message(geography: None) -> None:
    """No progress bar (nor its blank lines) before the message of a refused count."""
    import io

    out = io.StringIO()
    with pytest.raises(CommandError, match="Nombre de CPTS impossible"):
        call_command("seed_national", communities=0, stdout=out)
    assert out.getvalue() == ""


@pytest.mark.django_db(transaction=True)
def test_the_reset_keeps_the_data_version_and_moves_it(geography: None) -> None:
    """``--reset`` empties the data, not the counters of the data version
    (``cpts.steering.versions``): emptied, a version could come back and a cache hold on to
    figures of the data before the reset."""
    from django.db import connection

    from cpts.demo.national import reset
    from cpts.steering.versions import data_version

    Community.objects.create(name="CPTS à effacer", departement_id="59", population=10_000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cpts_data_version")
        slots = cursor.fetchone()
    before = data_version()
    reset()
    assert not Community.objects.exists()
    assert Region.objects.exists()  # the reference territory stays
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cpts_data_version")
        assert cursor.fetchone() == slots
    after = data_version()
    assert before is not None
    assert after is not None
    assert after > before  # the TRUNCATE of the watched tables bumped it
