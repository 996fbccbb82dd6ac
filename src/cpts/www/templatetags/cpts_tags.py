"""Template filters: euros the French way, mission labels, computed indicators, slot kinds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from cpts.aci import Mission
from cpts.aci.money import euros_fr, to_cents
from cpts.core.numbers import integer_fr
from cpts.indicators.models import ComputedIndicator, Engine
from cpts.unscheduled_care.enums import SlotKind

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
def slot_kinds(codes: object) -> str:
    """A slot's kinds (TRE_R314 codes) by their French labels, an unknown code as it is."""
    if not isinstance(codes, list | tuple):
        return "—"
    return (
        ", ".join(
            str(SlotKind(code).label) if code in SlotKind.values else str(code) for code in codes
        )
        or "—"
    )


@register.filter
def binding_measure(indicator: Any) -> str:
    """The measure of an annex indicator's binding (« nombre de demandes » for the SAS)."""
    from cpts.www.lifecycle_forms import measure_label

    return measure_label(
        indicator.computed_code,
        indicator.computed_measure,
        str(indicator.get_computed_measure_display()),
    )


@register.filter
def mission_label(code: str) -> str:
    try:
        return Mission(code).label
    except ValueError:
        return code


_FRENCH_NUMBER = str.maketrans({",": "\u202f", ".": ","})


@register.filter
def indicator_value(result: ComputedIndicator | None) -> str:
    """A computed indicator the French way: a share as ``45,67 %``, a count as ``1 234``."""
    if result is None:
        return "—"
    if result.denominator is None:
        return f"{result.numerator:,}".translate(_FRENCH_NUMBER)
    if result.value is None:
        return "— (aucun patient concerné)"
    return f"{result.value * 100:,.2f}".translate(_FRENCH_NUMBER) + "\u00a0%"


@register.filter
def engine_label(code: str) -> str:
    try:
        return str(Engine(code).label)
    except ValueError:
        return code


@register.filter
def pluriel(count: object, suffix: str = "s") -> str:
    """The plural ending the French way: ``suffix`` from 2 on, none for 0 and 1 (« 0 échéance »),
    where Django's ``pluralize`` follows the English rule (« 0 échéances »)."""
    try:
        return suffix if abs(float(str(count))) >= 2 else ""
    except ValueError:
        return ""


@register.filter
def entier(value: object) -> str:
    """An integer count the French way (« 68 350 798 », narrow no-break spaces)."""
    try:
        return integer_fr(int(str(value)))
    except ValueError:
        return str(value)
