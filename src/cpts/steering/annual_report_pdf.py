"""The annual report of a community printed to PDF by WeasyPrint: the figures come from
:mod:`cpts.steering.annual_report`; this module draws the chart and prints the page, for the
screen's download (``cpts.www.annual_report``) and the command line (``cpts report annual``)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from cpts.territory.maps import ATTRIBUTION, perimeter_map

from .annual_report import AnnualReport, IndicatorRow

#: The chart's geometry (SVG user units, about a pixel at 96 dpi).
CHART_WIDTH = 640
BAR_WIDTH = 300
ROW_HEIGHT = 62
VALUE_COLOUR = "#000091"  # blue France
OBJECTIVE_COLOUR = "#929292"


def _number(value: Decimal, percent: bool) -> str:
    """``72,50``, ``1 250``, ``80 %``: French, to the hundredth, whole numbers without decimals."""
    text = number_format(value, decimal_pos=2, use_l10n=True).removesuffix(",00")
    return f"{text}\u00a0%" if percent else text


def indicator_chart(indicators: tuple[IndicatorRow, ...]) -> SafeString | None:
    """Value against objective, one pair of bars per indicator (each on its own scale, since the
    indicators count different things), with the figures written beside the bars: the colours
    are never the only way to read it. The table that follows gives the same figures."""
    rows = [item for item in indicators if item.measured is not None and item.objective is not None]
    if not rows:
        return None
    parts = []
    for index, item in enumerate(rows):
        assert item.measured is not None
        assert item.objective is not None
        top = index * ROW_HEIGHT
        scale = max(item.measured, item.objective, Decimal(0))
        value_width = int(BAR_WIDTH * item.measured / scale) if scale > 0 else 0
        objective_width = int(BAR_WIDTH * item.objective / scale) if scale > 0 else 0
        label = item.label if len(item.label) <= 90 else item.label[:89] + "…"
        verdict = {True: "objectif atteint", False: "objectif non atteint", None: ""}[item.reached]
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="11" font-weight="bold" fill="#161616">{}</text>'
                '<rect x="0" y="{}" width="{}" height="14" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" fill="#161616">Valeur : {} ({})</text>'
                '<rect x="0" y="{}" width="{}" height="14" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" fill="#161616">{} : {}{}</text>',
                top + 12,
                label,
                top + 18,
                max(value_width, 1),
                VALUE_COLOUR,
                max(value_width, 1) + 6,
                top + 29,
                _number(item.measured, item.percent),
                verdict,
                top + 36,
                max(objective_width, 1),
                OBJECTIVE_COLOUR,
                max(objective_width, 1) + 6,
                top + 47,
                "Objectif (palier le plus haut)" if item.top_tier else "Objectif",
                _number(item.objective, item.percent),
                " (plus bas est mieux)" if item.lower_is_better else "",
            )
        )
    height = len(rows) * ROW_HEIGHT
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="Valeur de chaque indicateur et son objectif">'
        "<title>Valeur de chaque indicateur et son objectif</title>"
        "<desc>Pour chaque indicateur, la barre bleue est la valeur mesurée, la barre grise "
        "l'objectif ; les chiffres sont écrits à droite des barres et repris dans le tableau."
        "</desc>{}</svg>",
        CHART_WIDTH,
        height,
        CHART_WIDTH,
        height,
        mark_safe("".join(parts)),
    )


def render_pdf(report: AnnualReport) -> bytes:
    """The report printed by WeasyPrint (A4, header and page numbers from ``@page``)."""
    from weasyprint import CSS, HTML, URLFetcher  # a heavy module, imported for this page only

    departements = {part.code: part.communes for part in report.perimeter_parts}
    names = {part.code: part.name for part in report.perimeter_parts}
    html = render_to_string(
        "steering/annual_report.html",
        {
            "report": report,
            "community": report.community,
            "map": perimeter_map(departements, names) if departements else None,
            "attribution": ATTRIBUTION,
            "chart": indicator_chart(report.indicators),
            "professions": _professions(report),
            "title": f"Rapport annuel — {report.community.name} — année {report.number}",
        },
    )
    stylesheet = finders.find("cpts/annual_report.css")
    if not isinstance(stylesheet, str):
        raise ImproperlyConfigured("cpts/annual_report.css is missing from the static files.")
    # The page fetches nothing (the map and the chart are inline SVG): no URL a text could slip
    # into the page is ever requested from the server.
    page = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",)))
    return bytes(page.write_pdf(stylesheets=[CSS(filename=stylesheet)]))


def _professions(report: AnnualReport) -> list[tuple[str, int]]:
    from cpts.communities.models import Profession, StructureKind

    labels = dict(Profession.choices) | dict(StructureKind.choices)
    counts = report.member_counts
    rows = [
        (str(labels.get(code, "profession non renseignée")), count)
        for code, count in counts.by_profession.items()
    ]
    rows += [
        (f"Structure : {labels.get(code, 'type non renseigné')}", count)
        for code, count in counts.by_structure_kind.items()
    ]
    return sorted(rows, key=lambda row: (row[0].startswith("Structure"), row[0].casefold()))


def file_name(report: AnnualReport) -> str:
    """``rapport-annuel-cpts-du-douaisis-annee-2-2024-2025.pdf``: ASCII, French words."""
    return (
        f"rapport-annuel-{slugify(report.community.name)}-annee-{report.number}-"
        f"{report.start.year}-{report.last_day.year}.pdf"
    )
