"""Charts drawn on the server as SVG (no script, no inline style: presentation attributes only).

Each chart is an image with a title and a description, its values written on it in text (no
meaning by colour alone), and the page always shows the same figures in a data table after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from cpts.core.numbers import integer_fr, percent_fr

#: Colours of the State design system: blue France, and a second hue for a second series.
BLUE = "#000091"
SECOND = "#c9191e"
GREY = "#666666"


def _svg(width: int, height: int, title: str, description: str, body: str) -> SafeString:
    """The chart in a frame that scrolls sideways on a phone: the drawing keeps a minimum width
    (``site.css``) so that its labels stay readable, and the frame can be focused and scrolled
    with the keyboard (a labelled region)."""
    return format_html(
        '<div class="cpts-chart-frame" tabindex="0" role="region" aria-label="Graphique : {}">'
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
        'role="img" aria-label="{}" class="cpts-chart"><title>{}</title><desc>{}</desc>{}</svg>'
        "</div>",
        title,
        width,
        height,
        title,
        title,
        description,
        mark_safe(body),
    )


def _f(value: float) -> str:
    """A coordinate, one decimal (format_html escapes its arguments: numbers are formatted first)."""
    return f"{value:.1f}"


def _number(value: float | int | Decimal) -> str:
    """A French number, thin spaces between thousands, no decimals (charts show orders)."""
    return integer_fr(round(value))


def bar_chart(
    title: str, description: str, bars: Sequence[tuple[str, float | int | Decimal]], unit: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, value), each with its value written after it."""
    width, label_width, row = 720, 260, 26
    height = max(row * len(bars) + 10, 40)
    top = max((float(value) for _, value in bars), default=0.0) or 1.0
    parts = []
    for index, (label, value) in enumerate(bars):
        y = 5 + index * row
        length = (width - label_width - 120) * float(value) / top
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#161616">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="#161616">{}{}</text>',
                label_width - 8,
                y + 15,
                label,
                label_width,
                y + 3,
                _f(length),
                row - 8,
                BLUE,
                _f(label_width + length + 6),
                y + 15,
                _number(value),
                unit,
            )
        )
    return _svg(width, height, title, description, "".join(parts))


def paired_bar_chart(
    title: str,
    description: str,
    groups: Sequence[tuple[str, Decimal, Decimal]],
    names: tuple[str, str],
) -> SafeString:
    """Two bars per group (e.g. committed and paid by year), solid and hatched, with a legend in
    words: the two series differ by their pattern and their label, not by colour alone."""
    width, label_width, row = 720, 80, 44
    height = 30 + row * len(groups)
    top = max((float(max(a, b)) for _, a, b in groups), default=0.0) or 1.0
    scale = (width - label_width - 150) / top
    defs = (
        '<defs><pattern id="cpts-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SECOND}" stroke-width="3"/></pattern></defs>'
    )
    legend = format_html(
        '<rect x="{}" y="4" width="14" height="12" fill="{}"/>'
        '<text x="{}" y="14" font-size="12" fill="#161616">{}</text>'
        '<rect x="{}" y="4" width="14" height="12" fill="url(#cpts-hatch)" stroke="{}"/>'
        '<text x="{}" y="14" font-size="12" fill="#161616">{}</text>',
        label_width,
        BLUE,
        label_width + 20,
        names[0],
        label_width + 220,
        SECOND,
        label_width + 240,
        names[1],
    )
    parts = [defs, legend]
    for index, (label, first, second) in enumerate(groups):
        y = 26 + index * row
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#161616">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="16" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11" fill="#161616">{} €</text>'
                '<rect x="{}" y="{}" width="{}" height="16" fill="url(#cpts-hatch)" '
                'stroke="{}"/>'
                '<text x="{}" y="{}" font-size="11" fill="#161616">{} €</text>',
                label_width - 8,
                y + 20,
                label,
                label_width,
                y,
                _f(float(first) * scale),
                BLUE,
                _f(label_width + float(first) * scale + 6),
                y + 13,
                _number(first),
                label_width,
                y + 18,
                _f(float(second) * scale),
                SECOND,
                _f(label_width + float(second) * scale + 6),
                y + 31,
                _number(second),
            )
        )
    return _svg(width, height, title, description, "".join(parts))


def line_chart(title: str, description: str, points: Sequence[tuple[dt.date, float]]) -> SafeString:
    """A share (0 to 1) month by month: one line, the axes labelled (a tick each January)."""
    width, height, left, bottom, top_margin = 720, 240, 50, 30, 10
    plot_width, plot_height = width - left - 20, height - bottom - top_margin
    parts = []
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = top_margin + plot_height * (1 - share)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#dddddd"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#161616">'
                "{}</text>",
                left,
                _f(y),
                width - 20,
                _f(y),
                left - 6,
                _f(y + 4),
                f"{int(share * 100)}\u00a0%",
            )
        )
    if points:
        count = max(len(points) - 1, 1)
        coordinates = [
            (left + plot_width * index / count, top_margin + plot_height * (1 - share))
            for index, (_, share) in enumerate(points)
        ]
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>',
                " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates),
                BLUE,
            )
        )
        parts.append(
            format_html_join(
                "",
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#161616">{}</text>',
                (
                    (_f(coordinates[index][0]), height - 10, day.year)
                    for index, (day, _) in enumerate(points)
                    if day.month == 1
                ),
            )
        )
        last_x, last_y = coordinates[-1]
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>',
                _f(last_x),
                _f(max(last_y - 6, 12)),
                BLUE,
                percent_fr(points[-1][1]),
            )
        )
    return _svg(width, height, title, description, "".join(str(part) for part in parts))
