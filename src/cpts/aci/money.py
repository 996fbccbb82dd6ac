"""Money: euros as :class:`~decimal.Decimal`, rounded to the cent once, half up.

Ratios (pro rata temporis, achievement) are exact :class:`~fractions.Fraction` values, so the only
rounding of an amount happens in :func:`apply_ratio`, at the end.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Fraction(1)

# Enough digits that every product of an amount by a numerator is exact before the division.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up (the usual rule for euro amounts)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def apply_ratio(amount: Decimal, ratio: Fraction) -> Decimal:
    """Return ``amount × ratio`` rounded once to the cent.

    The multiplication by the numerator is exact; the division is carried to 60 digits, so a true
    half-cent tie is always seen as one.
    """
    numerator, denominator = ratio.numerator, ratio.denominator
    if numerator == denominator:
        return to_cents(amount)
    if not numerator:
        return ZERO
    product = _CONTEXT.multiply(amount, Decimal(numerator))
    return to_cents(_CONTEXT.divide(product, Decimal(denominator)))


_FRENCH = str.maketrans({",": "\u202f", ".": ","})


def euros(amount: Decimal) -> str:
    """Format for machines: exactly two decimals, no grouping (e.g. ``"412500.00"``).

    Amounts are rounded to the cent where they are computed (:func:`apply_ratio`); formatting
    does not round again.
    """
    return f"{amount:.2f}"


def euros_fr(amount: Decimal) -> str:
    """Format for people, the French way: ``412 500,00 €`` (narrow no-break space)."""
    return f"{amount:,.2f}".translate(_FRENCH) + "\u00a0€"


def fraction_text(ratio: Fraction) -> str:
    """A ratio as people read it: ``1``, ``0`` or ``3/4``."""
    if ratio.denominator == 1:
        return str(ratio.numerator)
    return f"{ratio.numerator}/{ratio.denominator}"


def percent_fr(rate: Decimal | Fraction) -> str:
    """A rate as people read it: ``12.5 %`` for 0.125, ``50 %`` for 1/2."""
    return f"{float(rate * 100):g} %"
