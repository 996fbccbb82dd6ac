"""Attacks on the exports of every list (issue 19): extreme filters, forged ids, formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from cpts.contracts.models import Payment

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _get(user: Any, url: str) -> tuple[int, bytes]:
    response = _client(user).get(url)
    if response.status_code == 200 and response.streaming:
        return 200, b"".join(response.streaming_content)
    return response.status_code, response.content


@pytest.mark.parametrize(
    "url",
    [
        "/exports/couverture-mensuelle.csv?du=9999-11-01&au=9999-12-31",
        "/exports/couverture-mensuelle.csv?au=9999-12-31",
        "/exports/couverture-mensuelle.csv?du=0001-01-01&au=0002-01-01",
        "/exports/couverture-mensuelle.csv?au=0001-01-01",
        "/exports/couverture.csv?on=9999-12-31",
        "/exports/couverture.csv?on=0001-01-01",
        "/exports/contrats.csv?on=9999-12-31",
        "/exports/contrats.csv?on=0001-01-01",
        "/exports/contrats.csv?on=31/12/99999",
        "/exports/annees-contractuelles.csv?annee=999999999",
        "/exports/versements.xlsx?annee=999999999&contrat=999999999",
        "/exports/indicateurs.csv?cpts=999999999",
    ],
)
def test_extreme_filters_are_not_a_500(people: dict[str, Any], url: str) -> None:
    status, body = _get(people["national"], url)
    assert status in (200, 400, 404), (status, body[:200])


@pytest.mark.parametrize("role", ["national", "ars", "cpam", "facilitator", "coordinator"])
@pytest.mark.parametrize(
    "liste", ["cpts", "membres", "contrats", "annees-contractuelles", "versements", "indicateurs"]
)
def test_a_forged_community_out_of_scope_is_a_404(
    people: dict[str, Any], role: str, liste: str
) -> None:
    toulouse = people["toulouse"]
    if role == "national":
        return
    status, _ = _get(people[role], f"/exports/{liste}.csv?cpts={toulouse.pk}")
    assert status == 404


def test_payment_label_formulas_are_neutralised_in_csv_and_xlsx(
    people: dict[str, Any],
) -> None:
    """The classic starts are neutralised in both files (held). But the workbook strips the
    characters XML refuses *after* ``safe_cell``: « \\x01=HYPERLINK(...) » is not prefixed (it
    starts with \\x01), then loses its \\x01 and is written « =HYPERLINK(...) ». It is a string
    cell, so Excel does not run it, but tabular's promise (« neutralised by safe_cell as well: a
    copy-paste to a CSV stays safe ») is broken: order of the two operations."""
    labels = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '\x01=HYPERLINK("x")']
    for label in labels:
        Payment.objects.create(
            community=people["nord"], kind="adjustment", label=label, amount=Decimal("1.00"),
            reason="x", due_on=dt.date(2024, 3, 1), explanation={}, created_by=people["admin"],
        )  # fmt: skip
    status, body = _get(people["admin"], "/exports/versements.csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.decode()[1:], newline=""), delimiter=";"))
    header = rows[0]
    written = [row[header.index("Libellé")] for row in rows[1:]]
    for cell in written:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)
    status, body = _get(people["admin"], "/exports/versements.xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cell = row[header.index("Libellé")]
        assert cell.data_type == "s"
        assert not str(cell.value).startswith(("=", "+", "-", "@")), repr(cell.value)
