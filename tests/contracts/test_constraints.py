"""The invariants the database keeps on its own (issue 16, point 3): each test writes through the
ORM, bypassing the services, the state a constraint forbids, and checks that PostgreSQL refuses it
by the constraint's name; then writes the allowed neighbour.

The services refuse the same states first with a French message; these constraints are the last
line, for a bug, a script, a race between two requests or a hand-written SQL fix.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from cpts.communities.models import Community
from cpts.contracts.models import (
    Amendment,
    Contract,
    ContractYear,
    Evaluation,
    HealthProject,
    Indicator,
    LetterOfIntent,
    Payment,
)
from cpts.territory.models import Perimeter

pytestmark = pytest.mark.django_db

D = dt.date


def refused(constraint: str) -> Any:
    """Expect PostgreSQL to refuse a write because of ``constraint`` (and of nothing else)."""
    return pytest.raises(IntegrityError, match=f'"{constraint}"')


def contract(community: Community, signed_on: dt.date, ends_on: dt.date) -> Contract:
    return Contract.objects.create(
        community=community, signed_on=signed_on, ends_on=ends_on, community_signatory="a",
        cpam_signatory="b", ars_signatory="c", population=100_000, size_class=3, members=0,
    )  # fmt: skip


# Contract periods: [signed_on, terminated_on or ends_on) never overlap for one community.


def test_contract_periods_never_overlap(contracted: dict[str, Any]) -> None:
    nord = contracted["nord"]  # signed on 15 Jan 2023, ends on 15 Jan 2028 (excluded)
    with refused("contract_periods_never_overlap"), transaction.atomic():
        contract(nord, D(2027, 6, 1), D(2032, 6, 1))
    with refused("contract_periods_never_overlap"), transaction.atomic():
        contract(nord, D(2020, 1, 15), D(2023, 1, 16))  # one shared day
    # Adjacent periods [a, b) and [b, c) are allowed, and so is any period of another community.
    contract(nord, D(2028, 1, 15), D(2033, 1, 15))
    contract(nord, D(2018, 1, 15), D(2023, 1, 15))
    contract(contracted["toulouse"], D(2023, 1, 15), D(2028, 1, 15))


def test_a_termination_ends_the_period_and_a_change_cannot_make_periods_overlap(
    contracted: dict[str, Any],
) -> None:
    nord, signed = contracted["nord"], contracted["contract"]
    Contract.objects.filter(pk=signed.pk).update(
        terminated_on=D(2025, 1, 15), termination_reason="Dissolution"
    )
    with refused("contract_periods_never_overlap"), transaction.atomic():
        contract(nord, D(2025, 1, 14), D(2030, 1, 14))
    following = contract(nord, D(2025, 1, 15), D(2030, 1, 15))
    # Undoing the termination now would overlap the following contract: refused too.
    with refused("contract_periods_never_overlap"), transaction.atomic():
        Contract.objects.filter(pk=signed.pk).update(terminated_on=None, termination_reason="")
    assert following.pk


def constraint_definition(table: str, name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND conname = %s",
            [table, name],
        )
        row = cursor.fetchone()
    assert row is not None, f"{name} is missing from {table}"
    return str(row[0])


def test_the_model_declares_the_very_constraint_migration_0005_created() -> None:
    """Contracts 0005 created the exclusion constraint in SQL; 0006 only records it in the state.
    Dropping it and creating it from ``Contract.Meta`` gives back the same definition."""
    table, name = Contract._meta.db_table, "contract_periods_never_overlap"
    created_by_0005 = constraint_definition(table, name)
    (declared,) = (c for c in Contract._meta.constraints if c.name == name)
    with transaction.atomic():
        with connection.schema_editor() as editor:
            editor.remove_constraint(Contract, declared)
            editor.add_constraint(Contract, declared)
        from_the_model = constraint_definition(table, name)
        transaction.set_rollback(True)
    assert from_the_model == created_by_0005
    assert "daterange(signed_on, COALESCE(terminated_on, ends_on), '[)'::text) WITH &&" in (
        created_by_0005
    )


# Perimeter versions: [valid_from, valid_to) never overlap for one community.


def test_perimeter_versions_never_overlap(make_community: Any) -> None:
    community, other = make_community(), make_community()
    Perimeter.objects.create(community=community, valid_from=D(2024, 1, 1), valid_to=D(2025, 1, 1))
    with refused("perimeter_versions_never_overlap"), transaction.atomic():
        Perimeter.objects.create(
            community=community, valid_from=D(2024, 6, 1), valid_to=D(2024, 9, 1)
        )
    # The current version (no end) starting the day the previous one ends: adjacent, allowed.
    Perimeter.objects.create(community=community, valid_from=D(2025, 1, 1))
    # A closed version inside the current one: neither the same start nor a second current
    # version, so only the exclusion constraint stops it.
    with refused("perimeter_versions_never_overlap"), transaction.atomic():
        Perimeter.objects.create(
            community=community, valid_from=D(2026, 1, 1), valid_to=D(2027, 1, 1)
        )
    with refused("perimeter_versions_never_overlap"), transaction.atomic():
        Perimeter.objects.create(
            community=community, valid_from=D(2023, 1, 1), valid_to=D(2024, 1, 2)
        )
    Perimeter.objects.create(community=community, valid_from=D(2023, 1, 1), valid_to=D(2024, 1, 1))
    Perimeter.objects.create(community=other, valid_from=D(2024, 6, 1))


# At most one live (filed or validated) letter of intent and health project per community.

DOCUMENTS = [
    pytest.param(LetterOfIntent, "letterofintent", id="letter-of-intent"),
    pytest.param(HealthProject, "healthproject", id="health-project"),
]


@pytest.mark.parametrize(("model", "prefix"), DOCUMENTS)
@pytest.mark.parametrize("first_status", ["filed", "validated"])
def test_one_live_document_per_community(
    people: dict[str, Any], model: Any, prefix: str, first_status: str
) -> None:
    nord, ars = people["nord"], people["ars"]
    decided = {"decided_on": D(2024, 2, 1), "decided_by": ars} if first_status != "filed" else {}
    model.objects.create(
        community=nord, filed_on=D(2024, 1, 1), summary="1", status=first_status, **decided
    )
    with refused(f"{prefix}_one_live_per_community"), transaction.atomic():
        model.objects.create(community=nord, filed_on=D(2024, 3, 1), summary="2")
    model.objects.create(community=people["toulouse"], filed_on=D(2024, 3, 1), summary="other")


@pytest.mark.parametrize(("model", "prefix"), DOCUMENTS)
def test_after_a_refusal_a_new_document_may_be_filed(
    people: dict[str, Any], model: Any, prefix: str
) -> None:
    nord, ars = people["nord"], people["ars"]
    refusal = {"decided_on": D(2024, 2, 1), "decided_by": ars, "refusal_reason": "Incomplet"}
    first = model.objects.create(
        community=nord, filed_on=D(2024, 1, 1), summary="1", status="refused", **refusal
    )
    model.objects.create(
        community=nord, filed_on=D(2024, 2, 2), summary="2", status="refused", **refusal
    )
    model.objects.create(community=nord, filed_on=D(2024, 3, 1), summary="3")
    # Reviving a refused document beside the live one is refused too.
    with refused(f"{prefix}_one_live_per_community"), transaction.atomic():
        model.objects.filter(pk=first.pk).update(status="validated")


# A decision has its date and its author.


@pytest.mark.parametrize(("model", "prefix"), DOCUMENTS)
@pytest.mark.parametrize("status", ["validated", "refused"])
def test_a_decided_document_has_its_date_and_author(
    people: dict[str, Any], model: Any, prefix: str, status: str
) -> None:
    nord, ars = people["nord"], people["ars"]
    reason = {"refusal_reason": "Incomplet"} if status == "refused" else {}
    document = model.objects.create(community=nord, filed_on=D(2024, 1, 1), summary="1")
    rows = model.objects.filter(pk=document.pk)
    name = f"{prefix}_decision_has_date_and_author"
    with refused(name), transaction.atomic():
        rows.update(status=status, decided_on=D(2024, 2, 1), **reason)
    with refused(name), transaction.atomic():
        rows.update(status=status, decided_by=ars, **reason)
    rows.update(status=status, decided_on=D(2024, 2, 1), decided_by=ars, **reason)


def test_an_indicator_verdict_has_its_date_and_author(contracted: dict[str, Any]) -> None:
    indicator = Indicator.objects.create(
        contract=contracted["contract"], contract_year=1, mission="access", action="Action",
        label="Indicateur", kind=Indicator.Kind.DONE, amount=1000,
    )  # fmt: skip
    rows = Indicator.objects.filter(pk=indicator.pk)
    for verdict, reason in [("accepted", ""), ("refused", "Non atteint")]:
        with refused("indicator_verdict_has_date_and_author"), transaction.atomic():
            rows.update(verdict=verdict, verdict_reason=reason, decided_on=D(2024, 2, 1))
        with refused("indicator_verdict_has_date_and_author"), transaction.atomic():
            rows.update(verdict=verdict, verdict_reason=reason, decided_by=contracted["cpam"])
    rows.update(verdict="accepted", decided_on=D(2024, 2, 1), decided_by=contracted["cpam"])
    # Back to pending (a value changed after the verdict): the decision is cleared.
    rows.update(verdict="pending", decided_on=None, decided_by=None)


def test_a_closed_evaluation_has_its_date_and_author(contracted: dict[str, Any]) -> None:
    signed, cpam = contracted["contract"], contracted["cpam"]
    with refused("closed_evaluation_has_date_and_author"), transaction.atomic():
        Evaluation.objects.create(
            contract=signed, contract_year=1, status="closed", closed_on=D(2024, 2, 1)
        )
    with refused("closed_evaluation_has_date_and_author"), transaction.atomic():
        Evaluation.objects.create(contract=signed, contract_year=1, status="closed", closed_by=cpam)
    Evaluation.objects.create(contract=signed, contract_year=1)  # open: not decided yet
    Evaluation.objects.filter(contract=signed).update(
        status="closed", closed_on=D(2024, 2, 1), closed_by=cpam
    )


def test_an_amendment_decision_is_dated(contracted: dict[str, Any]) -> None:
    terms = {
        "contract": contracted["contract"], "proposed_on": D(2024, 1, 10), "cause": "Périmètre",
        "population": 120_000, "size_class": 3, "members": 0, "effective_from": D(2025, 1, 15),
    }  # fmt: skip
    with refused("dismissed_amendment_has_date"), transaction.atomic():
        Amendment.objects.create(status="dismissed", decided_by=contracted["cpam"], **terms)
    with refused("applied_amendment_has_date_and_author"), transaction.atomic():
        Amendment.objects.create(status="applied", decided_on=D(2024, 2, 1), **terms)
    # Superseded by a newer proposal during an import run without a user: dated, no author.
    Amendment.objects.create(status="dismissed", decided_on=D(2024, 2, 1), **terms)
    Amendment.objects.create(
        status="applied", decided_on=D(2024, 2, 1), decided_by=contracted["cpam"], **terms
    )


# Contract year numbers start at 1, wherever a year number is stored.


def test_contract_year_numbers_start_at_one(contracted: dict[str, Any]) -> None:
    signed = contracted["contract"]
    with refused("contract_year_starts_at_one"), transaction.atomic():
        ContractYear.objects.create(
            contract=signed, number=0, start=D(2022, 1, 15), end=D(2023, 1, 15),
            population=1, size_class=1, members=0, grid="avenant-2",
        )  # fmt: skip
    with refused("evaluation_year_starts_at_one"), transaction.atomic():
        Evaluation.objects.create(contract=signed, contract_year=0)
    with refused("indicator_year_starts_at_one"), transaction.atomic():
        Indicator.objects.create(
            contract=signed, contract_year=0, mission="access", action="A", label="I",
            kind=Indicator.Kind.DONE, amount=0,
        )  # fmt: skip
    payment = {
        "community": contracted["nord"], "kind": "adjustment", "label": "Régularisation",
        "amount": 10, "reason": "Erreur", "created_by": contracted["cpam"],
        "due_on": D(2024, 1, 1), "explanation": {},
    }  # fmt: skip
    with refused("payment_year_starts_at_one"), transaction.atomic():
        Payment.objects.create(contract=signed, contract_year=0, **payment)
    Payment.objects.create(contract=signed, contract_year=1, **payment)
    Payment.objects.create(**payment)  # not tied to a contract year (e.g. the accélérateur)
    Evaluation.objects.create(contract=signed, contract_year=1)
