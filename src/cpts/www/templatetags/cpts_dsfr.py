"""The State design system's components fed from what the templates already have.

- ``cpts_breadcrumb``: the data of django-dsfr's ``dsfr_breadcrumb``, worked out from the page's
  title, the header's sections (``nav_items``) and, on a community's pages, the community.
- ``dsfr_table_frame``: the frame of django-dsfr's ``dsfr_table`` (same template, so the same
  structure and the same focusable scroll container) around rows written in a template, for the
  tables whose cells hold links or badges, or a row header, which ``dsfr_table`` cannot render.
- ``*_table``: the data of ``dsfr_table`` for the plain tables (caption, header, rows). Cells are
  plain strings, escaped by django-dsfr (``DSFR_CONTENT_IS_SAFE = False``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string

from cpts.core.numbers import integer_fr, share_fr

register = template.Library()

NOTHING = "—"
Table = dict[str, Any]


# --- Breadcrumb -----------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def cpts_breadcrumb(context: Context, community_url: str = "") -> dict[str, Any] | None:
    """``{"links": [{"url", "title"}], "current"}`` for ``dsfr_breadcrumb`` (which adds « Accueil »).

    The trail is: the header's section holding the page (CPTS, Territoire, Crises sanitaires...),
    then, on a community's pages, the community (``community_url``: its dashboard), then the
    page, named by its title without the community's name. None on the home page and for
    anonymous users (the login page has no trail)."""
    request = context.get("request")
    title = str(context.get("title") or "")
    if request is None or not title or not getattr(request.user, "is_authenticated", False):
        return None
    path = request.path
    if path == "/":
        return None
    links: list[dict[str, str]] = []
    community = context.get("community")
    sections = [item for item in context.get("nav_items") or [] if path.startswith(item["link"])]
    if community is not None and community_url:
        section = next(
            (item for item in context.get("nav_items") or [] if item["label"] == "CPTS"), None
        )
        if section:
            links.append({"url": section["link"], "title": section["label"]})
        name = str(community.name)
        if path == community_url:
            return {"links": links, "current": name}
        links.append({"url": community_url, "title": name})
        suffix = f" — {name}"
        current = title[: -len(suffix)] if title.endswith(suffix) else title
        return {"links": links, "current": current}
    if sections:
        section = max(sections, key=lambda item: len(item["link"]))
        if path != section["link"]:
            links.append({"url": section["link"], "title": section["label"]})
    return {"links": links, "current": title}


# --- Tiles ---------------------------------------------------------------------------------------


@register.simple_tag
def dashboard_tiles(board: Any, expected_url: str, payments_url: str) -> list[dict[str, Any]]:
    """The dashboard's three amounts as ``dsfr_tile`` data, each leading to its detail: what the
    current year should bring (its annex), what was paid and what is due (the payments)."""
    from django.templatetags.static import static

    from .cpts_tags import euros

    year = _get(board, "current_year")
    expected = {
        "title": f"Attendu (année {year})" if year else "Attendu",
        "url": expected_url,
        "description": euros(_get(board, "expected")),
        "svg_path": static("dsfr/dist/artwork/pictograms/document/contract.svg"),
        "id": "tile-expected",
    }
    if _get(board, "year_start"):
        start, end = _date(_get(board, "year_start")), _date(_get(board, "year_end"))
        expected["detail"] = f"du {start} au {end}, selon les valeurs saisies"
    due_detail = "crise, accélérateur, régularisations"
    if _get(board, "to_recover"):
        due_detail += f" · à recouvrer : {euros(_get(board, 'to_recover'))}"
    return [
        expected,
        {
            "title": "Versé",
            "url": payments_url,
            "description": euros(_get(board, "paid")),
            "detail": "depuis le début",
            "svg_path": static("dsfr/dist/artwork/pictograms/institutions/money.svg"),
            "id": "tile-paid",
        },
        {
            "title": "À verser",
            "url": payments_url,
            "description": euros(_get(board, "due")),
            "detail": due_detail,
            "svg_path": static("dsfr/dist/artwork/pictograms/document/document-signature.svg"),
            "id": "tile-due",
        },
    ]


# --- A table's frame around rows written in a template ---------------------------------------------


class TableFrameNode(Node):
    def __init__(self, nodelist: NodeList, options: dict[str, FilterExpression]) -> None:
        self.nodelist = nodelist
        self.options = options

    def render(self, context: Context) -> str:
        data = {key: value.resolve(context) for key, value in self.options.items()}
        data["body"] = self.nodelist.render(context)
        return render_to_string("dsfr/table.html", {"self": data})


@register.tag
def dsfr_table_frame(parser: Parser, token: Token) -> TableFrameNode:
    """``{% dsfr_table_frame caption="…" extra_classes="…" %}<thead>…</thead><tbody>…</tbody>
    {% enddsfr_table_frame %}``: django-dsfr's table (``dsfr/table.html``) with these rows."""
    bits = token.split_contents()
    options = template.base.token_kwargs(bits[1:], parser)
    unknown = set(options) - {"caption", "extra_classes"}
    if len(options) != len(bits) - 1 or unknown or "caption" not in options:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes caption=… and optionally extra_classes=…"
        )
    nodelist = parser.parse(("end" + bits[0],))
    parser.delete_first_token()
    return TableFrameNode(nodelist, options)


# --- Plain tables, for dsfr_table -----------------------------------------------------------------


def _get(item: Any, key: str) -> Any:
    """``item.key`` as a template reads it: a dictionary's key or an object's attribute."""
    return item[key] if isinstance(item, dict) else getattr(item, key)


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else NOTHING


def _text(value: object) -> str:
    return NOTHING if value is None or value == "" else str(value)


def _percent(part: int, whole: int) -> str:
    return share_fr(part, whole)


def _table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[object]], **extra: str
) -> Table:
    return {
        "caption": caption,
        "header": list(header),
        "content": [[_text(cell) for cell in row] for row in rows],
        **extra,
    }


@register.simple_tag
def count_table(caption: str, label: str, counts: Iterable[tuple[str, int]]) -> Table:
    """Members by profession or by kind of structure: ``(label, count)`` pairs."""
    return _table(caption, [label, "Membres"], counts)


@register.simple_tag
def import_errors_table(errors: Sequence[Any], total: int) -> Table:
    caption = "Erreurs de l'import"
    if len(errors) < total:
        caption += f" ({len(errors)} premières, toutes dans le rapport)"
    rows = ((error.line or NOTHING, error.column, error.message) for error in errors)
    return _table(caption, ["Ligne", "Champ", "Erreur"], rows, extra_classes="fr-table--multiline")


@register.simple_tag
def members_table(members: Iterable[Any]) -> Table:
    rows = (
        (
            member.name,
            member.get_kind_display(),
            f"RPPS {member.rpps}" if member.rpps else f"FINESS {member.finess}",
            member.get_profession_display()
            if member.profession
            else member.get_structure_kind_display(),
            member.commune,
            _date(member.joined_on),
        )
        for member in members
    )
    header = ["Nom", "Nature", "Identifiant", "Profession ou type", "Commune d'exercice"]
    caption = "Membres de la CPTS"
    return _table(caption, [*header, "Adhésion"], rows, extra_classes="fr-table--multiline")


@register.simple_tag
def coverage_table(rows: Iterable[Any]) -> Table:
    content = (
        (
            f"{_get(row, 'name')} ({_get(row, 'departement')})",
            integer_fr(_get(row, "population")),
            integer_fr(_get(row, "covered_population")),
            _percent(_get(row, "covered_population"), _get(row, "population")),
            _get(row, "overlaps"),
        )
        for row in rows
    )
    header = ["Département", "Population", "Couverte", "Part", "Chevauchements"]
    caption = "Couverture par département (alternative à la carte)"
    return _table(caption, header, content, extra_classes="fr-table--sm fr-table--multiline")


@register.simple_tag
def overlaps_table(units: Iterable[Any]) -> Table:
    rows = (
        (_get(unit, "code"), _get(unit, "name"), ", ".join(map(str, _get(unit, "communities"))))
        for unit in units
    )
    caption = "Communes ou arrondissements revendiqués par plusieurs CPTS"
    return _table(caption, ["Code", "Commune", "CPTS"], rows, extra_classes="fr-table--multiline")


@register.simple_tag
def uncovered_table(communes: Iterable[Any]) -> Table:
    rows = (
        (_get(c, "code"), _get(c, "name"), _get(c, "departement"), _get(c, "population"))
        for c in communes
    )
    caption = "Communes qu'aucune CPTS ne couvre, même en partie (les plus peuplées d'abord)"
    return _table(caption, ["Code", "Commune", "Département", "Population"], rows)


@register.simple_tag
def perimeter_table(items: Iterable[Any]) -> Table:
    rows = []
    for item in items:
        commune, arrondissements = _get(item, "commune"), _get(item, "arrondissements")
        name = commune.name
        if arrondissements:
            name += f" (tous ses {arrondissements} arrondissements)"
        rows.append((commune.code, name, commune.departement, _get(item, "population")))
    header = ["Code INSEE", "Nom", "Département", "Population légale"]
    return _table("Communes et arrondissements du périmètre", header, rows)
