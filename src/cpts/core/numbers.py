"""Numbers as French readers read them, the same on every screen and every chart: a narrow
no-break space between thousands (« 68 350 798 »), a decimal comma, shares with one decimal
(« 6,2 % »). Amounts have their own formatter, :func:`cpts.aci.money.euros_fr`."""

from __future__ import annotations

from decimal import Decimal

#: The narrow no-break space: between thousands, and before « % ».
THIN = "\u202f"


def integer_fr(value: int) -> str:
    """``68350798`` -> ``68 350 798`` (narrow no-break spaces)."""
    return f"{value:,}".replace(",", THIN)


def percent_fr(share: float | Decimal) -> str:
    """A share from 0 to 1 as a percentage with one decimal: ``0.0625`` -> ``6,3 %``."""
    text = f"{float(share) * 100:,.1f}"
    return text.replace(",", THIN).replace(".", ",") + "\u00a0%"


def share_fr(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal (``—`` when ``whole`` is 0)."""
    return percent_fr(part / whole) if whole else "—"
