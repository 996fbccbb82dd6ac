"""Settling a contract year: balance or recovery; sums paid back when a contract is terminated.

* The balance of a year is its final total (after the evaluation) less what was advanced. When
  the advances exceed the final total, the difference is recovered from the community (parameter
  ``payment.negative_balance_recovered``): a negative balance is a recovery, not an error.
* When a contract is terminated (missions not started or deployed in time), the sums advanced for
  the current contract year are paid back pro rata temporis (parameter
  ``payment.termination_recovery_pro_rata``; ARS pages on the ACI CPTS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .calendar import ContractYear
from .errors import InvalidInput
from .money import ZERO, apply_ratio, euros, euros_fr, fraction_text
from .parameters import ParameterTree, default_tree


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settles a year: ``kind`` is ``balance`` (paid to the community) or ``recovery``
    (owed by it, a negative amount)."""

    kind: str
    amount: Decimal
    total: Decimal
    advanced: Decimal
    reference: str
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "amount": euros(self.amount),
            "total": euros(self.total),
            "advanced": euros(self.advanced),
            "reference": self.reference,
            "explanation": self.explanation,
        }


def settle_year(
    total: Decimal, advanced: Decimal, day: dt.date, tree: ParameterTree | None = None
) -> Settlement:
    """The balance of a year whose final total is ``total`` and for which ``advanced`` was paid;
    negative, a recovery (contrat type art. 6.1 and 6.2; ``payment.negative_balance_recovered``)."""
    tree = tree or default_tree()
    amount = total - advanced
    parameter = tree.at("payment.negative_balance_recovered", day)
    if amount >= ZERO:
        return Settlement(
            "balance",
            amount,
            total,
            advanced,
            parameter.reference_text,
            f"Total définitif {euros_fr(total)} − versé {euros_fr(advanced)} = solde {euros_fr(amount)}.",
        )
    if not parameter.boolean():  # pragma: no cover - no text says otherwise today
        raise InvalidInput(
            "balance", "negative", "Le total définitif est inférieur aux avances versées."
        )
    return Settlement(
        "recovery",
        amount,
        total,
        advanced,
        parameter.reference_text,
        f"Total définitif {euros_fr(total)} − versé {euros_fr(advanced)} = {euros_fr(amount)} : "
        f"{euros_fr(-amount)} à recouvrer auprès de la CPTS ({parameter.path}).",
    )


@dataclass(frozen=True, slots=True)
class TerminationRecovery:
    """Sums to pay back when the contract is terminated during ``year``."""

    amount: Decimal  # negative: owed by the community
    advanced: Decimal
    later: Decimal  # paid for the contract years after the one of the termination
    ratio: Fraction
    terminated_on: dt.date
    year: ContractYear
    reference: str
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": euros(self.amount),
            "advanced": euros(self.advanced),
            "later": euros(self.later),
            "ratio": fraction_text(self.ratio),
            "terminated_on": self.terminated_on.isoformat(),
            "contract_year": self.year.number,
            "year_start": self.year.start.isoformat(),
            "year_end": self.year.last_day.isoformat(),
            "reference": self.reference,
            "explanation": self.explanation,
        }


def termination_recovery(
    advanced: Decimal,
    year: ContractYear,
    terminated_on: dt.date,
    tree: ParameterTree | None = None,
    later: Decimal = ZERO,
) -> TerminationRecovery:
    """Advances of ``year`` paid back pro rata of the time left after ``terminated_on``, and
    everything paid for the years after it (``later``: a termination recorded late) in full (ARS
    pages on the ACI CPTS; ``payment.termination_recovery_pro_rata``)."""
    tree = tree or default_tree()
    if terminated_on not in year:
        raise InvalidInput(
            "terminated_on",
            "in_year",
            f"La résiliation du {terminated_on:%d/%m/%Y} n'est pas dans l'année contractuelle "
            f"{year.number} ({year.start:%d/%m/%Y} – {year.last_day:%d/%m/%Y}).",
        )
    if advanced < ZERO or later < ZERO:
        raise InvalidInput("advanced", "non_negative", "Les avances ne peuvent être négatives.")
    parameter = tree.at("payment.termination_recovery_pro_rata", terminated_on)
    left = (year.end - terminated_on).days
    ratio = Fraction(left, year.days) if parameter.boolean() else Fraction(1)
    amount = -apply_ratio(advanced, ratio) - later
    after = (
        f" Versé pour les années suivantes, reversé en totalité : {euros_fr(later)}."
        if later
        else ""
    )
    return TerminationRecovery(
        amount=amount,
        advanced=advanced,
        later=later,
        ratio=ratio,
        terminated_on=terminated_on,
        year=year,
        reference=parameter.reference_text,
        explanation=(
            f"Avances de l'année {year.number} : {euros_fr(advanced)} × {left} jours restants / "
            f"{year.days} jours = {euros_fr(apply_ratio(advanced, ratio))} à reverser "
            f"({parameter.path}).{after} Total à reverser : {euros_fr(-amount)}."
        ),
    )
