"""Attacks on the import of a year's annex (objectives, values, decisions) from a spreadsheet."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from cpts.contracts import services
from cpts.contracts.annex_imports import import_annex
from cpts.contracts.models import Indicator
from tests.contracts.test_annex_imports import patched_sheet, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def annex(contracted: dict[str, Any]) -> dict[str, Any]:
    contract, cpam = contracted["contract"], contracted["cpam"]
    target = services.add_indicator(
        contract, 1, cpam,
        {"mission": "access", "action": "Accès", "label": "Patients sans médecin traitant",
         "kind": "target", "amount": Decimal("1500"), "objective": Decimal("45")},
    )  # fmt: skip
    other = services.add_indicator(
        contract, 1, cpam,
        {"mission": "access", "action": "Accès", "label": "Consultations",
         "kind": "target", "amount": Decimal("500"), "objective": Decimal("10")},
    )  # fmt: skip
    return {**contracted, "target": target, "other": other}


# --- A cell the spreadsheet reads as an infinite number: a 500 ---------------------------------


@pytest.mark.parametrize("column", ["Identifiant", "Année contractuelle"])
def test_an_infinite_number_in_a_key_column_is_a_french_error_not_a_crash(
    annex: dict[str, Any], column: str
) -> None:
    """``<v>1E999</v>`` is read by openpyxl as ``float('inf')``; ``int(Decimal('Infinity'))``
    raises OverflowError (not a ValueError), which the import does not catch: a 500 on the page."""
    target = annex["target"]
    row = [987654, 1, 46] if column == "Identifiant" else [target.pk, 987654, 46]
    header = ["Identifiant", "Année contractuelle", "Objectif"]
    data = patched_sheet(xlsx([header, row]), b"<v>987654</v>", b"<v>1E999</v>")
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    assert not report.ok
    target.refresh_from_db()
    assert target.objective == Decimal("45")


def test_the_page_does_not_crash_on_an_infinite_identifier(annex: dict[str, Any]) -> None:
    data = patched_sheet(
        xlsx([["Identifiant", "Objectif"], [987654, 46]]), b"<v>987654</v>", b"<v>1E999</v>"
    )
    client = Client(raise_request_exception=False)
    client.force_login(annex["coordinator"])
    response = client.post(
        f"/communautes/{annex['nord'].pk}/annexe/1/import/",
        {"file": SimpleUploadedFile("annexe.xlsx", data)},
    )
    assert response.status_code == 200, response.status_code


# --- A formula in a cell: the objective erased ----------------------------------------------------


def test_a_formula_without_cached_value_does_not_erase_the_objective(
    annex: dict[str, Any],
) -> None:
    """A workbook written by a program (openpyxl, pandas) keeps formulas without their computed
    value; read with ``data_only=True`` such a cell is ``None``, i.e. an *empty* objective: the
    import silently sets the objective to nothing (and says « modifié (objectif) »)."""
    target = annex["target"]
    data = xlsx([["Identifiant", "Objectif"], [target.pk, "=40+6"]])
    report = import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    target.refresh_from_db()
    # either the line is refused (a formula is not a value) or the objective is untouched
    assert target.objective == Decimal("45"), (report.problems, target.objective)


def test_a_formula_without_cached_value_does_not_erase_the_measured_value(
    annex: dict[str, Any],
) -> None:
    target = annex["target"]
    services.record_indicator(target, annex["coordinator"], Decimal("50"), False, "")
    data = xlsx([["Identifiant", "Valeur mesurée"], [target.pk, "=SUM(1,2)"]])
    import_annex(annex["contract"], 1, annex["coordinator"], "annexe.xlsx", data)
    target.refresh_from_db()
    assert target.measured_value == Decimal("50")


# --- A stale template: a decision given on a value the CPAM never saw ----------------------------


def test_a_stale_template_does_not_accept_a_value_changed_since_the_export(
    annex: dict[str, Any],
) -> None:
    """The CPAM exports the annex (the target accepted at 50), the community then records a new
    value (60: back to « à évaluer »), the CPAM re-imports its template to change another line's
    objective. The untouched « accepté » of the target's line differs from what is recorded
    (pending), so the import *decides* it: the CPAM accepts a value it never saw, silently."""
    target, other = annex["target"], annex["other"]
    cpam, coordinator = annex["cpam"], annex["coordinator"]
    services.record_indicator(target, coordinator, Decimal("50"), False, "")
    services.decide_indicator(target, cpam, True, "", timezone.localdate())
    client = Client()
    client.force_login(cpam)
    response = client.get(f"/exports/indicateurs.xlsx?cpts={annex['nord'].pk}&annee=1")
    template = b"".join(response.streaming_content)
    # the community changes the value afterwards: back to the CPAM's decision
    target.refresh_from_db()
    services.record_indicator(target, coordinator, Decimal("20"), False, "")
    target.refresh_from_db()
    assert target.verdict == Indicator.Verdict.PENDING
    # the CPAM changes the other line's objective in its (stale) template and sends it back
    book = load_workbook(io.BytesIO(template))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Identifiant")].value == other.pk:
            row[header.index("Objectif")].value = 12
    out = io.BytesIO()
    book.save(out)
    import_annex(annex["contract"], 1, cpam, "modele.xlsx", out.getvalue())
    target.refresh_from_db()
    assert target.verdict == Indicator.Verdict.PENDING, (
        "the stale « accepté » accepted a value (20) the CPAM never saw"
    )


def test_a_stale_template_does_not_revert_an_objective_changed_since_the_export(
    annex: dict[str, Any],
) -> None:
    """The coordinator exports the annex, the CPAM raises the target's objective to 60, the
    coordinator then sends its template back with only a value typed: the stale objective (45)
    differs from what is recorded, so the import writes it back: the CPAM's change is lost."""
    target = annex["target"]
    cpam, coordinator = annex["cpam"], annex["coordinator"]
    client = Client()
    client.force_login(coordinator)
    response = client.get(f"/exports/indicateurs.xlsx?cpts={annex['nord'].pk}&annee=1")
    template = b"".join(response.streaming_content)
    services.set_objective(target, cpam, Decimal("60"))
    book = load_workbook(io.BytesIO(template))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Identifiant")].value == target.pk:
            row[header.index("Valeur mesurée")].value = 47
    out = io.BytesIO()
    book.save(out)
    import_annex(annex["contract"], 1, coordinator, "modele.xlsx", out.getvalue())
    target.refresh_from_db()
    assert target.objective == Decimal("60"), "the CPAM's objective was silently reverted"
