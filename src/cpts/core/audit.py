"""Writes that leave an audit row with their author, for every layer (views, imports, commands).

django-simple-history records ``Model.save()`` with the user of the current request (its
middleware); outside a request, or through ``bulk_create`` (which it does not see at all), the
author must be given. Lower layers (imports of members and perimeters, the command line) write
through these two helpers so that every row of the history says who.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import transaction
from django.db.models import Model
from simple_history.utils import bulk_create_with_history

M = TypeVar("M", bound=Model)


def save_audited(instance: M, user: Model | None, **save_options: object) -> M:
    """Save ``instance`` (``save_options`` go to ``save``, e.g. ``update_fields``), recording
    ``user`` as the author of the history row, even outside a request."""
    instance._history_user = user  # type: ignore[attr-defined]
    instance.save(**save_options)  # type: ignore[arg-type]
    return instance


def bulk_create_audited(
    model: type[M], objs: Iterable[M], user: Model | None, batch_size: int | None = None
) -> list[M]:
    """``model.objects.bulk_create(objs)`` plus one history row per object, authored by ``user``
    (in the same transaction: both are written or neither)."""
    with transaction.atomic():  # simple-history uses two transactions where ids do not come back
        return list(
            bulk_create_with_history(list(objs), model, batch_size=batch_size, default_user=user)
        )
