"""Exports of every list: scope per role, formulas neutralised, amounts and dates as documented,
streamed in a number of queries that does not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cpts.communities.models import Community
from cpts.contracts import services
from cpts.contracts.models import Payment
from cpts.crises.models import HealthCrisis

pytestmark = pytest.mark.django_db


def _payment(community: Community, label: str, amount: str, **fields: Any) -> Payment:
    data: dict[str, Any] = {
        "community": community,
        "kind": "adjustment",
        "label": label,
        "amount": Decimal(amount),
        "reason": "Correction",
        "due_on": dt.date(2024, 3, 1),
        "explanation": {},
    }
    data.update(fields)
    if "created_by" not in data:
        from cpts.accounts.models import User

        data["created_by"] = User.objects.get(username="cpam59")
    return Payment.objects.create(**data)


def _csv(client: Client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))


def _xlsx(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


@pytest.fixture
def ledger(people: dict[str, Any]) -> dict[str, Any]:
    _payment(people["nord"], "Régularisation Nord", "1234.5")
    _payment(people["pas_de_calais"], "Régularisation Pas-de-Calais", "10")
    _payment(people["toulouse"], "Régularisation Toulouse", "99.99")
    return people


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("coordinator", {"CPTS Nord"}),
        ("cpam", {"CPTS Nord"}),
        ("ars", {"CPTS Nord", "CPTS Pas-de-Calais"}),
        ("ars_occitanie", {"CPTS Toulouse"}),
        ("facilitator", {"CPTS Pas-de-Calais"}),
        ("national", {"CPTS Nord", "CPTS Pas-de-Calais", "CPTS Toulouse"}),
        ("admin", {"CPTS Nord", "CPTS Pas-de-Calais", "CPTS Toulouse"}),
    ],
)
def test_each_role_exports_its_scope_only(
    ledger: dict[str, Any], client: Client, role: str, expected: set[str]
) -> None:
    client.force_login(ledger[role])
    for name, column in (("versements", 1), ("cpts", 1)):
        rows = _csv(client, f"/exports/{name}.csv")
        assert {row[column] for row in rows[1:]} == expected, name
        sheet = _xlsx(client, f"/exports/{name}.xlsx")
        values = list(sheet.iter_rows(values_only=True))
        assert {row[column] for row in values[1:]} == expected, name


def test_a_community_out_of_scope_is_a_404(ledger: dict[str, Any], client: Client) -> None:
    client.force_login(ledger["ars"])
    toulouse = ledger["toulouse"].pk
    assert client.get(f"/exports/versements.csv?cpts={toulouse}").status_code == 404
    assert client.get(f"/exports/membres.xlsx?cpts={toulouse}").status_code == 404
    nord = ledger["nord"].pk
    rows = _csv(client, f"/exports/versements.csv?cpts={nord}")
    assert [row[1] for row in rows[1:]] == ["CPTS Nord"]


def test_bad_filters_get_a_french_400_and_unknown_lists_a_404(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["national"])
    response = client.get("/exports/versements.csv?annee=deux")
    assert response.status_code == 400
    assert "nombre entier" in response.content.decode()
    assert client.get("/exports/couverture.csv?on=31/02/2026").status_code == 400
    assert client.get("/exports/couverture.csv?region=999").status_code == 400
    assert client.get("/exports/inconnu.csv").status_code == 404
    assert client.get("/exports/versements.pdf").status_code == 404


def test_amounts_and_dates_as_documented(ledger: dict[str, Any], client: Client) -> None:
    nord = ledger["nord"]
    _payment(nord, "Reprise", "-300", kind="recovery", due_on=dt.date(2024, 4, 2))
    client.force_login(ledger["coordinator"])
    rows = _csv(client, f"/exports/versements.csv?cpts={nord.pk}")
    header = rows[0]
    amount, due = header.index("Montant (€)"), header.index("Échéance")
    assert [(row[amount], row[due]) for row in rows[1:]] == [
        ("1234,50", "2024-03-01"),
        ("-300,00", "2024-04-02"),
    ]
    sheet = _xlsx(client, f"/exports/versements.xlsx?cpts={nord.pk}")
    cells = list(sheet.iter_rows(min_row=2))
    first = cells[0][amount]
    assert first.data_type == "n"
    assert Decimal(str(first.value)) == Decimal("1234.5")
    assert first.number_format == "#,##0.00"
    assert Decimal(str(cells[1][amount].value)) == Decimal("-300")
    assert cells[0][due].value.date() == dt.date(2024, 3, 1)  # Excel keeps a date as a moment
    assert cells[0][due].number_format == "dd/mm/yyyy"


DANGEROUS = ["=1+1", "+1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=cmd", "\r=cmd"]


def test_formulas_are_neutralised_in_csv_and_xlsx(people: dict[str, Any], client: Client) -> None:
    for label in DANGEROUS:
        _payment(people["nord"], label, "1")
    client.force_login(people["coordinator"])
    rows = _csv(client, "/exports/versements.csv")
    label = rows[0].index("Libellé")
    assert sorted(row[label] for row in rows[1:]) == sorted("'" + text for text in DANGEROUS)
    sheet = _xlsx(client, "/exports/versements.xlsx")
    cells = [row[label] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # strings, never formulas ("f")
    # (an XML reader reads a carriage return as a line feed)
    expected = sorted("'" + text.replace("\r", "\n") for text in DANGEROUS)
    assert sorted(cell.value for cell in cells) == expected


def test_a_plain_negative_amount_stays_a_number(people: dict[str, Any], client: Client) -> None:
    _payment(people["nord"], "Reprise", "-1200.5", kind="recovery")
    client.force_login(people["coordinator"])
    rows = _csv(client, "/exports/versements.csv")
    assert rows[1][rows[0].index("Montant (€)")] == "-1200,50"


def _consume_counting(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.streaming
        for _ in response.streaming_content:
            pass
    return len(queries)


def test_a_large_csv_streams_in_constant_queries(people: dict[str, Any], client: Client) -> None:
    from cpts.accounts.models import User

    cpam = User.objects.get(username="cpam59")
    nord = people["nord"]
    client.force_login(people["national"])

    def add(count: int) -> None:
        Payment.objects.bulk_create(
            Payment(community=nord, kind="adjustment", label=f"L{index}", amount=Decimal(1),
                    reason="r", created_by=cpam, due_on=dt.date(2024, 1, 1), explanation={})
            for index in range(count)
        )  # fmt: skip

    add(10)
    few = _consume_counting(client, "/exports/versements.csv")
    add(2990)
    many = _consume_counting(client, "/exports/versements.csv")
    assert many <= few + 1  # one more chunk of 2000 rows at most, never one query per row
    rows = _csv(client, "/exports/versements.csv")
    assert len(rows) == 3001
    response = client.get("/exports/versements.csv")
    chunks = list(response.streaming_content)
    assert len(chunks) > 2  # written as the rows come, a few hundred lines at a time
    for name in ("cpts", "contrats", "annees-contractuelles", "indicateurs", "crises"):
        assert client.get(f"/exports/{name}.csv").streaming, name


def test_members_identities_only_for_who_may_read_them(
    make_community: Any, people: dict[str, Any], client: Client
) -> None:
    from tests.factories import MemberFactory

    nord = people["nord"]
    MemberFactory(community=nord, name="Dr Alice Martin")
    MemberFactory(community=nord, name="Dr Bruno Petit")
    client.force_login(people["coordinator"])
    rows = _csv(client, f"/exports/membres.csv?cpts={nord.pk}")
    assert rows[0][:3] == ["CPTS", "Nature", "Nom"]
    assert {row[2] for row in rows[1:]} == {"Dr Alice Martin", "Dr Bruno Petit"}
    client.force_login(people["national"])
    rows = _csv(client, f"/exports/membres.csv?cpts={nord.pk}")
    assert rows[0] == ["CPTS", "Nature", "Profession ou type de structure", "Nombre"]
    assert sum(int(row[3]) for row in rows[1:]) == 2
    assert "Alice" not in str(rows)
    sheet = _xlsx(client, f"/exports/membres.xlsx?cpts={nord.pk}")
    assert "Alice" not in str(list(sheet.iter_rows(values_only=True)))
    rows = _csv(client, "/exports/membres.csv")  # every community: counts only
    assert next(row for row in rows if row[0] == "CPTS Nord")[2:] == ["2", "0", "2"]


def test_indicators_contracts_and_years(contracted: dict[str, Any], client: Client) -> None:
    contract, cpam = contracted["contract"], contracted["cpam"]
    indicator = services.add_indicator(
        contract, 1, cpam,
        {"mission": "access", "action": "Accès", "label": "Patients sans médecin traitant",
         "kind": "target", "amount": Decimal("1500"), "objective": Decimal("45.5")},
    )  # fmt: skip
    client.force_login(contracted["ars_occitanie"])
    assert len(_csv(client, "/exports/indicateurs.csv")) == 1  # the header only
    client.force_login(contracted["ars"])
    rows = _csv(client, f"/exports/indicateurs.csv?cpts={contracted['nord'].pk}&annee=1")
    header = rows[0]
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Identifiant"] == str(indicator.pk)
    assert row["Objectif"] == "45,5"
    assert row["Montant si atteint (€)"] == "1500,00"
    assert row["Décision"] == "à évaluer"
    assert row["Contrat signé le"] == "2023-01-15"
    rows = _csv(client, "/exports/contrats.csv")
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [("CPTS Nord", "2023-01-15", "2028-01-14")]
    rows = _csv(client, f"/exports/annees-contractuelles.csv?cpts={contracted['nord'].pk}")
    assert [r[3] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert rows[1][4:6] == ["2023-01-15", "2024-01-14"]


def test_crises_of_the_region_only(people: dict[str, Any], client: Client) -> None:
    HealthCrisis.objects.create(
        region_id="32", declared_on=dt.date(2025, 1, 10), typology="epidemic",
        title="Grippe Hauts-de-France", declared_by=people["ars"],
    )  # fmt: skip
    HealthCrisis.objects.create(
        region_id="76", declared_on=dt.date(2025, 2, 10), typology="climate",
        title="Canicule Occitanie", declared_by=people["ars_occitanie"],
    )  # fmt: skip
    client.force_login(people["ars"])
    rows = _csv(client, "/exports/crises.csv")
    assert [row[1] for row in rows[1:]] == ["Grippe Hauts-de-France"]
    assert rows[1][4] == "toute la région"
    client.force_login(people["national"])
    assert len(_csv(client, "/exports/crises.csv")) == 3


def test_an_ars_coverage_is_its_region_whatever_it_asks(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["ars"])
    rows = _csv(client, "/exports/couverture.csv?region=76&on=2026-01-01")
    assert {row[0] for row in rows[1:]} == {"02", "59", "60", "62", "80"}
    series = _csv(client, "/exports/couverture-mensuelle.csv?du=2025-01-01&au=2025-12-31")
    assert [row[0] for row in series[1:]][:2] == ["2025-01-01", "2025-02-01"]
    assert len(series) == 13
    assert {row[1] for row in series[1:]} == {"Hauts-de-France"}
    client.force_login(people["national"])
    rows = _csv(client, "/exports/couverture.csv?region=76")
    assert "31" in {row[0] for row in rows[1:]}
    assert "59" not in {row[0] for row in rows[1:]}


def test_list_pages_offer_the_export_buttons(contracted: dict[str, Any], client: Client) -> None:
    nord = contracted["nord"].pk
    client.force_login(contracted["cpam"])
    pages = {
        "/communautes/": "/exports/cpts.csv",
        f"/communautes/{nord}/membres/": f"/exports/membres.xlsx?cpts={nord}",
        f"/communautes/{nord}/contrat/": "/exports/annees-contractuelles.csv?cpts=",
        f"/communautes/{nord}/versements/": f"/exports/versements.csv?cpts={nord}",
        f"/communautes/{nord}/annexe/1/": "/exports/indicateurs.xlsx?cpts=",
        "/crises/": "/exports/crises.csv",
        "/territoire/": "/exports/couverture.csv",
    }
    for page, link in pages.items():
        content = client.get(page).content.decode()
        assert link.replace("&", "&amp;") in content, page
