"""The accélérateur: aid to a project before its contract (avenant 2, art. 5.1 and annex 6).

Eligible: a project constituted as an association, whose letter of intent the ARS validated, that
has not yet adhered to the contract, and that has started actions of a core mission. It commits to
file its health project within ``accelerator.health_project_deadline_months``. The amount depends
on the size class.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .calendar import add_months
from .money import ZERO, euros
from .parameters import ParameterTree, Reference, default_tree
from .size_class import SizeClass, size_class


@dataclass(frozen=True, slots=True)
class AcceleratorResult:
    size: SizeClass
    eligible: bool
    reasons: tuple[str, ...]
    amount: Decimal
    health_project_due: dt.date | None
    parameter: str | None
    references: tuple[Reference, ...]

    @property
    def size_class(self) -> int:
        return self.size.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "population": self.size.population,
            "size_class": self.size_class,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "amount": euros(self.amount),
            "health_project_due": self.health_project_due.isoformat()
            if self.health_project_due
            else None,
            "parameter": self.parameter,
            "reference": " ; ".join(reference.title for reference in self.references),
        }


def accelerator(
    population: int,
    on: dt.date,
    *,
    association: bool = True,
    letter_of_intent_validated: bool = True,
    contract_signed: bool = False,
    core_mission_started: bool = True,
    tree: ParameterTree | None = None,
) -> AcceleratorResult:
    """Eligibility (with every reason), amount and health-project deadline, for aid granted on ``on``."""
    tree = tree or default_tree()
    size = size_class(population, on, tree)
    amount_value = tree.maybe_at(f"accelerator.amount.{size.key}", on)
    reasons = []
    if amount_value is None:
        first = tree.parameter(f"accelerator.amount.{size.key}").at_first()
        reasons.append(
            f"Le dispositif n'existe qu'à partir du {first.effective_from:%d/%m/%Y} "
            f"({first.reference_text})."
        )
    if not association:
        reasons.append("Le projet doit être constitué en association.")
    if not letter_of_intent_validated:
        reasons.append("La lettre d'intention doit avoir été validée par l'ARS.")
    if contract_signed:
        reasons.append("La communauté a déjà adhéré au contrat : l'accélérateur la précède.")
    if not core_mission_started:
        reasons.append("Le projet doit avoir démarré des actions d'une mission socle.")
    eligible = not reasons
    if eligible and amount_value is not None:
        months = tree.at("accelerator.health_project_deadline_months", on).integer()
        return AcceleratorResult(
            size=size,
            eligible=True,
            reasons=(
                "Association, lettre d'intention validée par l'ARS, pas encore de contrat, "
                "mission socle démarrée.",
            ),
            amount=amount_value.decimal().quantize(Decimal("0.01")),
            health_project_due=add_months(on, months),
            parameter=amount_value.path,
            references=amount_value.references,
        )
    return AcceleratorResult(
        size=size,
        eligible=False,
        reasons=tuple(reasons),
        amount=ZERO,
        health_project_due=None,
        parameter=amount_value.path if amount_value else None,
        references=amount_value.references if amount_value else (),
    )
