"""Import of a contract year's objectives and evaluation values (:mod:`cpts.contracts.annex_imports`):
the form, the line-by-line report on the page and as CSV, and the template (the year's annex,
exported pre-filled)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from dsfr.forms import DsfrBaseForm

from cpts.accounts.access import Action, can, current_user
from cpts.communities.scope import community_for
from cpts.contracts.annex_imports import MAX_BYTES, import_annex
from cpts.contracts.models import Evaluation
from cpts.territory.files import csv_export

from .contract_choice import contract_for_year, contract_query
from .exports import export_query

#: Session key of the last report, per community and year.
REPORT_KEY = "annex_import_report_{pk}_{year}"
IMPORT_ACTIONS = (Action.ANNEX, Action.FILE, Action.EVALUATE)


class AnnexImportForm(DsfrBaseForm):  # type: ignore[misc]
    file = forms.FileField(
        label="Fichier de l'annexe",
        help_text=(
            f"Excel (.xlsx) ou CSV (UTF-8, « ; » ou « , »), {MAX_BYTES // (1024 * 1024)} Mo au "
            "plus : le modèle ci-dessus, complété."
        ),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".xlsx", ".csv", ".txt")):
            raise forms.ValidationError(
                "Format non reconnu : un classeur Excel (.xlsx) ou un fichier .csv est attendu."
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"Fichier trop volumineux : {MAX_BYTES // (1024 * 1024)} Mo au plus."
            )
        return upload


def annex_import(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    contract = contract_for_year(community, year, request)
    if not any(can(user, action, community) for action in IMPORT_ACTIONS):
        raise PermissionDenied("Votre rôle ne permet pas d'importer les valeurs de l'annexe.")
    closed = contract.evaluations.filter(
        contract_year=year, status=Evaluation.Status.CLOSED
    ).exists()
    form = AnnexImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = import_annex(
            contract,
            year,
            user,
            Path(upload.name or "").name,
            upload.read(),
            # the « Vérifier sans importer » submit button (``name="dry_run"``): two buttons say
            # which action runs, without script (a checkbox left the button saying « Importer »)
            dry_run=bool(request.POST.get("dry_run")),
        )
        request.session[REPORT_KEY.format(pk=pk, year=year)] = report.as_csv()
        if report.ok:
            verb = "vérifié : rien n'a été enregistré" if report.dry_run else "importé"
            would = "seraient modifiés" if report.dry_run else "modifié(s)"
            messages.success(
                request,
                f"Fichier {verb}. {report.lines} ligne(s) lue(s), {report.changed} indicateur(s) "
                f"{would}.",
            )
    return render(
        request,
        "contracts/annex_import.html",
        {
            "community": community,
            "contract": contract,
            "year": year,
            "closed": closed,
            "form": None if closed else form,
            "report": report,
            "template_url": reverse("exports:export", args=["indicateurs", "xlsx"])
            + export_query(cpts=community.pk, annee=year, contrat=contract.pk),
            "template_csv_url": reverse("exports:export", args=["indicateurs", "csv"])
            + export_query(cpts=community.pk, annee=year, contrat=contract.pk),
            "can": {action.value: can(user, action, community) for action in IMPORT_ACTIONS},
            "contract_query": contract_query(contract),
            "title": f"Importer l'annexe, année {year} — {community.name}",
        },
    )


def annex_import_report(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The last import's report for this annex, as CSV (``ligne;gravité;message``)."""
    community = community_for(current_user(request), pk)
    content = request.session.get(REPORT_KEY.format(pk=community.pk, year=year)) or csv_export(
        ["ligne", "gravité", "message"], []
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="rapport-import-annexe-{community.pk}-annee-{year}.csv"'
    )
    return response
