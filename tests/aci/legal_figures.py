"""Find the legal figures of the parameter files written in the engine's code, numbers and strings.

A figure written in Python would lie after a change of the parameters: the amounts, thresholds,
rates and durations of the grid live only in ``src/cpts/aci/parameters/``.

* A number constant is a figure of the grid when it is one of its values (small integers up to
  twelve excepted: a count of months or a size class cannot be told apart from ordinary code).
* In a string (docstrings and f-strings included), a number is a figure of the grid when it is one
  of its values and either large (above twelve, or not whole) or followed by a unit — « 12 mois »,
  « five years », « 10 % » (read as 0.10), « 100 membres ». Numbers written in words count too
  (« douze mois », « twelve months »).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cpts.aci.parameters import ParameterTree

WORDS = {
    # French
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "dix-huit": 18,
    "vingt-quatre": 24, "cent": 100,
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
    "hundred": 100,
}  # fmt: skip
UNITS = (
    r"%|pour\s?cent|per\s?cent|mois|months?|ans?|années?|years?|jours?|days?|membres?|members?|"
    r"habitants?|inhabitants?|€|euros?"
)
# A number as people write it: 175 000, 175_000, 0,75, 0.75, 56250.
NUMBER = r"\d{1,3}(?:[ \u00a0\u202f_]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
NUMBER_IN_TEXT = re.compile(
    rf"(?<![\w.,])(?P<number>{NUMBER}|{'|'.join(sorted(WORDS, key=len, reverse=True))})"
    rf"(?![\w]|[.,]\d)(?P<unit>[ \u00a0\u202f-]?(?:{UNITS})(?!\w))?",
    re.IGNORECASE,
)


def legal_figures(tree: ParameterTree) -> set[Decimal]:
    """Every numeric value of the parameter files."""
    figures = set()
    for parameter in tree:
        for value in parameter.values:
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                figures.add(Decimal(value))
    return figures


def _small(number: Decimal) -> bool:
    return number <= 12 and number == number.to_integral_value()


def _read(text: str) -> Decimal | None:
    word = WORDS.get(text.lower())
    if word is not None:
        return Decimal(word)
    try:
        return Decimal(re.sub(r"[ \u00a0\u202f_]", "", text).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return None


def figures_in_text(text: str, figures: set[Decimal]) -> list[str]:
    """The figures of the grid written in ``text``."""
    found = []
    for match in NUMBER_IN_TEXT.finditer(text):
        number = _read(match["number"])
        if number is None:
            continue
        unit = (match["unit"] or "").strip(" \u00a0\u202f-").lower()
        if unit in ("%", "pour cent", "pourcent", "per cent", "percent"):
            candidates = {number / 100}
        elif unit:
            candidates = {number}
        elif match["number"].isalpha() or _small(number):
            continue  # « un », « 2 » alone: ordinary words and counts
        else:
            candidates = {number}
        if candidates & figures:
            found.append(match.group(0))
    return found


def _docstring_nodes(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def figures_in_code(files: Iterable[Path], figures: set[Decimal]) -> list[str]:
    """``file:line: text`` for each figure of the grid written in the code of ``files``."""
    offenders = []
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
                continue
            if isinstance(node.value, (int, float)):
                number = Decimal(str(node.value))
                # 100 turns a rate into a percentage for display: not a figure of the grid.
                if number in figures and not _small(number) and number != 100:
                    offenders.append(f"{file.name}:{node.lineno}: {node.value!r}")
            elif isinstance(node.value, str):
                for text in figures_in_text(node.value, figures):
                    offenders.append(f"{file.name}:{node.lineno}: {text!r}")
    return offenders
