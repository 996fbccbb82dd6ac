"""The findings of the reviews of issue 19 on the dashboard and the exports: bad characters and
dates (a French 400), French numbers and words, charts readable on a phone, coverage exports
carrying the area of their page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from openpyxl import load_workbook

from cpts.contracts.models import Payment
from cpts.core.numbers import integer_fr, percent_fr, share_fr
from cpts.crises.models import HealthCrisis
from cpts.steering.tabular import Column, Table, csv_chunks, xlsx_file
from cpts.territory.maps import coverage_map
from cpts.www import charts

THIN = "\u202f"


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- Bad input: a French 400 ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["region=%00", "departement=5%009", "year=20%0025"])
def test_a_control_character_in_a_dashboard_filter_is_a_french_400(
    people: dict[str, Any], query: str
) -> None:
    response = _client(people["national"]).get(f"/pilotage/?{query}")
    assert response.status_code == 400
    assert "contient un caractère de contrôle" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/exports/crises.csv?region=%00",
        "/exports/cpts.csv?q=Nord%00",
        "/exports/couverture-mensuelle.xlsx?region=1%001",
    ],
)
def test_a_control_character_in_an_export_filter_is_a_french_400(
    people: dict[str, Any], url: str
) -> None:
    response = _client(people["national"]).get(url)
    assert response.status_code == 400
    assert "caractère de contrôle" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["au=9999-12-31", "au=0001-01-01", "du=2018-12-31", "du=0001-01-01&au=0002-01-01"]
)
def test_a_date_out_of_bounds_is_a_french_400(people: dict[str, Any], query: str) -> None:
    response = _client(people["national"]).get(f"/exports/couverture-mensuelle.csv?{query}")
    assert response.status_code == 400
    assert "doit être une date entre le 01/01/2019 et le" in response.content.decode()


# --- Exports: clean, then neutralise --------------------------------------------------------------


def test_control_characters_are_removed_before_a_formula_is_neutralised() -> None:
    table = Table("t", "T", [Column("Libellé")], [['\x01=HYPERLINK("x")'], ["a\x02b"], ["\x0b+A1"]])
    text = "".join(csv_chunks(table)).lstrip("\ufeff")
    cells = [row[0] for row in csv.reader(io.StringIO(text, newline=""), delimiter=";")][1:]
    assert cells == ['\'=HYPERLINK("x")', "ab", "'+A1"]
    sheet = load_workbook(xlsx_file(table)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == cells


# --- Numbers the French way -----------------------------------------------------------------------


def test_numbers_are_french() -> None:
    assert integer_fr(68350798) == f"68{THIN}350{THIN}798"
    assert integer_fr(126) == "126"
    assert percent_fr(0.062) == "6,2\u00a0%"
    assert share_fr(126, 1000) == "12,6\u00a0%"
    assert share_fr(1, 0) == "—"


def test_the_line_chart_writes_its_last_share_with_a_comma() -> None:
    svg = str(
        charts.line_chart("T", "D", [(dt.date(2025, 1, 1), 0.05), (dt.date(2025, 2, 1), 0.062)])
    )
    assert "6,2\u00a0%" in svg
    assert "6.2" not in svg


def test_a_chart_scrolls_in_a_labelled_focusable_frame() -> None:
    html = str(charts.bar_chart("CPTS par stade", "D", [("Projet", 3)]))
    assert html.startswith(
        '<div class="cpts-chart-frame" tabindex="0" role="region" '
        'aria-label="Graphique : CPTS par stade">'
    )
    assert html.endswith("</svg></div>")


def test_the_map_legend_gives_ranges_and_its_tooltips_one_decimal() -> None:
    rows = [{"departement": "59", "covered_share": 0.126}]
    svg = str(coverage_map(rows, {"59": "Nord"}))
    assert "0 à 25\u00a0%" in svg
    assert "90 à 100\u00a0%" in svg
    assert "%+" not in svg
    assert "Nord (59) : 12,6\u00a0% de la population couverte" in svg


@pytest.mark.parametrize(("count", "word"), [(0, "échéance"), (1, "échéance"), (2, "échéances")])
def test_the_french_plural_is_singular_for_zero_and_one(count: int, word: str) -> None:
    template = Template("{% load cpts_tags %}échéance{{ n|pluriel }}")
    assert template.render(Context({"n": count})) == word


@pytest.mark.django_db
def test_the_coverage_table_of_the_map_groups_thousands_with_one_decimal_shares() -> None:
    template = Template(
        "{% load cpts_dsfr dsfr_tags %}{% coverage_table rows as table %}{% dsfr_table table %}"
    )
    rows = [{"name": "Nord", "departement": "59", "population": 2608346,
             "covered_population": 126, "overlaps": 0}]  # fmt: skip
    html = template.render(Context({"rows": rows}))
    assert f"2{THIN}608{THIN}346" in html
    assert "0,0\u00a0%" in html


# --- The dashboard's page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_year_is_not_grouped_and_zero_deadline_is_singular(people: dict[str, Any]) -> None:
    html = _client(people["national"]).get("/pilotage/?year=2025").content.decode()
    assert "année 2025" in html
    assert "2\u00a0025" not in html
    assert f"2{THIN}025" not in html
    assert " 0 échéance de mission dépassée." in html


@pytest.mark.django_db
def test_a_facilitator_reads_the_names_of_its_departements(people: dict[str, Any]) -> None:
    facilitator = people["facilitator"]
    facilitator.accompanied.add(people["toulouse"])  # two regions: no region set by default
    html = _client(facilitator).get("/pilotage/").content.decode()
    assert "Votre périmètre : Haute-Garonne (31), Pas-de-Calais (62)" in html


@pytest.mark.django_db
def test_a_facilitator_is_told_the_activations_are_not_for_its_role(
    people: dict[str, Any],
) -> None:
    HealthCrisis.objects.create(
        region_id="32", declared_on=dt.date(2025, 3, 1), typology="epidemic",
        title="Épidémie HDF", declared_by=people["ars"],
    )  # fmt: skip
    html = _client(people["facilitator"]).get("/pilotage/").content.decode()
    assert "non communiqué à votre rôle" in html
    national = _client(people["national"]).get("/pilotage/").content.decode()
    assert "non communiqué à votre rôle" not in national
    assert "0 (0,0\u00a0%)" in national


@pytest.mark.django_db
def test_the_dashboard_exports_the_coverage_of_its_area(people: dict[str, Any]) -> None:
    html = _client(people["national"]).get("/pilotage/?region=32&departement=59").content.decode()
    assert "/exports/couverture.csv?region=32&amp;departement=59&amp;on=" in html
    assert "/exports/couverture-mensuelle.csv?region=32&amp;departement=59&amp;au=" in html


# --- Coverage exports by département --------------------------------------------------------------


@pytest.mark.django_db
def test_the_coverage_export_narrows_to_a_departement(people: dict[str, Any]) -> None:
    client = _client(people["national"])
    response = client.get("/exports/couverture.csv?departement=59")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["59"]
    response = client.get(
        "/exports/couverture-mensuelle.csv?departement=59&du=2025-01-01&au=2025-02-01"
    )
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert {row[1] for row in rows[1:]} == {"Nord"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [("departement=59&region=76", "n'est pas dans la région"), ("departement=XX", "inconnu")],
)
def test_a_bad_departement_of_an_export_is_a_french_400(
    people: dict[str, Any], query: str, message: str
) -> None:
    response = _client(people["national"]).get(f"/exports/couverture.csv?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_a_payment_without_contract_year_is_named_as_the_accelerator(
    people: dict[str, Any],
) -> None:
    Payment.objects.create(
        community=people["nord"], kind="accelerator", label="Accélérateur", amount=Decimal("100.00"),
        reason="x", due_on=dt.date(2024, 3, 1), paid_on=dt.date(2024, 3, 5), status="paid",
        explanation={}, created_by=people["admin"],
    )  # fmt: skip
    html = _client(people["national"]).get("/pilotage/").content.decode()
    assert "Accélérateur et autres écritures sans année contractuelle" in html
    assert "Hors année contractuelle enregistrée" not in html
