"""Payments like accounts: runs dated and scoped, entries never edited, corrections and recoveries
as new entries, totals that reconcile, one run at a time.

Hand figures: a size-3 contract of the avenant-2 grid signed on 15 January 2023 with access to
care started that day pays 75,000 € of functioning at the signature and 67,500 € (75 % of the
90,000 € fixed part, a full year) at the mission's start; its year 1 totals 165,000 € when no
indicator is reached (functioning 75,000 + fixed part 90,000 + variable part 0).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role
from cpts.contracts import services
from cpts.contracts.models import Payment, PaymentRun
from cpts.payments import ledger
from cpts.www.dashboard import dashboard

pytestmark = pytest.mark.django_db


def start_access(contracted: dict[str, Any]) -> None:
    access = contracted["contract"].missions.get(mission="access")
    services.record_mission(access, contracted["cpam"], dt.date(2023, 1, 15), None)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(9999, 12, 31), "postérieure à aujourd'hui"),
        (dt.date(2019, 8, 24), "précède l'entrée en vigueur"),
    ],
)
def test_a_run_date_is_neither_future_nor_before_the_agreement(
    contracted: dict[str, Any], day: dt.date, message: str
) -> None:
    """Finding 3: run_on=9999-12-31 paid seven advances due 2027-2030."""
    with pytest.raises(ledger.PaymentRunError, match=message):
        ledger.run_payments(contracted["cpam"], day)
    assert not Payment.objects.exists()
    assert not PaymentRun.objects.exists()


def test_a_run_pays_only_what_is_due_by_its_date(people: dict[str, Any]) -> None:
    """Finding 3: an accélérateur granted on 2024-06-01 was paid by a run dated 2024-03-01."""
    nord = people["nord"]
    letter = services.file_letter_of_intent(nord, people["coordinator"], dt.date(2024, 1, 5), "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
    services.grant_accelerator(nord, people["cpam"], dt.date(2024, 6, 1))
    early = ledger.run_payments(people["cpam"], dt.date(2024, 3, 1))
    assert early.paid == []
    assert Payment.objects.get(kind="accelerator").status == "due"
    on_time = ledger.run_payments(people["cpam"], dt.date(2024, 6, 1))
    assert [(p.kind, p.amount) for p in on_time.paid] == [("accelerator", Decimal("25000.00"))]


def test_a_run_pays_only_the_scope_of_its_author(contracted: dict[str, Any]) -> None:
    from tests.contracts.test_years_and_amendments import _ready_to_sign

    other = contracted["pas_de_calais"]  # département 62: not the CPAM of the Nord's
    _ready_to_sign(contracted, other, dt.date(2022, 12, 1))
    services.sign_contract(other, contracted["admin"], dt.date(2023, 1, 15), "a", "b", "c")
    report = ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    assert {p.community for p in report.paid} == {contracted["nord"]}
    assert not Payment.objects.filter(community=other).exists()
    with pytest.raises(Exception, match=r"rôle|introuvable"):
        ledger.run_payments(contracted["ars"], dt.date(2023, 2, 1))  # an ARS does not pay


def test_a_paid_entry_is_never_edited_nor_deleted(contracted: dict[str, Any]) -> None:
    """Finding 4: a payment already paid could be corrected in place."""
    ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    paid = Payment.objects.get(kind="functioning")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=paid.pk).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=paid.pk).delete()
    paid.refresh_from_db()
    assert paid.amount == Decimal("75000.00")


def test_corrections_are_entries_and_every_total_adds_them(contracted: dict[str, Any]) -> None:
    """Finding 4: dashboards and run totals ignored corrected amounts."""
    cpam, nord = contracted["cpam"], contracted["nord"]
    first = ledger.run_payments(cpam, dt.date(2023, 2, 1))
    functioning = Payment.objects.get(kind="functioning")
    ledger.correct_payment(
        functioning, cpam, Decimal("74000.00"), "Dossier incomplet", dt.date(2023, 2, 2)
    )
    board = dashboard(nord, dt.date(2023, 2, 2))
    assert (board.paid, board.to_recover) == (Decimal("75000.00"), Decimal("1000.00"))
    second = ledger.run_payments(cpam, dt.date(2023, 2, 2))
    assert [(p.kind, p.amount) for p in second.paid] == [("adjustment", Decimal("-1000.00"))]
    assert second.run.total == Decimal("-1000.00")
    board = dashboard(nord, dt.date(2023, 2, 3))
    assert (board.paid, board.due, board.to_recover) == (Decimal("74000.00"), 0, 0)
    every_entry = sum(Payment.objects.filter(community=nord).values_list("amount", flat=True))
    assert board.paid == every_entry == first.run.total + second.run.total
    with pytest.raises(services.RuleError, match="rien à régulariser"):
        ledger.correct_payment(functioning, cpam, Decimal("74000.00"), "encore")


def test_a_negative_balance_is_a_recovery_and_does_not_stop_the_run(
    contracted: dict[str, Any],
) -> None:
    """Finding 7: a year's final total below what was advanced aborted the whole national run."""
    cpam = contracted["cpam"]
    start_access(contracted)
    ledger.run_payments(cpam, dt.date(2023, 2, 1))  # 75,000 + 67,500
    advance = Payment.objects.get(kind="mission_start")
    ledger.correct_payment(
        advance, cpam, Decimal("97500.00"), "Avance ressaisie", dt.date(2023, 2, 15)
    )
    ledger.run_payments(cpam, dt.date(2023, 3, 1))  # the +30,000 adjustment is paid
    services.close_evaluation(contracted["contract"], 1, cpam, dt.date(2024, 1, 20))
    # another contract of the same CPAM, in the same run, must still be paid
    other = services.sign_contract(
        _signed_community(contracted), cpam, dt.date(2024, 1, 15), "a", "b", "c"
    )
    report = ledger.run_payments(cpam, dt.date(2024, 1, 20))
    recovery = Payment.objects.get(kind="recovery")
    # 165,000 final total − (75,000 + 67,500 + 30,000) advanced = −7,500
    assert (recovery.amount, recovery.contract_year, recovery.status) == (
        Decimal("-7500.00"),
        1,
        "paid",
    )
    assert recovery.explanation["settlement"]["total"] == "165000.00"
    assert report.skipped == []
    assert Payment.objects.filter(contract=other, kind="functioning").exists()
    page = Client()
    page.force_login(cpam)
    html = page.get(reverse("communities:payments", args=[contracted["nord"].pk])).content.decode()
    assert "Reprise sur avances" in html
    assert "recouvré" in html


def _signed_community(people: dict[str, Any]) -> Any:
    from cpts.communities.models import Community
    from tests.contracts.test_years_and_amendments import _ready_to_sign

    community = Community.objects.create(
        name="CPTS Flandre", departement_id="59", population=30_000
    )
    _ready_to_sign(people, community, dt.date(2023, 12, 1))
    return community


def test_computed_amounts_are_read_only_in_the_admin(contracted: dict[str, Any]) -> None:
    """Finding 4: the admin could edit a computed amount."""
    ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    paid = Payment.objects.get(kind="functioning")
    client = Client()
    client.force_login(contracted["admin"])
    url = reverse("admin:contracts_payment_change", args=[paid.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()
    assert client.post(url, {"amount": "1.00"}).status_code == 403
    paid.refresh_from_db()
    assert paid.amount == Decimal("75000.00")


def test_another_cpams_run_is_out_of_sight(contracted: dict[str, Any], make_user: Any) -> None:
    """Finding 11: another CPAM's payment run header was readable."""
    report = ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    other = make_user("cpam62", Role.CPAM, departements=["62"])
    client = Client()
    client.force_login(other)
    assert client.get(reverse("contracts:payment_run", args=[report.run.pk])).status_code == 404
    listing = client.get(reverse("contracts:payment_runs")).content.decode()
    assert reverse("contracts:payment_run", args=[report.run.pk]) not in listing
    client.force_login(contracted["cpam"])
    assert client.get(reverse("contracts:payment_run", args=[report.run.pk])).status_code == 200


def test_a_run_in_the_browser_reports_the_skipped_contracts(contracted: dict[str, Any]) -> None:
    from cpts.contracts.models import MissionCommitment

    start_access(contracted)
    other = services.sign_contract(
        _signed_community(contracted), contracted["cpam"], dt.date(2024, 1, 15), "a", "b", "c"
    )
    MissionCommitment.objects.filter(contract=other, mission="access").update(
        started_on=dt.date(2020, 1, 1)
    )
    client = Client()
    client.force_login(contracted["cpam"])
    response = client.post(reverse("contracts:payment_runs"), {"run_on": "2024-02-01"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "CPTS Flandre" in html
    assert "Aucun versement n&#x27;a été enregistré" in html
    future = client.post(reverse("contracts:payment_runs"), {"run_on": "9999-12-31"})
    assert future.status_code == 200
    assert "postérieure à aujourd" in future.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_pay_twice_nor_fail_with_a_500(contracted: dict[str, Any]) -> None:
    """Finding 6: the loser of two concurrent runs got a 500 (an IntegrityError)."""
    start_access(contracted)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            report = ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
            outcomes.append(f"paid {len(report.paid)}")
        except ledger.PaymentRunError as error:
            outcomes.append(str(error))
        except Exception as error:  # pragma: no cover - what the test forbids
            outcomes.append(f"CRASH {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [outcome for outcome in outcomes if outcome.startswith("CRASH")], outcomes
    assert "paid 2" in outcomes  # one run paid the functioning and the access advance
    other = next(outcome for outcome in outcomes if outcome != "paid 2")
    assert (
        other == "paid 0"
        or "Une campagne de paiement, une résiliation ou un calcul des indicateurs est en cours"
        in other
    )
    assert Payment.objects.count() == 2
