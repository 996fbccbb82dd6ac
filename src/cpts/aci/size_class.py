"""Size class (taille 1 to 4) of a community, from the population of its territory (ACI art. 8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import InvalidInput
from .parameters import ParameterTree, ParameterValue, default_tree

SIZE_CLASSES = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class SizeClass:
    """The size class and the thresholds that decided it."""

    value: int
    population: int
    thresholds: tuple[ParameterValue, ...]

    @property
    def key(self) -> str:
        """The key of this size in node parameters (``size_3``)."""
        return f"size_{self.value}"

    def explanation(self) -> str:
        bounds = ", ".join(
            f"{threshold.decimal():,.0f}".replace(",", " ") for threshold in self.thresholds
        )
        return (
            f"Taille {self.value} : population de {self.population:,} habitants".replace(",", " ")
            + f" (seuils {bounds} habitants ; {self.thresholds[0].reference_text})"
        )


def size_class(population: int, day: dt.date, tree: ParameterTree | None = None) -> SizeClass:
    """The size class of a territory of ``population`` inhabitants under the rules in force on ``day``
    (ACI art. 8).

    A population exactly at a threshold goes to the class above or below as the parameter
    ``size_class.threshold_in_upper_class`` says (documented in ``docs/rules.md``).
    """
    tree = tree or default_tree()
    if isinstance(population, bool) or not isinstance(population, int):
        raise InvalidInput(
            "population", "population.integer", "La population est un nombre entier d'habitants."
        )
    if population < 0:
        raise InvalidInput(
            "population",
            "population.non_negative",
            f"La population ne peut pas être négative (reçu : {population}).",
        )
    value = 1
    thresholds = []
    for size in SIZE_CLASSES[1:]:
        threshold = tree.at(f"size_class.thresholds.size_{size}", day)
        upper = tree.at(f"size_class.threshold_in_upper_class.size_{size}", day).boolean()
        thresholds.append(threshold)
        bound = threshold.integer()
        if population > bound or (population == bound and upper):
            value = size
    return SizeClass(value=value, population=population, thresholds=tuple(thresholds))
