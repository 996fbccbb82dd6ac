"""The steering dashboard (« Pilotage »): national, regional or départemental figures, within the
user's scope. The figures come from :mod:`cpts.steering.dashboards`; this view checks the access,
reads the filters, draws the charts and renders."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from cpts.accounts.access import (
    current_user,
    may_read_crisis_responses,
    may_read_steering,
    steering_departements,
)
from cpts.accounts.models import Role
from cpts.aci.money import euros_fr
from cpts.core.numbers import integer_fr, share_fr
from cpts.steering import dashboards
from cpts.territory.maps import ATTRIBUTION, coverage_map
from cpts.territory.models import Departement, Region

from . import charts
from .params import unreadable_parameter
from .steering_forms import SteeringFilterForm

LATE_PER_PAGE = 20


def _table(caption: str, header: list[str], rows: list[list[Any]], **extra: str) -> dict[str, Any]:
    return {"caption": caption, "header": header, "content": rows, **extra}


_percent = share_fr


def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard of the user's area. A coordinator is sent to its community's dashboard (its
    only community); the roles without steering (SAS regulation) get a 404. A region or a
    département out of the user's scope in the filters is a 404; an unknown value or a
    département outside the chosen region, a French message and a 400."""
    user = current_user(request)
    if user.role == Role.COORDINATOR and user.community_id:
        return redirect("communities:dashboard", pk=user.community_id)
    if not may_read_steering(user):
        raise Http404("Page introuvable")
    allowed = steering_departements(user)
    departements = Departement.objects.order_by("code")
    if allowed is not None:
        departements = departements.filter(code__in=allowed)
    departement_rows = list(departements.values_list("code", "name", "region_id"))
    region_codes = {region for _, _, region in departement_rows}
    regions = list(
        Region.objects.filter(code__in=region_codes).order_by("name").values_list("code", "name")
    )
    today = timezone.localdate()
    problem = unreadable_parameter(request)  # checked before any query reads a filter
    if problem:
        form = SteeringFilterForm(
            None, regions=regions, departements=departement_rows, this_year=today.year
        )
        refused = {"form": form, "title": "Pilotage", "problem": problem}
        return render(request, "steering/dashboard.html", refused, status=400)
    # a real region or département outside the scope: 404 (an unknown code is a form error)
    asked_region, asked_departement = request.GET.get("region"), request.GET.get("departement")
    known = {code for code, _, _ in departement_rows}
    if (
        asked_region
        and asked_region not in region_codes
        and Region.objects.filter(code=asked_region).exists()
    ):
        raise Http404("Région hors de votre périmètre")
    if (
        asked_departement
        and asked_departement not in known
        and Departement.objects.filter(code=asked_departement).exists()
    ):
        raise Http404("Département hors de votre périmètre")
    form = SteeringFilterForm(
        request.GET or None,
        regions=regions,
        departements=departement_rows,
        this_year=today.year,
    )
    context: dict[str, Any] = {"form": form, "title": "Pilotage"}
    if request.GET and not form.is_valid():
        return render(request, "steering/dashboard.html", context, status=400)
    filters = form.filters() if request.GET else dashboards.Filters()
    if len(regions) == 1 and filters.region is None:
        filters = dashboards.Filters(
            regions[0][0], filters.departement, filters.size_class, filters.year
        )
    if dashboards.out_of_scope(user, filters):
        raise Http404("Hors de votre périmètre")
    board = dashboards.dashboard(user, filters, today)
    context.update(_figures(board, request, may_read_crisis_responses(user)))
    context["where"] = _where(board, regions, departement_rows)
    return render(request, "steering/dashboard.html", context)


def _where(
    board: dashboards.Dashboard,
    regions: list[tuple[str, str]],
    departements: list[tuple[str, str, str]],
) -> str:
    names = dict(regions)
    if board.filters.departement:
        name = next(n for code, n, _ in departements if code == board.filters.departement)
        return f"{name} ({board.filters.departement})"
    if board.filters.region:
        return names.get(board.filters.region, board.filters.region)
    if board.area.departements is None:
        return "France entière"
    return "Votre périmètre : " + ", ".join(f"{name} ({code})" for code, name, _ in departements)


def _figures(board: dashboards.Dashboard, request: HttpRequest, responses: bool) -> dict[str, Any]:
    stages = board.stages
    stage_rows = [[row.label, row.count] for row in stages.rows]
    coverage = board.coverage
    money = board.money
    late = Paginator(board.late, LATE_PER_PAGE).get_page(request.GET.get("page"))
    names = dict(Departement.objects.values_list("code", "name"))
    coverage_rows = [
        {**row, "name": names.get(str(row["departement"]), "")} for row in coverage.by_departement
    ]

    def money_rows(rows: list[dashboards.MoneyRow]) -> list[list[Any]]:
        return [
            [r.label, euros_fr(r.committed), euros_fr(r.paid), euros_fr(r.recovered)] for r in rows
        ]

    money_header = ["", "Engagé (moteur de règles)", "Versé", "Repris"]
    return {
        "board": board,
        "stages_chart": charts.bar_chart(
            "CPTS par stade du cycle de vie",
            "Nombre de CPTS à chaque stade ; le tableau qui suit donne les mêmes chiffres.",
            [(row.label, row.count) for row in stages.rows],
        ),
        "stages_table": _table(
            f"CPTS par stade au {board.area.day:%d/%m/%Y} ({stages.total} CPTS)",
            ["Stade", "CPTS"],
            [
                *stage_rows,
                ["dont accélérateur accordé", stages.accelerator],
                ["dont contrat renouvelé", stages.renewed],
                ["dont contrat résilié", stages.terminated],
            ],
        ),
        "coverage_chart": charts.line_chart(
            "Part de la population couverte par une CPTS, mois par mois depuis 2019",
            "Une ligne qui monte de gauche à droite ; le tableau qui suit donne chaque mois.",
            [(point.day, point.share) for point in coverage.points],
        ),
        "coverage_table": _table(
            "Population couverte au premier jour de chaque mois",
            ["Mois", "Population", "Couverte", "Part"],
            [
                [
                    f"{p.day:%m/%Y}",
                    integer_fr(p.population),
                    integer_fr(p.covered),
                    _percent(p.covered, p.population),
                ]
                for p in reversed(coverage.points)
            ],
            extra_classes="fr-table--sm",
        ),
        "map": coverage_map(coverage_rows, names),
        "map_rows": coverage_rows,
        "attribution": ATTRIBUTION,
        "money_chart": charts.paired_bar_chart(
            "Montants engagés et versés par année",
            "Pour chaque année, deux barres : l'engagé (pleine), le versé (hachurée) ; "
            "le tableau qui suit donne les montants exacts.",
            [(row.label, row.committed, row.paid) for row in money.by_year],
            ("Engagé", "Versé"),
        ),
        "money_by_year": _table(
            "Montants par année (engagé : année contractuelle débutant cette année-là ; "
            "versé et repris : écritures comptabilisées cette année-là)",
            ["Année", *money_header[1:]],
            money_rows(money.by_year),
        ),
        "money_by_region": _table(
            "Montants par région", ["Région", *money_header[1:]], money_rows(money.by_region)
        ),
        "money_by_size": _table(
            "Montants par taille (taille enregistrée de l'année contractuelle)",
            ["Taille", *money_header[1:]],
            money_rows(money.by_size_class),
        ),
        "money_by_mission": _table(
            "Montants engagés par mission (le grand livre n'est pas tenu par mission)",
            ["Ligne", "Engagé"],
            [[row.label, euros_fr(row.committed)] for row in money.by_mission],
        ),
        "late": late,
        "late_table": _table(
            f"Échéances de missions dépassées ({len(board.late)})",
            ["CPTS", "Mission", "Étape", "Échéance", "Jours de retard"],
            [
                [
                    format_html(
                        '<a href="{}">{}</a>',
                        reverse("communities:contract", args=[row.community_id]),
                        row.community,
                    ),
                    row.mission,
                    row.step,
                    f"{row.due:%d/%m/%Y}",
                    row.days_late,
                ]
                for row in late.object_list
            ],
            extra_classes="fr-table--multiline",
        ),
        "crises_table": _table(
            "Crises sanitaires déclarées et activations des plans",
            ["Crise", "Région", "Déclarée le", "Close le", "CPTS concernées", "Plans activés"],
            [
                [
                    format_html(
                        '<a href="{}">{}</a>', reverse("crises:detail", args=[row.pk]), row.title
                    ),
                    row.region,
                    f"{row.declared_on:%d/%m/%Y}",
                    f"{row.ended_on:%d/%m/%Y}" if row.ended_on else "en cours",
                    row.concerned,
                    f"{row.activated} ({_percent(row.activated, row.concerned)})"
                    if responses
                    else "non communiqué à votre rôle",
                ]
                for row in board.crises
            ],
            extra_classes="fr-table--multiline",
        ),
        "indicators_table": _table(
            "Indicateurs des annexes au regard de leur objectif",
            ["Mission", "Indicateurs", "Mesurés avec objectif", "Objectif atteint", "Non atteint"],
            [[r.label, r.total, r.measured, r.met, r.not_met] for r in board.indicators],
        ),
    }
