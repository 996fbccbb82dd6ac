"""The annual report of a community (PDF, WeasyPrint), read back with ``pdftotext -layout``.

Hand figures (those of ``tests/payments/test_ledger.py``): CPTS Nord, perimeter Roubaix + Croix
(a size-3 population), a contract signed on 15 January 2023 on the avenant-2 grid, access to care
started that day. Year 1 (15 January 2023 – 14 January 2024) pays 75,000 € of functioning and
90,000 € of fixed part for access (a full year), no variable part since no indicator is reached:
165,000 € in all. Paid: 75,000 (functioning) + 67,500 (75 % of the fixed part at the mission's
start) + 30,000 (a correction of that advance to 97,500) − 7,500 recovered at the close
(165,000 − 172,500) = 165,000 € net, 7,500 € recovered.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role
from cpts.aci.money import euros_fr
from cpts.communities.perimeters import resolve_codes, set_perimeter
from cpts.contracts import services
from cpts.contracts.models import Payment
from cpts.payments import ledger
from cpts.steering.annual_report import NoContractYear, annual_report, report_years
from cpts.steering.annual_report_pdf import file_name, render_pdf

from ..factories import MemberFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing"),
]

TODAY = dt.date(2026, 12, 7)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as ``pdftotext -layout`` reads it, spaces (no-break ones too) collapsed."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


@pytest.fixture
def year_one(people: dict[str, Any]) -> dict[str, Any]:
    """CPTS Nord with members and a perimeter, then signed, paid, evaluated and settled."""
    nord, cpam, coordinator = people["nord"], people["cpam"], people["coordinator"]
    for profession, count in (("general_practitioner", 3), ("nurse", 2), ("pharmacist", 1)):
        MemberFactory.create_batch(count, community=nord, profession=profession)
    set_perimeter(
        nord, resolve_codes(["59512", "59163"]).communes, dt.date(2022, 1, 1), user=people["admin"]
    )
    letter = services.file_letter_of_intent(nord, coordinator, dt.date(2022, 5, 1), "Lettre")
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2022, 6, 1))
    project = services.file_health_project(nord, coordinator, dt.date(2022, 9, 1), "Projet")
    services.decide_health_project(project, people["ars"], True, "", dt.date(2022, 11, 1))
    contract = services.sign_contract(
        nord, cpam, dt.date(2023, 1, 15), "Présidente", "Directeur CPAM", "DG ARS"
    )
    access = contract.missions.get(mission="access")
    services.record_mission(access, cpam, dt.date(2023, 1, 15), None)
    common = {"mission": "access", "action": "Médecin traitant"}
    target = services.add_indicator(
        contract,
        1,
        cpam,
        {
            **common,
            "label": "Part des patients sans médecin traitant ayant trouvé un médecin",
            "kind": "target",
            "amount": Decimal("10000.00"),
            "objective": Decimal("80"),
        },
    )
    meeting = services.add_indicator(
        contract,
        1,
        cpam,
        {
            **common,
            "label": "Réunion annuelle des médecins du territoire",
            "kind": "done",
            "amount": Decimal("2500.00"),
        },
    )
    services.record_indicator(target, coordinator, Decimal("72.5"), False, "")
    services.record_indicator(meeting, coordinator, None, False, "")
    for indicator in (target, meeting):
        services.decide_indicator(indicator, cpam, True, "", dt.date(2024, 1, 18))
    ledger.run_payments(cpam, dt.date(2023, 2, 1))  # 75,000 + 67,500
    advance = Payment.objects.get(kind="mission_start")
    ledger.correct_payment(
        advance, cpam, Decimal("97500.00"), "Avance ressaisie", dt.date(2023, 2, 15)
    )
    ledger.run_payments(cpam, dt.date(2023, 3, 1))  # the +30,000 adjustment
    services.close_evaluation(contract, 1, cpam, dt.date(2024, 1, 20))
    ledger.run_payments(cpam, dt.date(2024, 1, 20))  # the -7,500 recovery (and year 2's advance)
    return {**people, "contract": contract}


def test_the_report_shows_the_years_figures(year_one: dict[str, Any], tmp_path: Path) -> None:
    nord = year_one["nord"]
    report = annual_report(nord, 1, TODAY)
    assert (report.size_class, report.final) == (3, True)  # the hand figures' premise
    assert report.total == Decimal("165000.00")
    assert [entry.amount for entry in report.payments] == [
        Decimal("75000.00"),
        Decimal("67500.00"),
        Decimal("30000.00"),
        Decimal("-7500.00"),
    ]  # year 2's advance, paid by the same run, belongs to year 2's report
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)

    # identity and period, dates in French
    assert "CPTS Nord" in text
    assert "du 15 janvier 2023 au 14 janvier 2024" in text
    assert "signé le 15 janvier 2023" in text
    assert f"{flat(f'{report.population:,}'.replace(',', ' '))} habitants" in text
    assert "taille 3" in text
    # perimeter: two communes of the Nord, with the map's data table
    assert "2 communes" in text
    assert "Nord (59) 2" in text
    # members by profession (today's)
    assert "6 membres" in text
    assert "Médecin généraliste 3" in text
    assert "Infirmier ou infirmière 2" in text
    assert "Pharmacien ou pharmacienne 1" in text
    # missions and their deadlines
    assert "Démarrage" in text
    assert "15 janvier 2023" in text
    # indicators against objectives (chart and table)
    assert "Valeur : 72,50 (objectif non atteint)" in text
    assert "Objectif : 80" in text
    assert "72,50 80 non" in text
    assert "non réalisé" in text
    assert "10 000,00 €" in text
    assert "2 500,00 €" in text
    # the year's amounts, line by line, with their parameter and reference
    assert flat(euros_fr(Decimal("75000.00"))) == "75 000,00 €"
    assert "75 000,00 €" in text
    assert "90 000,00 €" in text
    assert "Total de l'année 165 000,00 €" in text
    # in French, as the parameter files name them, not the engine's keys
    # (the PDF's columns wrap: the whole wording is checked on the report's lines)
    assert "(Mission « accès aux soins » : part fixe (moyens), par taille : taille 3, grille" in (
        report.lines[1].explanation
    )
    assert "Financement annuel du" in text
    assert "fonctionnement, par taille : taille 3, grille" in text
    assert "missions.access" not in text
    assert "functioning.base" not in text
    assert "Avenant 2 à l'ACI CPTS, art. 4" in text
    # payments and recoveries of the year
    assert "67 500,00 €" in text
    assert "30 000,00 €" in text
    assert "-7 500,00 €" in text
    assert "Versé (net des reprises) 165 000,00 €" in text
    assert "Déjà repris 7 500,00 €" in text
    assert "Reste à reprendre 0,00 €" in text
    # page numbers from @page
    pages = re.findall(r"Page (\d+) sur (\d+)", text)
    assert pages == [(str(n), str(len(pages))) for n in range(1, len(pages) + 1)]
    assert len(pages) >= 3
    assert "CPTS Nord — rapport annuel, année contractuelle 1" in text  # the running header


def test_amounts_keep_their_no_break_spaces_in_the_html(year_one: dict[str, Any]) -> None:
    from django.template.loader import render_to_string

    html = render_to_string(
        "steering/annual_report.html",
        {"report": annual_report(year_one["nord"], 1, TODAY), "community": year_one["nord"]},
    )
    assert "165\u202f000,00\u00a0€" in html


def test_the_view_serves_a_pdf_to_those_who_read_the_community(
    year_one: dict[str, Any], make_user: Any
) -> None:
    nord = year_one["nord"]
    url = reverse("communities:annual_report", args=[nord.pk, 1])
    assert url == f"/communautes/{nord.pk}/rapport-annuel/1/"
    others = {
        "coordinator of another community": make_user(
            "coord62", Role.COORDINATOR, community=year_one["pas_de_calais"]
        ),
        "CPAM of another département": make_user("cpam62", Role.CPAM, departements=["62"]),
        "ARS of another region": year_one["ars_occitanie"],
        "facilitator of another community": year_one["facilitator"],
    }
    client = Client()
    for who, user in others.items():
        client.force_login(user)
        assert client.get(url).status_code == 404, who
    client.force_login(year_one["national"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="rapport-annuel-cpts-nord-annee-1-2023-2024.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    client.force_login(year_one["coordinator"])  # the community's own coordinator
    assert client.get(url)["Content-Type"] == "application/pdf"
    dashboard = client.get(reverse("communities:dashboard", args=[nord.pk])).content.decode()
    assert "Télécharger le rapport annuel (PDF)" in dashboard
    assert f'href="{url}"' in dashboard


def test_a_year_without_a_contract_year_is_a_french_message(
    year_one: dict[str, Any],
) -> None:
    nord = year_one["nord"]
    client = Client()
    client.force_login(year_one["national"])
    for year, message in (
        (6, "compte 5 années contractuelles : il n'a pas d'année 6"),
        (0, "il n'a pas d'année 0"),
        (5, "pas encore de rapport annuel"),  # year 5 starts on 15 January 2027
    ):
        response = client.get(
            reverse("communities:annual_report", args=[nord.pk, year]), follow=True
        )
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("communities:dashboard", args=[nord.pk])
        assert message in response.content.decode().replace("&#x27;", "'")
    without = year_one["toulouse"]
    admin = Client()
    admin.force_login(year_one["admin"])
    response = admin.get(reverse("communities:annual_report", args=[without.pk, 1]), follow=True)
    assert "n'a pas de contrat : pas de rapport annuel" in response.content.decode().replace(
        "&#x27;", "'"
    )


def test_report_years_are_those_begun(year_one: dict[str, Any]) -> None:
    contract = year_one["contract"]
    assert report_years(contract, dt.date(2023, 1, 14)) == []
    assert report_years(contract, dt.date(2023, 1, 15)) == [1]
    assert report_years(contract, TODAY) == [1, 2, 3, 4]
    with pytest.raises(NoContractYear):
        annual_report(year_one["nord"], 2, dt.date(2024, 1, 14))
    assert file_name(annual_report(year_one["nord"], 2, TODAY)) == (
        "rapport-annuel-cpts-nord-annee-2-2024-2025.pdf"
    )


def test_the_command_line_writes_the_pdf(
    year_one: dict[str, Any], make_user: Any, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cpts.cli import app

    nord = year_one["nord"]
    nord.finess = "590000017"
    nord.save(update_fields=["finess"])
    make_user("cpam62", Role.CPAM, departements=["62"])
    output = tmp_path / "rapport.pdf"
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, ["report", "annual", "--output", str(output), *args])

    refused = cli("--community", "590000017", "--year", "1", "--as", "cpam62")
    assert (refused.exit_code, output.exists()) == (2, False)
    assert "CPTS introuvable dans votre périmètre" in refused.stderr
    no_year = cli("--community", str(nord.pk), "--year", "6")
    assert no_year.exit_code == 2
    assert "il n'a pas d'année 6" in no_year.stderr
    written = cli("--community", "590000017", "--year", "1", "--as", "cpam59")
    assert written.exit_code == 0, written.stderr
    text = pdf_text(output.read_bytes(), tmp_path)
    assert "FINESS 590000017" in text
    assert "Total de l'année 165 000,00 €" in text


def test_a_size_4_increase_is_explained_in_french() -> None:
    """The increase of a size-4 year of a hundred members and more: its rate and its base named
    as the parameter files and the lines name them, not by the engine's keys."""
    from cpts.aci import compute_contract_year, default_tree, readable_explanation
    from tests.aci.test_increase import size_4

    result = compute_contract_year(size_4()).to_dict()
    labels = {line["code"]: line["label"] for line in result["lines"]}
    texts = {
        line["code"]: readable_explanation(line, labels, default_tree()) for line in result["lines"]
    }
    increase = flat(texts["size4_increase"])
    assert increase.startswith("10 % (Taux de la majoration, grille avenant-2) × 235 000,00 € (")
    assert "Accès aux soins : part fixe, Accès aux soins : part variable" in increase
    assert "; 120 membres (minimum 100)) = 23 500,00 €" in increase
    assert flat(texts["functioning"]).startswith(
        "90 000,00 € (Financement annuel du fonctionnement, par taille : taille 4, grille"
    )
    for text in texts.values():
        assert not re.search(r"\b(access|crisis|functioning|increase|missions)\.", text), text
