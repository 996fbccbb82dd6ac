"""``cpts contracts show`` and ``cpts payments run``: as a named user, with that user's rights."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from cpts.cli import app
from cpts.contracts import services
from cpts.contracts.models import Payment, PaymentRun

pytestmark = pytest.mark.django_db
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_contracts_show_prints_every_year_from_its_recorded_facts(
    contracted: dict[str, Any],
) -> None:
    code, out, _ = cli("contracts", "show", "--community", "CPTS Nord", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["community"] == "CPTS Nord"
    (contract,) = data["contracts"]
    assert (contract["signed_on"], contract["ends_on"], contract["status"]) == (
        "2023-01-15",
        "2028-01-14",
        "active",
    )
    first = contract["years"][0]
    assert {key: first[key] for key in ("number", "start", "end", "population", "size_class")} == {
        "number": 1,
        "start": "2023-01-15",
        "end": "2024-01-14",
        "population": 100_000,
        "size_class": 3,
    }
    assert (first["grid"], first["members"], first["total"]) == ("avenant-2", 0, "75000.00")
    assert [year["number"] for year in contract["years"]] == [1, 2, 3, 4, 5]


def test_contracts_show_keeps_to_the_scope_of_the_user(contracted: dict[str, Any]) -> None:
    code, _, err = cli("contracts", "show", "--community", "CPTS Nord", "--as", "ars-occ")
    assert code == 2
    assert "introuvable dans votre périmètre" in err
    code, out, _ = cli(
        "contracts", "show", "--community", str(contracted["nord"].pk), "--as", "coord", "--format", "json"
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["community"] == "CPTS Nord"


def test_payments_run_pays_as_the_named_user_and_leaves_a_trail(
    contracted: dict[str, Any],
) -> None:
    access = contracted["contract"].missions.get(mission="access")
    services.record_mission(access, contracted["cpam"], dt.date(2023, 1, 15), None)
    code, out, _ = cli(
        "payments", "run", "--on", "2023-02-01", "--as", "cpam59", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["run"] == PaymentRun.objects.get().pk
    assert data["paid"] == [
        {"community": "CPTS Nord", "contract_year": 1, "kind": "functioning", "amount": "75000.00"},
        {"community": "CPTS Nord", "contract_year": 1, "kind": "mission_start", "amount": "67500.00"},
    ]  # fmt: skip
    assert (data["skipped"], data["total"]) == ([], "142500.00")
    assert {p.history.get().history_user.username for p in Payment.objects.all()} == {"cpam59"}
    code, out, _ = cli(
        "payments", "run", "--on", "2023-02-01", "--as", "cpam59", "--format", "json"
    )
    assert (code, json.loads(out)["paid"], json.loads(out)["total"]) == (0, [], "0.00")
    assert sum(Payment.objects.values_list("amount", flat=True)) == Decimal("142500.00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--on", "9999-12-31", "--as", "cpam59"), "postérieure à aujourd'hui"),
        (("--on", "2019-01-01", "--as", "cpam59"), "précède l'entrée en vigueur"),
        (("--on", "2023-02-30", "--as", "cpam59"), "date invalide"),
        (("--on", "2023-02-01", "--as", "personne"), "utilisateur inconnu"),
        (("--on", "2023-02-01", "--as", "ars-hdf"), "n'a pas le droit"),
        (("--on", "2023-02-01", "--as", "cpam59", "--community", "CPTS Toulouse"), "introuvable"),
    ],
)
def test_a_refused_run_exits_2_with_one_french_message(
    contracted: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    code, _, err = cli("payments", "run", *args)
    assert code == 2
    assert message in err
    assert not PaymentRun.objects.exists()
    assert not Payment.objects.exists()
