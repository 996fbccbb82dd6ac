"""The increase of the largest communities (avenant 2, art. 4): communities of the size class
``increase.size_class`` with at least ``increase.minimum_members`` members get ``increase.rate``
more on all their missions, never on the additional functioning (nor on the functioning, unless
``increase.applies_to_functioning``).

The increase is produced here, once: :func:`apply_increase` rounds the year's increase once on
the amounts it applies to, gives each of those lines its share to the cent (:attr:`Line.increase`)
and returns one line per mission (``<mission>.increase``), added up in the year's line
``size4_increase``. Everything else — the payment schedule, the grid's maximum, the annex — adds
these shares up and never applies the rate again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from .functioning import ADDITIONAL_FUNCTIONING, FUNCTIONING
from .lines import RATE_UNIT, Factor, Line
from .missions import Mission, mission_label
from .money import CENT, ZERO, apply_ratio, euros_fr, percent_fr
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

    @property
    def label(self) -> str:
        """The label of the year's increase, from the parameters: their name, rate, size class
        and minimum number of members."""
        return (
            f"{self.name} de {percent_fr(self.rate.decimal())} (taille {self.size_class}, "
            f"au moins {self.minimum_members} membres)"
        )


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
    return IncreaseRule(
        rate=rate,
        size_class=size,
        minimum_members=minimum,
        members=members,
        applies_to_functioning=tree.at("increase.applies_to_functioning", day).boolean(),
        name=tree.label("increase"),
    )


def is_increased(line: Line, rule: IncreaseRule) -> bool:
    """Every mission line; the functioning only if the parameter says so; never the additional
    functioning (avenant 2, art. 4)."""
    if line.code == ADDITIONAL_FUNCTIONING:
        return False
    if line.code == FUNCTIONING:
        return rule.applies_to_functioning
    return True


def _shares(amounts: Sequence[Decimal], rate: Fraction) -> list[Decimal]:
    """``rate`` of each amount, to the cent, adding up to ``rate`` of their sum rounded once.

    Each share is its exact value rounded down, and the cents left by rounding the sum go to the
    largest remainders (ties: the first line).
    """
    exact = [Fraction(amount / CENT) * rate for amount in amounts]
    total = int(apply_ratio(sum(amounts, ZERO), rate) / CENT)
    cents = [share.numerator // share.denominator for share in exact]
    left = total - sum(cents)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - cents[i]), i))
    for index in by_remainder[:left]:
        cents[index] += 1
    return [Decimal(cent) * CENT for cent in cents]


def apply_increase(
    lines: Sequence[Line], rule: IncreaseRule, grid: str, tree: ParameterTree
) -> list[Line]:
    """The lines with their shares of the increase, followed by the year's ``size4_increase``
    line, whose parts are one line per mission (avenant 2, art. 4)."""
    rate = Fraction(rule.rate.decimal())
    increased = [index for index, line in enumerate(lines) if is_increased(line, rule)]
    shares = _shares([lines[index].amount for index in increased], rate)
    out = list(lines)
    for index, share in zip(increased, shares, strict=True):
        out[index] = replace(lines[index], increase=share)
    groups: dict[str, list[Line]] = {}
    for index in increased:
        groups.setdefault(out[index].code.split(".", 1)[0], []).append(out[index])
    parts = tuple(_increase_line(head, group, rule, grid, tree) for head, group in groups.items())
    base = sum((out[index].amount for index in increased), ZERO)
    out.append(
        _rate_line(
            INCREASE,
            rule.label,
            rule,
            grid,
            base,
            ", ".join(out[index].code for index in increased)
            + f" ; {rule.members} membres (minimum {rule.minimum_members})",
            sum((part.amount for part in parts), ZERO),
            parts=parts,
        )
    )
    return out


def _increase_line(
    head: str, group: Sequence[Line], rule: IncreaseRule, grid: str, tree: ParameterTree
) -> Line:
    """One mission's share of the increase: the shares of its lines added up."""
    if head in Mission._value2member_map_:
        name = mission_label(Mission(head), tree)
    else:  # the functioning, where the parameters increase it
        name = group[0].label
    base = sum((line.amount for line in group), ZERO)
    amount = sum((line.increase for line in group), ZERO)
    note = ""
    if amount != apply_ratio(base, Fraction(rule.rate.decimal())):
        note = (
            "Au centime près : la majoration de l'année est arrondie une fois, sur toutes les "
            "lignes, puis répartie entre elles."
        )
    return _rate_line(
        MISSION_INCREASE.format(head),
        f"{rule.name} : {name}",
        rule,
        grid,
        base,
        " + ".join(f"{line.code} {euros_fr(line.amount)}" for line in group),
        amount,
        note=note,
    )


def _rate_line(
    code: str,
    label: str,
    rule: IncreaseRule,
    grid: str,
    base: Decimal,
    detail: str,
    amount: Decimal,
    note: str = "",
    parts: tuple[Line, ...] = (),
) -> Line:
    rate = rule.rate
    return Line(
        code=code,
        label=label,
        amount=amount,
        parameter=rate.path,
        value=rate.decimal(),
        grid=grid,
        effective_from=rate.effective_from,
        references=rate.references,
        confidence=rate.confidence,
        factors=(Factor(BASE, Fraction(base), detail),),
        note=note,
        unit=RATE_UNIT,
        parts=parts,
    )
