"""Contract years are recorded facts; perimeters and members change them only through an amendment;
contracts follow one another; a termination recovers the advances pro rata temporis.

Expected figures are computed by hand from the grid (domain page, sections 5.1 and 5.2): a size-3
contract of the avenant-2 grid with no mission started pays its functioning, 75,000 €; size 4,
90,000 €; the fixed part of access to care is 90,000 € in size 3.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from cpts.aci import contract_year
from cpts.cli.lifecycle import contracts_of
from cpts.communities.perimeters import set_perimeter
from cpts.contracts import engine, services
from cpts.contracts.models import Amendment, Contract, ContractYear, Payment
from cpts.payments import ledger
from cpts.territory.models import Commune

pytestmark = pytest.mark.django_db

LILLE = "59350"  # 236,710 inhabitants: size 4 alone


def years(contract: Contract) -> dict[int, dict[str, Any]]:
    data = contracts_of(contract.community)
    (only,) = [
        item for item in data["contracts"] if item["signed_on"] == contract.signed_on.isoformat()
    ]
    return {year["number"]: year for year in only["years"]}


def test_a_later_perimeter_never_changes_a_past_year(contracted: dict[str, Any]) -> None:
    """Finding 1: a perimeter dated 2025-02-01 changed the total of contract year 1 (2023)."""
    contract = contracted["contract"]
    before = years(contract)
    assert [before[n]["total"] for n in range(1, 6)] == ["75000.00"] * 5
    assert before[1]["recorded"]  # recorded at the signature
    assert before[1]["size_class"] == 3

    set_perimeter(contracted["nord"], [Commune.objects.get(code=LILLE)], dt.date(2025, 2, 1))
    contracted["nord"].refresh_from_db()
    assert contracted["nord"].population > 175_000  # the community's state did change...
    after = years(contract)
    assert after == before  # ...the contract's years did not: an amendment is proposed instead
    amendment = contract.amendments.get()
    assert (amendment.status, amendment.size_class) == ("proposed", 4)


def test_an_applied_amendment_changes_the_years_after_its_date_of_effect_only(
    people: dict[str, Any],
) -> None:
    """A contract signed a month ago (size 3, 100,000 inhabitants); a perimeter of size 4
    arrives today: the amendment, signed today, takes effect at the first anniversary."""
    today = timezone.localdate()
    signed = today - dt.timedelta(days=30)
    nord = people["nord"]
    _ready_to_sign(people, nord, signed - dt.timedelta(days=10))
    contract = services.sign_contract(nord, people["cpam"], signed, "a", "b", "c")
    set_perimeter(nord, [Commune.objects.get(code=LILLE)], today, user=people["ars"])
    amendment = contract.amendments.get()
    assert amendment.history.get().history_user == people["ars"]  # the import's author
    with pytest.raises(PermissionDenied):  # the ARS does not sign it alone
        services.apply_amendment(amendment, people["ars"], today)
    services.apply_amendment(amendment, people["cpam"], today)
    amendment.refresh_from_db()
    anniversary = contract_year(signed, 2).start
    assert (amendment.status, amendment.effective_from) == ("applied", anniversary)
    assert [(row["number"], row["before"], row["after"]) for row in amendment.impact] == [
        (number, "75000.00", "90000.00") for number in (2, 3, 4, 5)
    ]
    after = years(contract)
    assert [after[n]["total"] for n in range(1, 6)] == ["75000.00"] + ["90000.00"] * 4
    assert [after[n]["size_class"] for n in range(1, 6)] == [3, 4, 4, 4, 4]
    with pytest.raises(services.RuleError, match="décision"):
        services.apply_amendment(amendment, people["cpam"], today)
    assert amendment.history.filter(history_user=people["cpam"]).exists()


def test_an_amendment_recorded_late_never_rewrites_a_started_year(
    contracted: dict[str, Any],
) -> None:
    """Review: a proposal dated 1 June 2023, applied « on 1 June 2023 » with no run in between,
    rewrote years 2 to 4 (2024-2026)."""
    contract = contracted["contract"]
    amendment = services.propose_amendment(
        contract, "Périmètre", 250_000, 0, None, dt.date(2023, 6, 1), contracted["cpam"]
    )
    assert amendment is not None
    services.apply_amendment(amendment, contracted["cpam"], dt.date(2023, 6, 1))
    amendment.refresh_from_db()
    assert amendment.effective_from is None or amendment.effective_from > timezone.localdate()
    totals = years(contract)
    for number in range(1, 6):
        if contract_year(contract.signed_on, number).start <= timezone.localdate():
            assert totals[number]["total"] == "75000.00"
            assert totals[number]["size_class"] == 3


def test_a_recorded_year_keeps_its_facts_even_against_a_direct_update(
    contracted: dict[str, Any],
) -> None:
    row = ContractYear.objects.get(contract=contracted["contract"], number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractYear.objects.filter(pk=row.pk).update(population=250_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractYear.objects.filter(pk=row.pk).delete()


def test_contract_year_numbers_start_at_one(contracted: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractYear.objects.create(
            contract=contracted["contract"], number=0, start=dt.date(2022, 1, 15),
            end=dt.date(2023, 1, 15), population=1, size_class=1, members=0, grid="avenant-2",
        )  # fmt: skip


def _ready_to_sign(people: dict[str, Any], community: Any, day: dt.date) -> None:
    letter = services.file_letter_of_intent(community, people["admin"], day, "L")
    services.decide_letter_of_intent(letter, people["ars"], True, "", day)
    project = services.file_health_project(community, people["admin"], day, "P")
    services.decide_health_project(project, people["ars"], True, "", day)


def test_contracts_follow_one_another_and_never_overlap(people: dict[str, Any]) -> None:
    nord = people["nord"]
    _ready_to_sign(people, nord, dt.date(2019, 8, 26))
    first = services.sign_contract(nord, people["cpam"], dt.date(2019, 9, 1), "a", "b", "c")
    assert first.ends_on == dt.date(2024, 9, 1)  # five years
    with pytest.raises(services.RuleError, match="31/08/2024"):
        services.sign_contract(nord, people["cpam"], dt.date(2024, 3, 1), "a", "b", "c")
    second = services.sign_contract(nord, people["cpam"], dt.date(2024, 9, 1), "a", "b", "c")
    assert second.renews == first
    data = contracts_of(nord)
    assert [(c["signed_on"], c["ends_on"], c["status"]) for c in data["contracts"]] == [
        ("2019-09-01", "2024-08-31", "ended"),
        ("2024-09-01", "2029-08-31", "active"),
    ]
    assert [len(c["years"]) for c in data["contracts"]] == [5, 5]
    # the database refuses an overlap written behind the services' back
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(
            community=nord, signed_on=dt.date(2027, 1, 1), ends_on=dt.date(2032, 1, 1),
            population=1, size_class=1, members=0,
        )  # fmt: skip


def test_a_termination_recovers_the_advances_pro_rata_temporis(contracted: dict[str, Any]) -> None:
    contract, cpam = contracted["contract"], contracted["cpam"]
    access = contract.missions.get(mission="access")
    services.record_mission(access, cpam, dt.date(2023, 1, 15), None)
    report = ledger.run_payments(cpam, dt.date(2023, 2, 1))
    # functioning 75,000 at the signature + 75 % of the access fixed part (90,000) for a full year
    assert report.run.total == Decimal("75000.00") + Decimal("67500.00")
    with pytest.raises(services.RuleError, match="motivée"):
        services.terminate_contract(contract, cpam, dt.date(2023, 7, 15), " ")
    recovery = services.terminate_contract(
        contract, cpam, dt.date(2023, 7, 15), "Missions non déployées dans les délais"
    )
    assert recovery is not None
    # 184 days left of 365 (15 July 2023 -> 15 January 2024): 142,500 x 184 / 365 = 71,835.616...
    assert (recovery.kind, recovery.amount, recovery.status) == (
        "termination",
        Decimal("-71835.62"),
        "due",
    )
    booked = ledger.run_payments(cpam, dt.date(2023, 8, 1))
    assert [(p.kind, p.amount) for p in booked.paid] == [("termination", Decimal("-71835.62"))]
    totals = ledger.totals(Payment.objects.filter(community=contracted["nord"]))
    assert totals.paid == Decimal("142500.00") - Decimal("71835.62")
    assert totals.recovered == Decimal("71835.62")
    # nothing more is advanced after the termination
    assert ledger.run_payments(cpam, dt.date(2024, 2, 1)).paid == []
    with pytest.raises(services.RuleError, match="déjà résilié"):
        services.terminate_contract(contract, cpam, dt.date(2023, 8, 1), "encore")


def test_a_paid_mission_start_cannot_move(contracted: dict[str, Any]) -> None:
    contract, cpam = contracted["contract"], contracted["cpam"]
    access = contract.missions.get(mission="access")
    services.record_mission(access, cpam, dt.date(2023, 1, 15), None)
    ledger.run_payments(cpam, dt.date(2023, 2, 1))
    with pytest.raises(services.RuleError, match="régularisation"):
        services.record_mission(access, cpam, dt.date(2023, 7, 15), None)


def test_amendment_is_refused_when_the_contract_ends_before_the_next_anniversary(
    contracted: dict[str, Any],
) -> None:
    contract = contracted["contract"]
    amendment = Amendment.objects.create(
        contract=contract, proposed_on=dt.date(2025, 2, 1), cause="test", population=250_000,
        size_class=4, members=0,
    )  # fmt: skip
    ContractYear.objects.bulk_create(
        ContractYear(
            contract=contract, number=n, start=dt.date(2022 + n, 1, 15), end=dt.date(2023 + n, 1, 15),
            population=100_000, size_class=3, members=0, grid="avenant-2",
        )
        for n in (2, 3, 4, 5)
    )  # fmt: skip
    with pytest.raises(services.RuleError, match="renouvellement"):
        services.apply_amendment(amendment, contracted["cpam"], dt.date(2026, 2, 1))


def test_members_crossing_one_hundred_propose_the_increase(
    people: dict[str, Any], make_community: Any
) -> None:
    """Size 4 with 99 members, access started at the signature: the 100th member, imported,
    proposes an amendment (the + 10 % on missions), never applied silently."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cpts.communities.members_import import import_members

    lens = make_community("CPTS Lens", "62", population=200_000, members=99)
    _ready_to_sign(people, lens, dt.date(2023, 1, 2))
    contract = services.sign_contract(lens, people["admin"], dt.date(2023, 1, 15), "a", "b", "c")
    services.record_mission(
        contract.missions.get(mission="access"), people["admin"], dt.date(2023, 1, 15), None
    )
    assert (contract.size_class, contract.members) == (4, 99)
    coordinator = people["admin"]
    upload = SimpleUploadedFile(
        "membres.csv",
        "type;nom;rpps;profession\nprofessionnel;Dr Centième;10000000140;médecin généraliste\n".encode(),
    )
    report = import_members(lens, coordinator, upload)
    assert report.ok, report.errors
    amendment = contract.amendments.get()
    assert (amendment.status, amendment.members, amendment.size_class) == ("proposed", 100, 4)
    for row in amendment.impact:
        before, after = Decimal(row["before"]), Decimal(row["after"])
        # + 10 % of the mission lines (everything but the 90,000 € of functioning)
        assert after - before == ((before - Decimal(90000)) / 10).quantize(Decimal("0.01"))
        assert after > before
    assert engine.year_facts(contract, 1).members == 99  # year 1 keeps its facts


@pytest.mark.parametrize("year", [0, 6, 99999])
def test_a_contract_year_out_of_range_is_a_404_not_a_500(
    contracted: dict[str, Any], year: int
) -> None:
    """Finding 10: /annexe/99999/ answered 500."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(contracted["cpam"])
    pk = contracted["nord"].pk
    assert client.get(reverse("communities:annex", args=[pk, year])).status_code == 404
    assert client.post(reverse("communities:close_evaluation", args=[pk, year])).status_code == 404
