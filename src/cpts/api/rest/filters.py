"""Filters of the lists: the ones given (not ``None``, not empty) applied as lookups, and the
check that a range's bounds come in order — the same for every list of the API."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from .errors import bad_request

M = TypeVar("M", bound=Model)


def narrow(rows: QuerySet[M], **lookups: Any) -> QuerySet[M]:
    """``rows`` filtered by each lookup whose value was given (``None`` or ``""``: not given)."""
    given = {
        lookup: value for lookup, value in lookups.items() if value is not None and value != ""
    }
    return rows.filter(**given) if given else rows


def in_order(low: Any, high: Any, low_name: str, high_name: str) -> None:
    """Refuse (400) a range whose lower bound ``low_name`` comes after ``high_name``."""
    if low is not None and high is not None and low > high:
        raise bad_request(f"« {low_name} » doit précéder ou égaler « {high_name} ».", low_name)
