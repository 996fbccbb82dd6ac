"""Dates of the lifecycle: today in France, and the window a date of the lifecycle lies in."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cpts.aci import default_tree

from .errors import RuleError


def today() -> dt.date:
    """Today, in the time zone of the settings (Europe/Paris)."""
    return timezone.localdate()


def moment_fr(moment: dt.datetime) -> str:
    """A moment as French users read it, in French time: « 02/06/2026 à 09:10 »."""
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")


def check_day(day: dt.date, what: str, first: dt.date | None = None) -> None:
    """A date of the lifecycle lies between the agreement's entry into force (or ``first``) and
    today; anything else is refused with a French message naming it."""
    first = first or default_tree().parameter("agreement.grid_version").dates[0]
    now = today()
    if not first <= day <= now:
        raise RuleError(
            f"{what} : la date doit être comprise entre le {first:%d/%m/%Y} et aujourd'hui "
            f"({now:%d/%m/%Y})."
        )
