"""Hostile review of issue 18: the SAS indicator of the annex, as an auditor reads it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cpts.contracts import measures, services
from cpts.contracts.models import Contract
from cpts.core.errors import RuleError
from tests.unscheduled_care.test_indicator import records

pytestmark = pytest.mark.django_db
__all__ = ["records"]


def test_a_year_after_the_contracts_termination_is_not_filled_from_the_sas(
    records: dict[str, Any],
) -> None:
    """Year 2 starts on 15/01/2024; the contract terminated on 01/06/2023: there is no year 2,
    so no count of requests is written into its annex (the claims' fill refuses it too)."""
    contract = records["contract"]
    indicator = services.add_indicator(
        contract,
        2,
        records["cpam"],
        {
            "mission": "access",
            "action": "Soins non programmés",
            "kind": "target",
            "label": "Demandes du SAS ayant abouti à un rendez-vous",
            "amount": Decimal(1000),
            "objective": Decimal(2),
            "computed_code": "sas_appointments",
            "computed_measure": "number",
        },
    )
    Contract.objects.filter(pk=contract.pk).update(
        terminated_on=dt.date(2023, 6, 1), termination_reason="dissolution"
    )
    contract.refresh_from_db()
    with pytest.raises(RuleError, match=r"prend fin le 01/06/2023 : l'année contractuelle 2"):
        measures.fill_sas_values(contract, 2, records["cpam"])
    indicator.refresh_from_db()
    assert indicator.measured_value is None
