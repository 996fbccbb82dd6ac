"""Template filters: euros the French way, mission labels."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from cpts.aci import Mission
from cpts.aci.money import euros_fr, to_cents

register = template.Library()


@register.filter
def euros(value: object) -> str:
    if value is None or value == "":
        return "—"
    try:
        return euros_fr(to_cents(Decimal(str(value))))
    except InvalidOperation:
        return str(value)


@register.filter
def mission_label(code: str) -> str:
    try:
        return Mission(code).label
    except ValueError:
        return code
