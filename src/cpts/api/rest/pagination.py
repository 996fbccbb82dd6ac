"""Pages of a list: ``limit`` (1 to 200, 50 by default) and ``offset`` (from 0); every list answers
``count`` (all the matches), ``limit``, ``offset`` and ``items`` (this page)."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field, Path, Schema

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# An offset past a billion rows means nothing here, and OFFSET must stay a PostgreSQL bigint.
MAX_OFFSET = 1_000_000_000
#: The largest identifier a PostgreSQL ``integer`` column holds: a larger one is simply unknown.
MAX_ID = 2**31 - 1
#: An identifier in a path (``/communities/{community_id}``): 1 to :data:`MAX_ID`.
Identifier = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant.")]


class PageParams(Schema):
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Nombre d'éléments par page (1 à 200)."
    )
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description="Nombre d'éléments à sauter (0 pour la première page)."
    )


class Page(Schema):
    count: int = Field(..., description="Nombre total d'éléments correspondant aux filtres.")
    limit: int
    offset: int


def page_of(rows: QuerySet[Any] | list[Any], page: PageParams) -> tuple[int, list[Any]]:
    """The total count and this page's rows."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    return count, list(rows[page.offset : page.offset + page.limit])


def paged(count: int, page: PageParams, items: list[Any]) -> dict[str, Any]:
    return {"count": count, "limit": page.limit, "offset": page.offset, "items": items}
