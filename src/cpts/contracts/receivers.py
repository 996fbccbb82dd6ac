"""What the contracts do when the layers below change: propose amendments, never apply them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cpts.communities.models import Community


def perimeter_changed(
    sender: Any,
    community: Community,
    perimeter: Any,
    population: int,
    day: dt.date,
    user: Any = None,
    **kwargs: Any,
) -> str:
    from .services import propose_amendments_for

    return " ".join(
        propose_amendments_for(
            community,
            f"Nouveau périmètre en vigueur le {day:%d/%m/%Y}",
            day,
            population=population,
            perimeter_id=perimeter.pk,
            user=user,
        )
    )


def members_changed(
    sender: Any, community: Community, day: dt.date, user: Any = None, **kwargs: Any
) -> str:
    from .services import propose_amendments_for

    return " ".join(
        propose_amendments_for(community, f"Membres modifiés le {day:%d/%m/%Y}", day, user=user)
    )
