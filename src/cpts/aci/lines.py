"""A line of a contract year: one amount, and everything that explains it.

Each line says which parameter, value, grid version and text produced it, and the factors applied
(pro rata temporis, achievement of the objectives, declared crisis). A line's share of the size-4
increase is kept by the year's result (:meth:`~.financing.ContractYearResult.increase_on`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .money import ONE, apply_ratio, euros, euros_fr, fraction_text, percent_fr
from .parameters import ParameterTree, ParameterValue, Reference

RATE_UNIT = "/1"


@lru_cache(maxsize=1024)
def reference_text(references: tuple[Reference, ...]) -> str:
    """The titles of the references, as one text (a few tuples, shared by every line)."""
    return " ; ".join(reference.title for reference in references)


@dataclass(frozen=True, slots=True)
class Factor:
    """A factor applied to a parameter's value: pro rata temporis, achievement, crisis.

    On a line whose value is a rate (the increase), the factor is its base: ``ratio`` is then the
    amount in euros the rate applies to.
    """

    name: str
    ratio: Fraction
    detail: str


@dataclass(frozen=True, slots=True)
class Line:
    """One amount of the contract year, and why."""

    code: str
    label: str
    amount: Decimal
    parameter: str
    value: Decimal
    grid: str
    effective_from: dt.date
    references: tuple[Reference, ...]
    confidence: str
    factors: tuple[Factor, ...] = ()
    note: str = ""
    #: For the crisis variable part: the declared crisis that triggered the payment.
    crisis_declared: dt.date | None = None
    #: The unit of ``value`` (``/1`` for a rate, else euros).
    unit: str | None = None

    @property
    def reference(self) -> str:
        return reference_text(self.references)

    def explanation(self) -> str:
        """The computation in words: value, source, factors, result."""
        if self.unit == RATE_UNIT:
            parts = [f"{percent_fr(self.value)} ({self.parameter}, grille {self.grid})"]
            parts += [
                f"{euros_fr(Decimal(factor.ratio.numerator) / factor.ratio.denominator)} "
                f"({factor.detail})"
                for factor in self.factors
            ]
        else:
            parts = [f"{euros_fr(self.value)} ({self.parameter}, grille {self.grid})"]
            parts += [
                f"{factor.name} {fraction_text(factor.ratio)} ({factor.detail})"
                for factor in self.factors
            ]
        text = " × ".join(parts) + f" = {euros_fr(self.amount)}"
        return f"{text}. {self.note}" if self.note else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "amount": euros(self.amount),
            "parameter": self.parameter,
            "value": str(self.value),
            "grid": self.grid,
            "effective_from": self.effective_from.isoformat(),
            "reference": self.reference,
            "references": [{"title": ref.title, "href": ref.href} for ref in self.references],
            "confidence": self.confidence,
            "factors": [
                {"name": factor.name, "ratio": fraction_text(factor.ratio), "detail": factor.detail}
                for factor in self.factors
            ],
            "note": self.note,
            "explanation": self.explanation(),
        }


def readable_explanation(
    line: Mapping[str, Any], labels: Mapping[str, str], tree: ParameterTree
) -> str:
    """A line's explanation (as :meth:`Line.to_dict` stores it) for a reader of an official
    document: the parameter's French title (:meth:`~.parameters.ParameterTree.title`) instead of
    its path, and each line code of a base (« access.fixed, access.variable ») replaced by that
    line's label from ``labels`` (code -> label). Figures and wording otherwise unchanged."""
    text = str(line["explanation"])
    parameter = str(line.get("parameter") or "")
    if parameter in tree:
        text = text.replace(f"({parameter}, ", f"({tree.title(parameter)}, ")
    codes = sorted(labels, key=len, reverse=True)  # the longest first: « access.fixed »
    if codes:
        pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, codes)) + r")(?![\w.])")
        text = pattern.sub(lambda match: labels[match.group(1)], text)
    return text


def readable_lines(lines: Iterable[Mapping[str, Any]], tree: ParameterTree) -> list[dict[str, Any]]:
    """Lines as :meth:`Line.to_dict` stores them, each with its :func:`readable_explanation`
    (the codes of a base named by the labels of the same lines): what a screen shows."""
    stored = list(lines)
    labels = {str(line["code"]): str(line["label"]) for line in stored if "code" in line}
    return [{**line, "explanation": readable_explanation(line, labels, tree)} for line in stored]


def parameter_line(
    code: str,
    label: str,
    parameter: ParameterValue,
    grid: str,
    factors: Sequence[Factor] = (),
    note: str = "",
) -> Line:
    """A line worth ``parameter``'s value times its factors, rounded once to the cent."""
    ratio = ONE
    for factor in factors:
        if factor.ratio.numerator != factor.ratio.denominator:
            ratio = factor.ratio if ratio is ONE else ratio * factor.ratio
    value = parameter.decimal()
    return Line(
        code=code,
        label=label,
        amount=apply_ratio(value, ratio),
        parameter=parameter.path,
        value=value,
        grid=grid,
        effective_from=parameter.effective_from,
        references=parameter.references,
        confidence=parameter.confidence,
        factors=tuple(factors),
        note=note,
        unit=parameter.unit,
    )
