"""How much of a mission's variable part is reached: a plain ratio, or the contract's indicators.

Real contracts pay the variable part indicator by indicator (ACI art. 8; the indicator annex of
each contract). Three kinds exist:

* :class:`TargetIndicator` — a measured value against an objective, either proportional (the share
  of the objective reached, capped at 1) or all or nothing;
* :class:`GradedIndicator` — tiers such as « socle / intermédiaire / objectif », each paying an
  amount; the best tier reached pays;
* :class:`DoneIndicator` — an action done or not (proved by deliverables).

Each indicator has a weight (for graded ones: the amount of the top tier). The mission's achievement
is the weighted mean of the indicators' achievements, an exact fraction; when the weights are the
amounts written in the contract, the variable part paid is exactly the sum of the amounts reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .errors import InvalidInput


def _fraction(value: Decimal | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


@dataclass(frozen=True, slots=True)
class TargetIndicator:
    measured: Decimal
    objective: Decimal
    weight: Decimal = Decimal(1)
    lower_is_better: bool = False
    all_or_nothing: bool = False
    label: str = ""

    def achievement(self, where: str) -> Fraction:
        measured, objective = _fraction(self.measured), _fraction(self.objective)
        if measured < 0 or objective < 0:
            raise InvalidInput(
                where, "indicator.non_negative", "Valeur mesurée et objectif doivent être positifs."
            )
        if self.lower_is_better:
            met = measured <= objective
            if met or self.all_or_nothing:
                return Fraction(int(met))
            return objective / measured
        met = measured >= objective
        if met or self.all_or_nothing:
            return Fraction(int(met))
        return measured / objective


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Decimal
    amount: Decimal
    label: str = ""


@dataclass(frozen=True, slots=True)
class GradedIndicator:
    measured: Decimal
    tiers: tuple[Tier, ...]
    lower_is_better: bool = False
    label: str = ""

    @property
    def weight(self) -> Decimal:
        return max((tier.amount for tier in self.tiers), default=Decimal(0))

    def reached(self) -> Tier | None:
        """The best tier whose threshold the measured value meets."""
        met = [
            tier
            for tier in self.tiers
            if (
                self.measured <= tier.threshold
                if self.lower_is_better
                else self.measured >= tier.threshold
            )
        ]
        return max(met, key=lambda tier: tier.amount, default=None)

    def achievement(self, where: str) -> Fraction:
        if not self.tiers or any(tier.amount < 0 for tier in self.tiers):
            raise InvalidInput(
                where, "indicator.tiers", "Un indicateur gradué a des paliers de montant positif."
            )
        top = self.weight
        tier = self.reached()
        if tier is None or top == 0:
            return Fraction(0)
        return _fraction(tier.amount) / _fraction(top)


@dataclass(frozen=True, slots=True)
class DoneIndicator:
    done: bool
    weight: Decimal = Decimal(1)
    label: str = ""

    def achievement(self, where: str) -> Fraction:
        return Fraction(int(self.done))


Indicator = TargetIndicator | GradedIndicator | DoneIndicator


@dataclass(frozen=True, slots=True)
class Achievement:
    """A mission's achievement: a plain ratio in [0, 1], or indicators (which take precedence)."""

    ratio: Fraction = Fraction(1)
    indicators: tuple[Indicator, ...] = field(default=())

    @classmethod
    def of(cls, value: Decimal | Fraction | int | str | Sequence[Indicator]) -> Achievement:
        if isinstance(value, (list, tuple)):
            return cls(indicators=tuple(value))
        if isinstance(value, str):
            value = Decimal(value)
        assert isinstance(value, (Decimal, Fraction, int))
        return cls(ratio=_fraction(value))

    def value(self, where: str) -> Fraction:
        """The achievement as an exact fraction in [0, 1]; an error names ``where`` otherwise."""
        if not self.indicators:
            if not 0 <= self.ratio <= 1:
                raise InvalidInput(
                    where,
                    "achievement.between_0_and_1",
                    f"L'atteinte des objectifs doit être comprise entre 0 et 1 (reçu : {float(self.ratio):g}).",
                )
            return self.ratio
        total_weight = Fraction(0)
        reached = Fraction(0)
        for index, indicator in enumerate(self.indicators):
            here = f"{where}.indicators[{index}]"
            weight = _fraction(indicator.weight)
            if weight < 0:
                raise InvalidInput(
                    here, "indicator.weight_non_negative", "Le poids d'un indicateur est positif."
                )
            total_weight += weight
            reached += weight * indicator.achievement(here)
        if total_weight == 0:
            raise InvalidInput(
                where, "indicator.weights_not_all_zero", "Les poids des indicateurs sont tous nuls."
            )
        return reached / total_weight
