"""Import of a contract year's objectives and evaluation values: all or nothing, through the
services (audited), a report line by line, a dry run, closed years and roles refused."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from cpts.contracts import services
from cpts.contracts.annex_imports import import_annex
from cpts.contracts.models import Evaluation, Indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def annex(contracted: dict[str, Any]) -> dict[str, Any]:
    contract, cpam = contracted["contract"], contracted["cpam"]
    target = services.add_indicator(
        contract, 1, cpam,
        {"mission": "access", "action": "Accès", "label": "Patients sans médecin traitant",
         "kind": "target", "amount": Decimal("1500"), "objective": Decimal("45")},
    )  # fmt: skip
    done = services.add_indicator(
        contract, 1, cpam,
        {"mission": "access", "action": "Réunion", "label": "Réunion annuelle",
         "kind": "done", "amount": Decimal("500")},
    )  # fmt: skip
    return {**contracted, "target": target, "done": done}


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_good_file_imports_exactly_and_is_audited(annex: dict[str, Any]) -> None:
    coordinator, target, done = annex["coordinator"], annex["target"], annex["done"]
    data = xlsx([
        ["Identifiant", "Indicateur", "Valeur mesurée", "Réalisé", "Remarques"],
        [target.pk, "Patients sans médecin traitant", 47.25, "", "Source : registre"],
        [done.pk, "Réunion annuelle", None, "oui", ""],
    ])  # fmt: skip
    report = import_annex(annex["contract"], 1, coordinator, "annexe.xlsx", data)
    assert report.ok, report.problems
    assert report.changed == 2
    target.refresh_from_db()
    done.refresh_from_db()
    assert target.measured_value == Decimal("47.25")
    assert target.remarks == "Source : registre"
    assert done.done is True
    assert done.measured_value is None
    assert target.history.first().history_user == coordinator
    assert "Ligne 2" in str(report.notes[0])


def test_the_cpam_sets_objectives_and_decides_in_french_csv(annex: dict[str, Any]) -> None:
    target, done = annex["target"], annex["done"]
    services.record_indicator(done, annex["coordinator"], None, True, "")
    data = (
        "\ufeffIdentifiant;Objectif;Décision;Motif\r\n"
        f"{target.pk};50,5;;\r\n"
        f"{done.pk};;accepté;\r\n"
    ).encode()
    report = import_annex(annex["contract"], 1, annex["cpam"], "annexe.csv", data)
    assert report.ok, report.problems
    target.refresh_from_db()
    done.refresh_from_db()
    assert target.objective == Decimal("50.50")
    assert done.verdict == Indicator.Verdict.ACCEPTED
    assert done.decided_by == annex["cpam"]


def test_the_exported_annex_reimported_as_it_is_changes_nothing(
    annex: dict[str, Any], client: Client
) -> None:
    client.force_login(annex["cpam"])
    nord = annex["nord"].pk
    response = client.get(f"/exports/indicateurs.xlsx?cpts={nord}&annee=1")
    data = b"".join(response.streaming_content)
    before = Indicator.history.count()
    report = import_annex(annex["contract"], 1, annex["cpam"], "modele.xlsx", data)
    assert report.ok, report.problems
    assert report.changed == 0
    assert Indicator.history.count() == before
    # the CPAM fills the template: its objective column changes, the rest stays
    sheet = load_workbook(io.BytesIO(data))
    header = [cell.value for cell in sheet.active[1]]
    sheet.active.cell(row=2, column=header.index("Objectif") + 1, value=60)
    out = io.BytesIO()
    sheet.save(out)
    report = import_annex(annex["contract"], 1, annex["cpam"], "modele.xlsx", out.getvalue())
    assert report.ok, report.problems
    assert report.changed == 1
    annex["target"].refresh_from_db()
    assert annex["target"].objective == Decimal("60")


def test_one_bad_line_writes_nothing_and_names_the_line(annex: dict[str, Any]) -> None:
    target, done = annex["target"], annex["done"]
    data = xlsx([
        ["Identifiant", "Valeur mesurée", "Réalisé"],
        [target.pk, 12, ""],
        [done.pk, None, "peut-être"],
        [999999, 3, ""],
    ])  # fmt: skip
    report = import_annex(annex["contract"], 1, annex["coordinator"], "a.xlsx", data)
    assert not report.ok
    assert [problem.line for problem in report.errors] == [3, 4]
    assert "oui ou non" in report.errors[0].message
    assert "n° 999999 n'est pas dans l'annexe" in report.errors[1].message
    target.refresh_from_db()
    assert target.measured_value is None
    assert "3;erreur;" in report.as_csv()


def test_a_refusal_by_a_service_rolls_back_the_lines_before(annex: dict[str, Any]) -> None:
    target, done = annex["target"], annex["done"]
    services.record_indicator(done, annex["coordinator"], None, True, "")
    data = xlsx([
        ["Identifiant", "Objectif", "Décision", "Motif"],
        [target.pk, 70, "", ""],
        [done.pk, None, "refusé", ""],  # a refusal needs its reason: the service says so
    ])  # fmt: skip
    report = import_annex(annex["contract"], 1, annex["cpam"], "a.xlsx", data)
    assert [problem.line for problem in report.errors] == [3]
    assert "motivé" in report.errors[0].message
    target.refresh_from_db()
    assert target.objective == Decimal("45")  # line 2 was applied, then rolled back


def test_a_dry_run_writes_nothing(annex: dict[str, Any]) -> None:
    target = annex["target"]
    before = Indicator.history.count()
    data = xlsx([["Identifiant", "Valeur mesurée"], [target.pk, 12]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "a.xlsx", data, dry_run=True)
    assert report.ok
    assert report.changed == 1
    assert "serait modifié" in report.notes[0].message
    target.refresh_from_db()
    assert target.measured_value is None
    assert Indicator.history.count() == before


def test_a_closed_year_is_refused(annex: dict[str, Any]) -> None:
    Evaluation.objects.create(
        contract=annex["contract"], contract_year=1, status=Evaluation.Status.CLOSED,
        closed_on=dt.date(2024, 2, 1), closed_by=annex["cpam"],
    )  # fmt: skip
    data = xlsx([["Identifiant", "Valeur mesurée"], [annex["target"].pk, 12]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "a.xlsx", data)
    assert "close" in report.errors[0].message
    annex["target"].refresh_from_db()
    assert annex["target"].measured_value is None


def test_a_column_the_role_may_not_write(annex: dict[str, Any]) -> None:
    data = xlsx([["Identifiant", "Valeur mesurée"], [annex["target"].pk, 12]])
    report = import_annex(annex["contract"], 1, annex["cpam"], "a.xlsx", data)
    assert "votre rôle ne permet pas" in report.errors[0].message
    data = xlsx([["Identifiant", "Décision"], [annex["target"].pk, "accepté"]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "a.xlsx", data)
    assert "CPAM" in report.errors[0].message


def test_another_years_line_is_refused(annex: dict[str, Any]) -> None:
    data = xlsx([["Identifiant", "Année contractuelle", "Valeur mesurée"],
                 [annex["target"].pk, 2, 12]])  # fmt: skip
    report = import_annex(annex["contract"], 1, annex["coordinator"], "a.xlsx", data)
    assert "de l'année 2" in report.errors[0].message


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xlsx", b"PK\x03\x04 not a zip at all", "illisible"),
        ("a.xlsx", b"not a workbook", "illisible"),
        (
            "a.csv",
            "Identifiant;Valeur\r\n1;2\r\n".encode("cp1252").replace(b"1;2", b"\xe9;2"),
            "UTF-8",
        ),
        ("a.csv", b"Nom;Autre\r\nx;y\r\n", "Identifiant"),
        ("a.csv", b"", "vide"),
    ],
)
def test_bad_files_get_a_french_message(
    annex: dict[str, Any], name: str, data: bytes, message: str
) -> None:
    report = import_annex(annex["contract"], 1, annex["coordinator"], name, data)
    assert not report.ok
    assert message in report.errors[0].message


# --- The screens ----------------------------------------------------------------------------------


def _url(annex: dict[str, Any], tail: str = "") -> str:
    return f"/communautes/{annex['nord'].pk}/annexe/1/import/{tail}"


def test_the_page_imports_and_reports(annex: dict[str, Any], client: Client) -> None:
    client.force_login(annex["coordinator"])
    page = client.get(_url(annex))
    assert page.status_code == 200
    assert "/exports/indicateurs.xlsx?cpts=" in page.content.decode()
    upload = SimpleUploadedFile(
        "annexe.xlsx", xlsx([["Identifiant", "Valeur mesurée"], [annex["target"].pk, "abc"]])
    )
    response = client.post(_url(annex), {"file": upload})
    assert response.status_code == 200
    assert "erreur(s) : rien n" in response.content.decode()
    report = client.get(_url(annex, "rapport.csv"))
    assert "2;erreur;" in report.content.decode("utf-8-sig")
    upload = SimpleUploadedFile(
        "annexe.xlsx", xlsx([["Identifiant", "Valeur mesurée"], [annex["target"].pk, 33]])
    )
    response = client.post(_url(annex), {"file": upload, "dry_run": "on"})
    assert "vérifié" in response.content.decode()
    annex["target"].refresh_from_db()
    assert annex["target"].measured_value is None
    upload.seek(0)
    client.post(_url(annex), {"file": upload})
    annex["target"].refresh_from_db()
    assert annex["target"].measured_value == Decimal("33")


def test_the_page_refuses_bad_uploads_in_french(annex: dict[str, Any], client: Client) -> None:
    client.force_login(annex["coordinator"])
    response = client.post(_url(annex), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")})
    assert "Format non reconnu" in response.content.decode()
    big = SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + b"0" * (2 * 1024 * 1024 + 1))
    response = client.post(_url(annex), {"file": big})
    assert "trop volumineux" in response.content.decode()
    response = client.post(_url(annex), {"file": SimpleUploadedFile("a.xlsx", b"junk")})
    assert response.status_code == 200
    assert "illisible" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator", 200),
        ("cpam", 200),
        ("admin", 200),
        ("ars", 403),
        ("national", 403),
        ("facilitator", 404),
        ("ars_occitanie", 404),
    ],
)
def test_who_may_import(annex: dict[str, Any], client: Client, role: str, status: int) -> None:
    client.force_login(annex[role])
    assert client.get(_url(annex)).status_code == status
    upload = SimpleUploadedFile(
        "a.xlsx", xlsx([["Identifiant", "Objectif"], [annex["target"].pk, 99]])
    )
    assert client.post(_url(annex), {"file": upload}).status_code == status
    annex["target"].refresh_from_db()
    assert (annex["target"].objective == Decimal("99")) == (status == 200)


def test_a_closed_year_has_no_form(annex: dict[str, Any], client: Client) -> None:
    Evaluation.objects.create(
        contract=annex["contract"], contract_year=1, status=Evaluation.Status.CLOSED,
        closed_on=dt.date(2024, 2, 1), closed_by=annex["cpam"],
    )  # fmt: skip
    client.force_login(annex["cpam"])
    content = client.get(_url(annex)).content.decode()
    assert "aucun import n" in content
    assert 'type="file"' not in content


# --- Review 19: numbers, formulas, stale templates, report wording, the two buttons ---------------


def patched_sheet(data: bytes, old: bytes, new: bytes) -> bytes:
    """The same workbook with ``old`` replaced by ``new`` in its first sheet's XML."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in content
                content = content.replace(old, new)
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("header", "raw", "expected"),
    [
        ("Année contractuelle", b"-1E999", "année contractuelle illisible"),
        ("Objectif", b"1E999", "n'est pas un nombre"),
        ("Valeur mesurée", b"-1E999", "n'est pas un nombre"),
        ("Objectif", b"1E300", "trop grand"),
    ],
)
def test_a_non_finite_or_absurd_number_is_a_french_error_of_its_line(
    annex: dict[str, Any], header: str, raw: bytes, expected: str
) -> None:
    target = annex["target"]
    cells = {"Année contractuelle": 1, "Objectif": 46, "Valeur mesurée": 30}
    cells[header] = 987654
    data = patched_sheet(
        xlsx([["Identifiant", *cells], [target.pk, *cells.values()]]),
        b"<v>987654</v>",
        b"<v>" + raw + b"</v>",
    )
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert [(p.line, p.severity) for p in report.problems] == [(2, "erreur")]
    assert expected in report.problems[0].message
    target.refresh_from_db()
    assert (target.objective, target.measured_value) == (Decimal("45"), None)


def test_a_formula_is_refused_by_name_and_one_in_an_ignored_column_is_not(
    annex: dict[str, Any],
) -> None:
    target = annex["target"]
    data = xlsx([["Identifiant", "Objectif"], [target.pk, "=40+6"]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert [str(p) for p in report.problems] == [
        "Ligne 2 : « Objectif » : formule non acceptée (« =40+6 »), saisissez une valeur."
    ]
    data = xlsx([["Identifiant", "CPTS", "Objectif"], [target.pk, '=UPPER("nord")', 46]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert report.ok, report.problems
    target.refresh_from_db()
    assert target.objective == Decimal("46")


def test_the_report_names_the_fields_actually_changed(annex: dict[str, Any]) -> None:
    target = annex["target"]
    data = xlsx([["Identifiant", "Remarques"], [target.pk, "Source : registre"]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert [p.message for p in report.notes] == [
        "« Patients sans médecin traitant » modifié (remarques)."
    ]
    data = xlsx([["Identifiant", "Valeur mesurée", "Remarques"], [target.pk, 47, "Autre"]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert [p.message for p in report.notes] == [
        "« Patients sans médecin traitant » modifié (valeur mesurée, remarques)."
    ]


def _template(client: Client, annex: dict[str, Any], extension: str = "xlsx") -> bytes:
    response = client.get(f"/exports/indicateurs.{extension}?cpts={annex['nord'].pk}&annee=1")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _edit(template: bytes, pk: int, column: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Identifiant")].value == pk:
            row[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_stale_template_is_refused_with_a_clear_message_a_fresh_one_imports(
    annex: dict[str, Any], client: Client
) -> None:
    coordinator, cpam, target, done = (
        annex["coordinator"], annex["cpam"], annex["target"], annex["done"]
    )  # fmt: skip
    client.force_login(coordinator)
    template = _template(client, annex)
    header = [cell.value for cell in load_workbook(io.BytesIO(template)).active[1]]
    assert header[-1] == "Version"
    services.set_objective(target, cpam, Decimal("60"))
    # the coordinator types a value on the *other* line: the target's stale objective (45) would
    # revert the CPAM's 60, so the whole file is refused, naming the line
    report = import_annex(
        annex["contract"], 1, coordinator, "m.xlsx", _edit(template, done.pk, "Réalisé", "oui")
    )
    assert [str(p) for p in report.problems] == [
        "Ligne 2 : « Patients sans médecin traitant » modifié depuis le téléchargement du "
        "modèle : téléchargez un nouveau modèle."
    ]
    target.refresh_from_db()
    done.refresh_from_db()
    assert (target.objective, done.done) == (Decimal("60.00"), False)
    # a fresh template (or the stale one with the line brought up to date) imports
    fresh = _template(client, annex)
    report = import_annex(
        annex["contract"], 1, coordinator, "m.xlsx", _edit(fresh, target.pk, "Valeur mesurée", 61)
    )
    assert report.ok, report.problems
    target.refresh_from_db()
    assert (target.objective, target.measured_value) == (Decimal("60.00"), Decimal("61.00"))


def test_a_stale_line_that_changes_nothing_passes_and_a_hand_made_file_keeps_the_cell_rule(
    annex: dict[str, Any], client: Client
) -> None:
    coordinator, cpam, target, done = (
        annex["coordinator"], annex["cpam"], annex["target"], annex["done"]
    )  # fmt: skip
    client.force_login(coordinator)
    template = _template(client, annex, "csv")
    services.set_objective(target, cpam, Decimal("60"))
    # the CSV template, the target's line brought up to date by hand (its version still stale):
    # nothing of it would change, so the other line imports
    text = template.decode("utf-8-sig").replace(";45;", ";60;")
    lines = text.split("\r\n")
    assert ";60;" in lines[1] or ";60;" in lines[2]
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{done.pk};"))
    cells = lines[index].split(";")
    cells[12] = "oui"  # « Réalisé »
    lines[index] = ";".join(cells)
    report = import_annex(annex["contract"], 1, coordinator, "m.csv", "\r\n".join(lines).encode())
    assert report.ok, report.problems
    done.refresh_from_db()
    assert done.done is True
    # a hand-made file (no « Version »): a differing cell is written, as before
    data = xlsx([["Identifiant", "Objectif"], [target.pk, 50]])
    assert import_annex(annex["contract"], 1, coordinator, "m.xlsx", data).ok
    target.refresh_from_db()
    assert target.objective == Decimal("50")


def test_the_page_offers_two_buttons_check_and_import(
    annex: dict[str, Any], client: Client
) -> None:
    client.force_login(annex["coordinator"])
    page = client.get(_url(annex)).content.decode()
    assert 'type="checkbox"' not in page
    assert (
        '<button class="fr-btn fr-btn--secondary" type="submit" name="dry_run" value="on">'
        "Vérifier sans importer</button>" in page
    )
    assert '<button class="fr-btn" type="submit">Importer</button>' in page
