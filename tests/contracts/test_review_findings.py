"""What the hostile review of the ledger found, each with the test that failed before its fix.

Hand figures (size 3, avenant-2 grid, access to care started at the signature on 15 Jan 2023):
functioning 75,000 € paid at the signature, 67,500 € at the mission's start (75 % of 90,000);
year 2's advance on 15 Jan 2024 is 75 % of (75,000 + 90,000) = 123,750 €.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from cpts.contracts import services
from cpts.contracts.locks import lock_money
from cpts.contracts.models import Amendment, Evaluation, Payment
from cpts.crises.models import Typology
from cpts.crises.services import declare_crisis
from cpts.payments import ledger
from tests.contracts.test_years_and_amendments import _ready_to_sign

pytestmark = pytest.mark.django_db


def start_access(contracted: dict[str, Any]) -> None:
    access = contracted["contract"].missions.get(mission="access")
    services.record_mission(access, contracted["cpam"], dt.date(2023, 1, 15), None)


def test_a_termination_recorded_late_recovers_the_later_years_in_full(
    contracted: dict[str, Any],
) -> None:
    """Review 1: a termination dated 1 June 2023, recorded after year 2's advance was paid,
    recovered year 1 only."""
    start_access(contracted)
    ledger.run_payments(contracted["cpam"], dt.date(2024, 2, 1))
    assert Payment.objects.get(contract_year=2, kind="advance").amount == Decimal("123750.00")
    recovery = services.terminate_contract(
        contracted["contract"], contracted["cpam"], dt.date(2023, 6, 1), "Missions non déployées"
    )
    assert recovery is not None
    # year 1: 142,500 x 228 days left / 365 = 89,013.698... ; year 2: 123,750 in full
    assert recovery.amount == -(Decimal("89013.70") + Decimal("123750.00"))
    assert recovery.explanation["termination"]["later"] == "123750.00"


@pytest.mark.django_db(transaction=True)
def test_a_termination_waits_for_no_run_it_is_refused_while_one_holds_the_lock(
    contracted: dict[str, Any],
) -> None:
    """Review 2: a termination racing a run lost its recovery; now they share one lock."""
    holding, release = threading.Event(), threading.Event()

    def run_in_progress() -> None:
        try:
            with transaction.atomic():
                lock_money()
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=run_in_progress)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(services.RuleError, match="en cours"):
            services.terminate_contract(
                contracted["contract"], contracted["cpam"], dt.date(2023, 6, 1), "Retard"
            )
    finally:
        release.set()
        thread.join()
    contracted["contract"].refresh_from_db()
    assert contracted["contract"].terminated_on is None


@pytest.mark.django_db(transaction=True)
def test_two_applications_of_one_amendment_decide_once(contracted: dict[str, Any]) -> None:
    """Review 7: two applications of the same amendment both succeeded."""
    amendment = services.propose_amendment(
        contracted["contract"], "Périmètre", 250_000, 0, None, dt.date(2026, 11, 1)
    )
    assert amendment is not None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def apply() -> None:
        try:
            barrier.wait()
            services.apply_amendment(amendment, contracted["cpam"], dt.date(2026, 11, 2))
            outcomes.append("applied")
        except services.RuleError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Cet avenant a déjà fait l'objet d'une décision.", "applied"]
    assert Amendment.objects.get().history.filter(history_type="~").count() == 1


def test_a_second_termination_is_a_french_message(contracted: dict[str, Any]) -> None:
    services.terminate_contract(
        contracted["contract"], contracted["cpam"], dt.date(2023, 6, 1), "a"
    )
    client = Client()
    client.force_login(contracted["cpam"])
    response = client.post(
        reverse("communities:contract_terminate", args=[contracted["nord"].pk]),
        {"end-terminated_on": "2023-07-01", "end-reason": "b"},
    )
    assert response.status_code in (200, 302)
    assert Payment.objects.filter(kind="termination").count() <= 1


def test_a_crisis_is_dated_and_never_pays_into_a_settled_year(contracted: dict[str, Any]) -> None:
    """Review 4: a crisis backdated into a closed and settled year paid 67,500 € more."""
    crisis = contracted["contract"].missions.get(mission="crisis")
    services.record_mission(crisis, contracted["cpam"], dt.date(2023, 1, 15), None)
    services.close_evaluation(contracted["contract"], 1, contracted["cpam"], dt.date(2024, 1, 20))
    ledger.run_payments(contracted["cpam"], dt.date(2024, 1, 20))
    _, payments = declare_crisis(
        contracted["ars"], dt.date(2023, 3, 1), Typology.EPIDEMIC, "Grippe"
    )
    assert payments == []
    for day in (dt.date(1, 1, 1), dt.date(9999, 1, 1), dt.date(2021, 6, 1)):
        with pytest.raises(services.RuleError, match="la date doit être comprise"):
            declare_crisis(contracted["ars"], day, Typology.EPIDEMIC, "Crise")


def test_an_amendment_can_be_decided_from_the_page(contracted: dict[str, Any]) -> None:
    """Review 5: the page sent the amendment's id twice (the last one empty): nothing happened."""
    amendment = services.propose_amendment(
        contracted["contract"], "Périmètre", 250_000, 0, None, dt.date(2026, 11, 1)
    )
    assert amendment is not None
    client = Client()
    client.force_login(contracted["cpam"])
    url = reverse("communities:contract", args=[contracted["nord"].pk])
    page = client.get(url).content.decode()
    assert page.count('name="amendment-amendment"') == 1
    assert f'name="amendment-amendment" value="{amendment.pk}"' in page
    response = client.post(
        reverse("communities:contract_amendment", args=[contracted["nord"].pk]),
        {
            "amendment-amendment": str(amendment.pk),
            "amendment-decision": "dismiss",
            "amendment-decided_on": "2026-11-02",
        },
    )
    assert response.status_code == 302
    amendment.refresh_from_db()
    assert (amendment.status, amendment.decided_by) == ("dismissed", contracted["cpam"])


def test_the_previous_contract_stays_reachable_after_a_renewal(people: dict[str, Any]) -> None:
    """Review 6: after a renewal, the previous contract's year 5 could not be closed."""
    nord = people["nord"]
    _ready_to_sign(people, nord, dt.date(2019, 12, 1))
    first = services.sign_contract(nord, people["cpam"], dt.date(2020, 1, 15), "a", "b", "c")
    services.sign_contract(nord, people["cpam"], dt.date(2025, 1, 15), "a", "b", "c")
    client = Client()
    client.force_login(people["cpam"])
    annex = reverse("communities:annex", args=[nord.pk, 5])
    page = client.get(f"{annex}?contrat={first.pk}")
    assert page.status_code == 200
    close = reverse("communities:close_evaluation", args=[nord.pk, 5])
    assert f'action="{close}?contrat={first.pk}"' in page.content.decode()
    response = client.post(f"{close}?contrat={first.pk}", {"closed_on": "2025-01-20"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?contrat={first.pk}")
    assert Evaluation.objects.get(contract=first, contract_year=5).status == "closed"
    assert client.get(f"{annex}?contrat=999999").status_code == 404
    assert client.get(f"{annex}?contrat=abc").status_code == 404
    assert client.get(f"{annex}?contrat=²").status_code == 404  # a digit, not an ASCII one


def test_a_correction_cannot_exceed_what_the_agreement_allows(contracted: dict[str, Any]) -> None:
    """Review 8: an advance of 187,500 € could be corrected to 9,999,999,999.99 €."""
    start_access(contracted)
    ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    advance = Payment.objects.get(kind="mission_start")
    with pytest.raises(services.RuleError, match="dépasse"):
        ledger.correct_payment(
            advance, contracted["cpam"], Decimal("9999999999.99"), "faute de frappe"
        )
    assert not Payment.objects.filter(kind="adjustment").exists()


def test_an_indicator_is_read_only_in_the_admin(contracted: dict[str, Any]) -> None:
    """Review 9: the admin could change a decided indicator's value behind the services."""
    from cpts.contracts.models import Indicator

    indicator = Indicator.objects.create(
        contract=contracted["contract"], contract_year=1, mission="access", action="a", label="l",
        kind="done", amount=Decimal(1000), verdict="refused", verdict_reason="non fait",
        decided_on=dt.date(2024, 2, 1), decided_by=contracted["cpam"],
    )  # fmt: skip
    client = Client()
    client.force_login(contracted["admin"])
    url = reverse("admin:contracts_indicator_change", args=[indicator.pk])
    assert client.post(url, {"done": "on", "measured_value": "123"}).status_code == 403
    indicator.refresh_from_db()
    assert (indicator.done, indicator.verdict) == (False, "refused")


@pytest.mark.parametrize("day", ["0001-01-01", "2019-01-01", "9999-12-31"])
def test_the_accelerator_at_an_impossible_date_is_a_french_message(
    people: dict[str, Any], day: str
) -> None:
    """Review 10: granting the accélérateur on 2019-01-01 answered 500."""
    nord = people["nord"]
    letter = services.file_letter_of_intent(nord, people["coordinator"], dt.date(2024, 1, 5), "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
    client = Client()
    client.force_login(people["cpam"])
    response = client.post(
        reverse("communities:accelerator", args=[nord.pk]),
        {"granted_on": day, "association": "on", "core_mission_started": "on"},
    )
    assert response.status_code == 200
    assert "la date doit être comprise" in response.content.decode()
    assert not Payment.objects.exists()


def test_impossible_lifecycle_dates_are_refused(contracted: dict[str, Any]) -> None:
    """Review 11: a letter filed on 01/01/0001, a mission started on 31/12/9999."""
    with pytest.raises(services.RuleError, match="Date de dépôt"):
        services.file_letter_of_intent(
            contracted["toulouse"], contracted["admin"], dt.date(1, 1, 1), "L"
        )
    access = contracted["contract"].missions.get(mission="access")
    with pytest.raises(services.RuleError, match="Date de démarrage"):
        services.record_mission(access, contracted["cpam"], dt.date(9999, 12, 31), None)


def test_runs_and_proposals_name_their_author(contracted: dict[str, Any]) -> None:
    """Review 12: runs created without an author in the history; proposals from imports too."""
    from cpts.communities.perimeters import set_perimeter
    from cpts.territory.models import Commune

    report = ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    assert {row.history_user for row in report.run.history.all()} == {contracted["cpam"]}
    set_perimeter(
        contracted["nord"], [Commune.objects.get(code="59350")], dt.date(2026, 11, 1),
        user=contracted["ars"],
    )  # fmt: skip
    assert Amendment.objects.get().history.get().history_user == contracted["ars"]


def test_the_dashboard_and_the_payments_page_agree_on_what_is_due(
    contracted: dict[str, Any],
) -> None:
    """Review 13: a recovery due was netted on one page and not on the other."""
    from cpts.www.dashboard import dashboard

    start_access(contracted)
    ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    functioning = Payment.objects.get(kind="functioning")
    ledger.correct_payment(functioning, contracted["cpam"], Decimal("74000.00"), "Retenue")
    board = dashboard(contracted["nord"], dt.date(2026, 11, 25))
    totals = ledger.totals(Payment.objects.filter(community=contracted["nord"]))
    assert (board.due, board.to_recover) == (totals.due, totals.to_recover)
    assert (totals.due, totals.to_recover) == (Decimal(0), Decimal("1000.00"))
    client = Client()
    client.force_login(contracted["cpam"])
    page = client.get(reverse("communities:payments", args=[contracted["nord"].pk])).content
    assert "À recouvrer auprès de la CPTS : <strong>1\u202f000,00\xa0€" in page.decode()


def test_the_accelerator_page_knows_the_contract_is_signed(contracted: dict[str, Any]) -> None:
    """Review 15: the preview read a relation that no longer exists."""
    client = Client()
    client.force_login(contracted["cpam"])
    page = client.get(reverse("communities:accelerator", args=[contracted["nord"].pk]))
    assert "La communauté a déjà adhéré au contrat" in page.content.decode()
