"""The journeys through the services: rules enforced, amounts from the engine, nothing written on error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from cpts.aci import accelerator, payment_schedule
from cpts.contracts import engine, services
from cpts.contracts.models import (
    Contract,
    Decision,
    Evaluation,
    Indicator,
    Payment,
    PaymentKind,
    PaymentRun,
)
from cpts.crises.models import Typology
from cpts.crises.services import declare_crisis
from cpts.payments import ledger

pytestmark = pytest.mark.django_db


def test_letter_of_intent_validated_or_refused_with_a_reason(people: dict[str, Any]) -> None:
    letter = services.file_letter_of_intent(
        people["nord"], people["coordinator"], dt.date(2024, 1, 5), "Lettre"
    )
    with pytest.raises(services.RuleError, match="motivé"):
        services.decide_letter_of_intent(letter, people["ars"], False, "  ", dt.date(2024, 2, 1))
    letter.refresh_from_db()
    assert letter.status == Decision.FILED
    services.decide_letter_of_intent(
        letter, people["ars"], False, "Territoire déjà couvert", dt.date(2024, 2, 1)
    )
    letter.refresh_from_db()
    assert (letter.status, letter.refusal_reason, letter.decided_by) == (
        Decision.REFUSED,
        "Territoire déjà couvert",
        people["ars"],
    )
    # after a refusal, a new letter can be filed
    services.file_letter_of_intent(
        people["nord"], people["coordinator"], dt.date(2024, 3, 1), "Nouvelle lettre"
    )


def test_the_database_refuses_a_refusal_without_reason(people: dict[str, Any]) -> None:
    letter = services.file_letter_of_intent(
        people["nord"], people["coordinator"], dt.date(2024, 1, 5), "Lettre"
    )
    letter.status = Decision.REFUSED
    with pytest.raises(IntegrityError), transaction.atomic():
        letter.save()


def test_accelerator_amount_and_deadline_come_from_the_engine(people: dict[str, Any]) -> None:
    nord = people["nord"]
    with pytest.raises(services.RuleError, match="lettre d'intention"):
        services.grant_accelerator(nord, people["cpam"], dt.date(2024, 3, 1))
    letter = services.file_letter_of_intent(
        nord, people["coordinator"], dt.date(2024, 1, 5), "Lettre"
    )
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
    grant = services.grant_accelerator(nord, people["cpam"], dt.date(2024, 3, 1))
    expected = accelerator(nord.population, dt.date(2024, 3, 1))
    assert (grant.amount, grant.size_class, grant.health_project_due) == (
        expected.amount,
        expected.size_class,
        expected.health_project_due,
    )
    payment = Payment.objects.get(community=nord, kind=PaymentKind.ACCELERATOR)
    assert payment.amount == expected.amount
    with pytest.raises(services.RuleError, match="déjà"):
        services.grant_accelerator(nord, people["cpam"], dt.date(2024, 4, 1))


def test_contract_needs_a_validated_health_project(people: dict[str, Any]) -> None:
    with pytest.raises(services.RuleError, match="projet de santé"):
        services.sign_contract(people["nord"], people["cpam"], dt.date(2024, 1, 1), "a", "b", "c")
    assert not Contract.objects.exists()


def test_signing_commits_the_core_missions_in_force(contracted: dict[str, Any]) -> None:
    missions = set(contracted["contract"].missions.values_list("mission", flat=True))
    assert missions == {"access", "pathways", "prevention", "crisis"}


def test_mission_dates_are_checked(contracted: dict[str, Any]) -> None:
    access = contracted["contract"].missions.get(mission="access")
    with pytest.raises(services.RuleError, match="avant la signature"):
        services.record_mission(access, contracted["cpam"], dt.date(2022, 12, 1), None)
    with pytest.raises(services.RuleError, match="précéder"):
        services.record_mission(
            access, contracted["cpam"], dt.date(2023, 3, 1), dt.date(2023, 2, 1)
        )
    services.record_mission(access, contracted["coordinator"], dt.date(2023, 3, 1), None)
    access.refresh_from_db()
    assert access.started_on == dt.date(2023, 3, 1)


def start_all(contract: Contract, user: Any, day: dt.date) -> None:
    for commitment in contract.missions.all():
        services.record_mission(commitment, user, day, None)


def run(people: dict[str, Any], day: dt.date) -> PaymentRun:
    return ledger.run_payments(people["cpam"], day).run


def test_payment_run_pays_what_the_engine_computes_and_never_twice(
    contracted: dict[str, Any],
) -> None:
    contract = contracted["contract"]
    start_all(contract, contracted["cpam"], dt.date(2023, 1, 15))
    first = run(contracted, dt.date(2023, 2, 1))
    plan = payment_schedule(engine.engine_input(contract, 1))
    due = [p for p in plan.payments if p.due <= dt.date(2023, 2, 1)]
    assert first.payments_count == len(due) == 2  # functioning at signature, mission-start advance
    assert first.total == sum(p.amount for p in due)
    assert {p.kind for p in Payment.objects.filter(run=first)} == {"functioning", "mission_start"}
    second = run(contracted, dt.date(2023, 2, 1))
    assert (second.payments_count, second.total) == (0, 0)
    assert Payment.objects.count() == 2


def test_the_database_forbids_paying_the_same_thing_twice(contracted: dict[str, Any]) -> None:
    contract = contracted["contract"]
    run(contracted, dt.date(2023, 2, 1))
    paid = Payment.objects.get(contract=contract, kind="functioning")
    paid.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        paid.save()


def test_a_faulty_contract_is_skipped_with_its_reason_and_the_others_are_paid(
    contracted: dict[str, Any],
) -> None:
    from cpts.contracts.models import MissionCommitment

    contract = contracted["contract"]
    start_all(contract, contracted["cpam"], dt.date(2023, 1, 15))
    # a second contract, in the same scope, with inconsistent data (a mission started before
    # its signature, written behind the services' back): the engine refuses it
    other = _contract_for(contracted, "CPTS Nord bis", dt.date(2023, 6, 1))
    MissionCommitment.objects.filter(contract=other, mission="access").update(
        started_on=dt.date(2023, 1, 1)
    )
    report = ledger.run_payments(contracted["cpam"], dt.date(2023, 7, 1))
    assert [item["community"] for item in report.skipped] == ["CPTS Nord bis"]
    assert "Aucun versement" in report.skipped[0]["reason"]
    assert not Payment.objects.filter(contract=other).exists()  # all or nothing for that contract
    assert Payment.objects.filter(contract=contract).count() == 2  # the other one is paid
    assert PaymentRun.objects.get().skipped == report.skipped


def _contract_for(people: dict[str, Any], name: str, signed: dt.date) -> Contract:
    from cpts.communities.models import Community

    community = Community.objects.create(name=name, departement_id="59", population=50_000)
    letter = services.file_letter_of_intent(
        community, people["admin"], signed - dt.timedelta(days=200), "L"
    )
    services.decide_letter_of_intent(
        letter, people["ars"], True, "", signed - dt.timedelta(days=150)
    )
    project = services.file_health_project(
        community, people["admin"], signed - dt.timedelta(days=100), "P"
    )
    services.decide_health_project(project, people["ars"], True, "", signed - dt.timedelta(days=50))
    return services.sign_contract(community, people["cpam"], signed, "a", "b", "c")


def test_evaluation_and_balance_from_accepted_indicators(contracted: dict[str, Any]) -> None:
    contract = contracted["contract"]
    cpam = contracted["cpam"]
    access = contract.missions.get(mission="access")
    services.record_mission(access, cpam, dt.date(2023, 1, 15), None)
    target = engine.full_variable_parts(contract, 1)["access"]
    assert target == Decimal("35000.00")  # size 3, avenant 2 grid
    gaps = services.annex_gaps(contract, 1)
    assert len(gaps) == 3  # access, pathways, prevention (the crisis part has no indicator)
    assert gaps[0] == (
        "Mission « Accès aux soins » : les indicateurs totalisent 0,00\xa0€, la part variable est de "
        "35\u202f000,00\xa0€ : il manque 35\u202f000,00\xa0€."
    )
    graded = Indicator.objects.create(
        contract=contract, contract_year=1, mission="access", action="Médecin traitant", label="Patients ALD sans MT",
        kind="graded", lower_is_better=True, amount=Decimal(18000),
        tiers=[{"threshold": 50, "amount": 18000}, {"threshold": 100, "amount": 12000}, {"threshold": 219, "amount": 6000}],
    )  # fmt: skip
    target_indicator = Indicator.objects.create(
        contract=contract, contract_year=1, mission="access", action="SAS", label="Médecins inscrits au SAS",
        kind="target", objective=Decimal(40), amount=Decimal(10000),
    )  # fmt: skip
    done = Indicator.objects.create(
        contract=contract, contract_year=1, mission="access", action="CPAM", label="Partenariat", kind="done",
        amount=Decimal(7000),
    )  # fmt: skip
    assert not any("Accès aux soins" in gap for gap in services.annex_gaps(contract, 1))
    services.record_indicator(graded, contracted["coordinator"], Decimal(80), False, "")
    services.record_indicator(target_indicator, contracted["coordinator"], Decimal(45), False, "")
    services.record_indicator(done, contracted["coordinator"], None, True, "CR joint")
    with pytest.raises(services.RuleError, match="restent"):
        services.close_evaluation(contract, 1, cpam, dt.date(2024, 1, 20))
    services.decide_indicator(graded, cpam, True, "", dt.date(2024, 1, 20))
    services.decide_indicator(target_indicator, cpam, True, "", dt.date(2024, 1, 20))
    services.decide_indicator(done, cpam, False, "Compte rendu non fourni", dt.date(2024, 1, 20))
    evaluation = services.close_evaluation(contract, 1, cpam, dt.date(2024, 1, 20))
    lines = {line["code"]: line["amount"] for line in evaluation.result["lines"]}
    assert (
        lines["access.variable"] == "22000.00"
    )  # 12 000 (tier reached) + 10 000 (target) + 0 (refused)
    run(contracted, dt.date(2024, 1, 25))
    year_one = Payment.objects.filter(contract=contract, contract_year=1)
    assert sum(p.amount for p in year_one) == Decimal(evaluation.result["total"])
    assert year_one.get(kind="balance").amount == Decimal(evaluation.result["total"]) - sum(
        p.amount for p in year_one.exclude(kind="balance")
    )
    with pytest.raises(services.RuleError, match="close"):
        services.record_indicator(done, contracted["coordinator"], None, True, "")
    carried = services.carry_over(done, cpam)
    assert (carried.contract_year, carried.carried_from, carried.verdict) == (2, done, "pending")
    assert Evaluation.objects.get(contract=contract, contract_year=1).status == "closed"


def test_crisis_declared_pays_the_crisis_part_once_per_twelve_months(
    contracted: dict[str, Any],
) -> None:
    contract = contracted["contract"]
    crisis_mission = contract.missions.get(mission="crisis")
    services.record_mission(crisis_mission, contracted["cpam"], dt.date(2023, 3, 1), None)
    toulouse_contract = _contract_for(contracted, "CPTS Hors région", dt.date(2023, 1, 15))
    toulouse_contract.community.departement_id = "31"
    toulouse_contract.community.save()
    _, payments = declare_crisis(
        contracted["ars"], dt.date(2023, 11, 1), Typology.EPIDEMIC, "Grippe"
    )
    assert [(p.community, p.amount, p.due_on, p.status) for p in payments] == [
        (contracted["nord"], Decimal("67500.00"), dt.date(2023, 12, 1), "due")
    ]
    _, again = declare_crisis(contracted["ars"], dt.date(2024, 6, 1), Typology.CLIMATE, "Canicule")
    assert again == []  # within twelve months of the first one
    _, later = declare_crisis(contracted["ars"], dt.date(2024, 11, 1), Typology.CLIMATE, "Canicule")
    assert [p.amount for p in later] == [Decimal("67500.00")]
    run(contracted, dt.date(2024, 11, 5))
    # the second crisis part is due on 1 Dec 2024: a run of 5 Nov does not pay it yet
    assert Payment.objects.filter(kind="crisis", status="paid").count() == 1
    paid = run(contracted, dt.date(2024, 12, 5))
    assert Payment.objects.filter(kind="crisis", status="paid").count() == 2
    assert paid.payments_count == 1  # only the crisis part was left to pay


def test_a_crisis_does_not_pay_a_community_whose_crisis_mission_has_not_started(
    contracted: dict[str, Any],
) -> None:
    _, payments = declare_crisis(
        contracted["ars"], dt.date(2023, 11, 1), Typology.EPIDEMIC, "Grippe"
    )
    assert payments == []


def test_a_correction_is_a_new_entry_with_its_reason_and_author(
    contracted: dict[str, Any],
) -> None:
    run(contracted, dt.date(2023, 2, 1))
    payment = Payment.objects.get(kind="functioning")
    with pytest.raises(services.RuleError, match="motivée"):
        ledger.correct_payment(payment, contracted["cpam"], Decimal(1), "")
    adjustment = ledger.correct_payment(
        payment, contracted["cpam"], Decimal("74000.00"), "Retenue pour dossier incomplet"
    )
    payment.refresh_from_db()
    assert payment.amount == Decimal("75000.00")  # the paid entry never changes
    assert (adjustment.kind, adjustment.amount, adjustment.corrects) == (
        "adjustment",
        Decimal("-1000.00"),
        payment,
    )
    assert (adjustment.created_by, adjustment.status) == (contracted["cpam"], "due")
    assert adjustment.history.get().history_user == contracted["cpam"]
    assert ledger.entry_amount(payment) == Decimal("74000.00")


def test_the_accelerator_checks_every_condition(people: dict[str, Any], client: Any) -> None:
    from django.urls import reverse

    nord = people["nord"]
    letter = services.file_letter_of_intent(
        nord, people["coordinator"], dt.date(2024, 1, 5), "Lettre"
    )
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2024, 2, 1))
    client.force_login(people["cpam"])
    url = reverse("communities:accelerator", args=[nord.pk])
    refused = client.post(
        url, {"granted_on": "2024-03-01", "core_mission_started": "on"}
    ).content.decode()
    assert "Le projet doit être constitué en association." in refused
    assert not Payment.objects.exists()
    assert (
        client.post(
            url, {"granted_on": "2024-03-01", "association": "on", "core_mission_started": "on"}
        ).status_code
        == 302
    )
    assert (
        Payment.objects.get(kind="accelerator").amount
        == accelerator(nord.population, dt.date(2024, 3, 1)).amount
    )
