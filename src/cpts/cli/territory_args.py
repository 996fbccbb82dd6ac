"""The territory a command works on, as its options name it: ``--community`` (with ``--as``) or
``--communes`` (a CSV file of INSEE codes). One place for ``cpts claims generate``,
``cpts indicators compute|fill`` and ``cpts contracts show`` / ``cpts payments run``.

The rule for ``--community`` (a name, case ignored, or an id): the scope of the user named by
``--as`` decides which communities exist; one out of that scope is « introuvable », as a 404 is
in the browser, never « interdit ». Without ``--as``, every community: the command reads as an
administrator would (``cpts contracts show`` even acts as the first active administrator, who
needs to exist; a lookup alone needs no account).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from .territory import _fail, _user, django_setup

if TYPE_CHECKING:
    from cpts.accounts.models import User
    from cpts.communities.models import Community

errors = Console(stderr=True)

#: An INSEE commune code: 5 digits, or 2A/2B and 3 digits (Corsica).
INSEE_CODE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})")


def find_community(user: User | None, name_or_id: str) -> Community:
    """A community of ``user``'s scope (every one for ``None``), by FINESS, id or exact name; out
    of scope is unknown, as a 404. A name that two communities of the scope share is refused,
    with the FINESS and ids to choose from: never the first one picked in silence."""
    from cpts.communities.models import Community
    from cpts.communities.scope import visible_communities

    communities = Community.objects.all() if user is None else visible_communities(user)
    text = name_or_id.strip()
    found = communities.filter(finess=text).first() if text else None
    # ASCII digits only: "²".isdigit() is true, and int("²") fails
    if found is None and text.isascii() and text.isdigit() and len(text) <= 18:
        found = communities.filter(pk=int(text)).first()
    elif found is None and text:
        named = list(communities.filter(name__iexact=text).order_by("pk")[:21])
        if len(named) > 1:
            choices = "\n".join(
                f"  - identifiant {item.pk}, FINESS {item.finess or 'non renseigné'}, "
                f"département {item.departement_id}"
                for item in named[:20]
            )
            more = "\n  - …" if len(named) > 20 else ""
            raise _fail(
                f"plusieurs CPTS s'appellent « {text} » : relancez avec le FINESS ou "
                f"l'identifiant de l'une d'elles :\n{choices}{more}"
            )
        found = named[0] if named else None
    if found is None:
        where = "" if user is None else " dans votre périmètre"
        raise _fail(f"CPTS introuvable{where} : « {name_or_id} ».")
    return found


def community_codes(
    name_or_id: str, as_user: str | None, day: dt.date | None = None
) -> tuple[str, list[str]]:
    """The name of the community ``--community`` names, read with the scope of ``--as``, and the
    INSEE codes of its perimeter in force on ``day`` (today by default)."""
    django_setup()  # before any model: a caller may not have set Django up yet
    from cpts.communities.perimeters import current_perimeter

    community = find_community(_user(as_user), name_or_id)
    perimeter = current_perimeter(community, day)
    if perimeter is None:
        when = f" le {day:%d/%m/%Y}" if day else ""
        raise _fail(f"{community.name} : aucun périmètre en vigueur{when}.")
    codes = perimeter.items.order_by("commune_id").values_list("commune_id", flat=True)
    return community.name, list(codes)


def communes_from_csv(path: Path) -> list[str]:
    """The current INSEE codes of a CSV file with a ``code`` column, in the file's order, each
    once. A former code becomes its current commune (a warning); every malformed or unknown code
    is reported with its line, then exit code 2, so that one run lists all there is to fix."""
    django_setup()  # before any model: a caller may not have set Django up yet
    from cpts.territory.communes import normalise_code, resolve_map
    from cpts.territory.files import FileError, read_csv

    try:
        header, rows = read_csv(path.read_bytes())
    except OSError as error:
        raise _fail(f"{path} : lecture impossible ({error.strerror}).") from None
    except FileError as error:
        raise _fail(f"{path.name} : {error}") from None
    columns = [cell.strip().lower() for cell in header]
    if "code" not in columns:
        raise _fail(f"{path.name} : colonne « code » absente (en-tête lu : {', '.join(header)}).")
    index = columns.index("code")
    lines = [
        (row.line, normalise_code(row.cells[index] if index < len(row.cells) else ""))
        for row in rows
        if any(cell.strip() for cell in row.cells)
    ]
    lines = [(line, code) for line, code in lines if code]
    if not lines:
        raise _fail(f"{path.name} : aucune commune.")
    known, former = resolve_map(code for _, code in lines)
    problems: list[str] = []
    codes: dict[str, None] = {}  # ordered, each once
    for line, code in lines:
        if not INSEE_CODE.fullmatch(code):
            problems.append(f"ligne {line} : code INSEE mal formé « {code} »")
        elif code not in known:
            problems.append(f"ligne {line} : code INSEE inconnu « {code} »")
        else:
            if code in former:
                errors.print(
                    f"[yellow]Avertissement[/] {escape(path.name)}, ligne {line} : "
                    f"{escape(former[code])}",
                    soft_wrap=True,
                )
            codes[known[code].code] = None
    if problems:
        for problem in problems:
            errors.print(f"[red]Erreur[/] {escape(path.name)}, {escape(problem)}", soft_wrap=True)
        raise typer.Exit(2)
    return list(codes)
