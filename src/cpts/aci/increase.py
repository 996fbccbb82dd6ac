"""The increase of the largest communities (avenant 2, art. 4): communities of the size class
``increase.size_class`` with at least ``increase.minimum_members`` members get ``increase.rate``
more on all their missions, never on the additional functioning (nor on the functioning, unless
``increase.applies_to_functioning``).

The increase is produced here, once: :func:`apply_increase` rounds the year's increase once on
the amounts it applies to and gives each of those lines its share to the cent
(:meth:`Increase.share`); the shares add up to the year's line ``size4_increase`` and, as its
detail, to one line per mission (``<mission>.increase``, :meth:`Increase.mission_lines`).
Everything else — the payment schedule, the grid's maximum, the annex — adds these shares up
and never applies the rate again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .functioning import ADDITIONAL_FUNCTIONING, FUNCTIONING
from .lines import RATE_UNIT, Factor, Line
from .missions import Mission, mission_label
from .money import ZERO, percent_fr
from .parameters import ParameterTree, ParameterValue

# Stable line code (public: CLI, API, stored explanations of payments): the year's increase.
INCREASE = "size4_increase"
#: The code of a mission's share of the increase: ``access.increase``.
MISSION_INCREASE = "{}.increase"
BASE = "assiette"


@dataclass(frozen=True, slots=True)
class IncreaseRule:
    """The increase as it applies to one community in one contract year."""

    rate: ParameterValue
    size_class: int
    minimum_members: int
    members: int
    applies_to_functioning: bool
    #: The short label of the ``increase`` node: « Majoration ».
    name: str
    #: The rate, as a decimal and as an exact fraction.
    value: Decimal
    ratio: Fraction
    #: The label of the year's increase, from the parameters: their name, rate, size class and
    #: minimum number of members.
    label: str

    @property
    def excluded(self) -> frozenset[str]:
        """The lines never increased: the additional functioning, and the functioning unless
        the parameters say otherwise; every mission line is (avenant 2, art. 4)."""
        if self.applies_to_functioning:
            return frozenset({ADDITIONAL_FUNCTIONING})
        return frozenset({ADDITIONAL_FUNCTIONING, FUNCTIONING})


def increase_rule(
    size_value: int, members: int, day: dt.date, tree: ParameterTree
) -> IncreaseRule | None:
    """The increase due to a community of size class ``size_value`` with ``members`` members in
    a contract year that starts on ``day``, or None (avenant 2, art. 4; none in the 2019 grid)."""
    rate = tree.maybe_at("increase.rate", day)
    if rate is None:
        return None
    size = tree.at("increase.size_class", day).integer()
    minimum = tree.at("increase.minimum_members", day).integer()
    if size_value != size or members < minimum:
        return None
    name = tree.label("increase")
    return IncreaseRule(
        rate=rate,
        size_class=size,
        minimum_members=minimum,
        members=members,
        applies_to_functioning=tree.at("increase.applies_to_functioning", day).boolean(),
        name=name,
        value=rate.decimal(),
        ratio=Fraction(rate.decimal()),
        label=f"{name} de {percent_fr(rate.decimal())} (taille {size}, au moins {minimum} membres)",
    )


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class Increase:
    """The year's increase: its line ``size4_increase``, and the share of it of each line it
    applies to (by line code), which add up to it."""

    rule: IncreaseRule
    line: Line
    #: Each increased line's share, in cents, by line code.
    cents: Mapping[str, int] = field(compare=False)
    tree: ParameterTree = field(compare=False, repr=False)

    def share(self, code: str) -> Decimal:
        """The share of the increase of the line ``code`` (zero for a line not increased)."""
        cents = self.cents.get(code)
        return ZERO if cents is None else Decimal(cents).scaleb(-2)

    def mission_lines(self, lines: Sequence[Line]) -> tuple[Line, ...]:
        """The detail of the year's increase: one line per mission (``<mission>.increase``), the
        shares of its lines added up."""
        rule, tree = self.rule, self.tree
        numerator, denominator = rule.ratio.numerator, rule.ratio.denominator
        groups: dict[str, list[Line]] = {}
        for line in lines:
            if line.code in self.cents:
                groups.setdefault(line.code.split(".", 1)[0], []).append(line)
        out = []
        for head, group in groups.items():
            base = sum(int(line.amount.scaleb(2)) for line in group)
            amount = sum(self.cents[line.code] for line in group)
            if head in Mission._value2member_map_:
                name = mission_label(Mission(head), tree)
            else:  # the functioning, where the parameters increase it
                name = group[0].label
            out.append(
                _rate_line(
                    MISSION_INCREASE.format(head),
                    f"{rule.name} : {name}",
                    rule,
                    self.line.grid,
                    base,
                    " + ".join(line.code for line in group),
                    amount,
                    note=ROUNDING_NOTE if amount != _half_up(base * numerator, denominator) else "",
                )
            )
        return tuple(out)


def apply_increase(
    lines: Sequence[Line], rule: IncreaseRule, grid: str, tree: ParameterTree
) -> Increase:
    """The year's increase (avenant 2, art. 4): its line ``size4_increase`` and each increased
    line's share of it.

    The year's increase is the rate of the sum of the lines it applies to, rounded once to the
    cent. Each line's share is its exact share rounded down; the cents left go to the largest
    remainders (ties: the first line). Computed in whole cents.
    """
    numerator, denominator = rule.ratio.numerator, rule.ratio.denominator
    excluded = rule.excluded
    increased = [line for line in lines if line.code not in excluded]
    cents = [int(line.amount.scaleb(2)) for line in increased]
    split = [divmod(cent * numerator, denominator) for cent in cents]
    shares = [whole for whole, _ in split]
    left = _half_up(sum(cents) * numerator, denominator) - sum(shares)
    if left:
        by_remainder = sorted(range(len(split)), key=lambda i: (-split[i][1], i))
        for position in by_remainder[:left]:
            shares[position] += 1
    line = _rate_line(
        INCREASE,
        rule.label,
        rule,
        grid,
        sum(cents),
        ", ".join(line.code for line in increased)
        + f" ; {rule.members} membres (minimum {rule.minimum_members})",
        sum(shares),
    )
    by_code = {line.code: share for line, share in zip(increased, shares, strict=True)}
    return Increase(rule, line, by_code, tree)


ROUNDING_NOTE = (
    "Au centime près : la majoration de l'année est arrondie une fois, sur toutes les lignes, "
    "puis répartie entre elles."
)


def _rate_line(
    code: str,
    label: str,
    rule: IncreaseRule,
    grid: str,
    base_cents: int,
    detail: str,
    amount_cents: int,
    note: str = "",
) -> Line:
    rate = rule.rate
    return Line(
        code=code,
        label=label,
        amount=Decimal(amount_cents).scaleb(-2),
        parameter=rate.path,
        value=rule.value,
        grid=grid,
        effective_from=rate.effective_from,
        references=rate.references,
        confidence=rate.confidence,
        factors=(Factor(BASE, Fraction(base_cents, 100), detail),),
        note=note,
        unit=RATE_UNIT,
    )
