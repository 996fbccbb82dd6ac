"""Territory screens: coverage (map and tables), overlaps, white zones, a community's perimeter,
and the import of a regional perimeter file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cpts.accounts.access import coverage_region, current_user, require_perimeter_import
from cpts.aci import size_class
from cpts.communities import perimeters
from cpts.communities.perimeter_imports import import_perimeter_data
from cpts.communities.scope import community_for
from cpts.steering import versions
from cpts.territory.communes import vintage_on
from cpts.territory.files import csv_export
from cpts.territory.maps import ATTRIBUTION, coverage_map, perimeter_map
from cpts.territory.models import Commune, Departement, Region

from .territory_forms import CoverageFilterForm, PerimeterImportForm


def overview(request: HttpRequest) -> HttpResponse:
    """Coverage of the population today (or on a date), for the nation or a region."""
    user = current_user(request)
    form = CoverageFilterForm(request.GET or None)
    region = coverage_region(user)
    if region is not None:  # an ARS sees its region only
        del form.fields["region"]
    day = timezone.localdate()
    if form.is_valid():
        day = form.cleaned_data.get("on") or day
        region = region or (
            form.cleaned_data.get("region").code if form.cleaned_data.get("region") else None
        )
    # the figures, cached under the data version read before them (never stale after a write)
    version = versions.data_version()
    totals, rows, overlaps, white = versions.cached(
        version, "territory.overview", (day, region), lambda: _overview_figures(day, region)
    )
    names = dict(Departement.objects.values_list("code", "name"))
    # copies: the cached rows are shared by the requests of the process, never changed
    rows = [{**row, "name": names.get(row["departement"], row["departement"])} for row in rows]
    uncovered = Paginator(white, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "territory/overview.html",
        {
            "form": form,
            "day": day,
            "region": Region.objects.filter(code=region).first() if region else None,
            "totals": totals,
            "rows": rows,
            "map": coverage_map(rows, names),
            "attribution": ATTRIBUTION,
            "overlaps": overlaps,
            "uncovered": uncovered,
            "title": "Couverture du territoire",
        },
    )


def _overview_figures(
    day: dt.date, region: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Totals, coverage by département, overlaps and white zones on ``day`` (the region's)."""
    claims = perimeters.arrays_on(day)  # the perimeters of the day, read once for all four
    totals = perimeters.coverage(day, region=region, claims=claims)
    rows = perimeters.coverage_by_departement(day, region=region, claims=claims)
    overlaps = perimeters.overlapping_units(day, region=region, claims=claims)
    uncovered = perimeters.uncovered_communes(day, region=region, claims=claims)
    return totals, rows, overlaps, uncovered


def community_perimeter(request: HttpRequest, pk: int) -> HttpResponse:
    """A community's perimeter: communes and arrondissements, populations, size class, versions."""
    community = community_for(current_user(request), pk)
    day = timezone.localdate()
    current = perimeters.current_perimeter(community)
    items = []
    if current is not None:
        vintage = vintage_on(day)
        communes = list(current.communes.select_related("departement").order_by("code"))
        children: dict[str, list[str]] = {}
        for code, parent in Commune.objects.filter(parent__in=communes).values_list(
            "code", "parent_id"
        ):
            children.setdefault(parent, []).append(code)
        leaves = [
            leaf for commune in communes for leaf in children.get(commune.code, [commune.code])
        ]
        populations = (
            dict(
                vintage.populations.filter(commune_id__in=leaves).values_list(
                    "commune_id", "population"
                )
            )
            if vintage
            else {}
        )
        for commune in communes:
            units = children.get(commune.code, [commune.code])
            items.append(
                {
                    "commune": commune,
                    "population": sum(populations.get(unit, 0) for unit in units),
                    "arrondissements": len(children.get(commune.code, [])),
                }
            )
    by_departement: dict[str, int] = {}
    if current is not None:
        for code in current.communes.values_list("departement_id", flat=True):
            by_departement[code] = by_departement.get(code, 0) + 1
    names = dict(Departement.objects.filter(code__in=by_departement).values_list("code", "name"))
    return render(
        request,
        "territory/perimeter.html",
        {
            "community": community,
            "perimeter": current,
            "items": items,
            "versions": community.perimeters.all(),
            "size_class": size_class(community.population, day).value,
            "map": perimeter_map(by_departement, names) if by_departement else None,
            "attribution": ATTRIBUTION,
            "title": f"Périmètre — {community.name}",
        },
    )


def import_view(request: HttpRequest) -> HttpResponse:
    """Import a regional list of perimeters (an ARS for its region, administrators): all or
    nothing. Who may import what is decided in :mod:`cpts.accounts.access`."""
    user = current_user(request)
    require_perimeter_import(user)
    form = PerimeterImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = Path(upload.name or "")
        stem = "".join(char for char in name.stem if char.isalnum() or char in "-_")[:80]
        report = import_perimeter_data(
            upload.read(),
            f"{stem or 'import'}{name.suffix.lower()}",  # the file's own name is the source
            form.cleaned_data["valid_from"],
            dry_run=form.cleaned_data["dry_run"],
            user=user,
        )
        if report.ok:
            verb = "vérifié" if form.cleaned_data["dry_run"] else "importé"
            messages.success(
                request,
                f"Fichier {verb} : {report.communities} CPTS, {report.created} créée(s), {report.changed} modifiée(s), "
                f"{report.unchanged} inchangée(s).",
            )
        request.session["perimeter_report"] = report.as_csv()
    return render(
        request,
        "territory/import.html",
        {"form": form, "report": report, "title": "Importer des périmètres"},
    )


def import_report(request: HttpRequest) -> HttpResponse:
    """The last import's report, as CSV (``ligne;gravité;message``, cells neutralised)."""
    current_user(request)
    content = request.session.get("perimeter_report") or csv_export(
        ["ligne", "gravité", "message"], []
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rapport-import-perimetres.csv"'
    return response
