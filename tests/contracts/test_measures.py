"""Measured values of the annex filled from the claims: provenance, the CPAM's decision after,
a changed value sent back to it, a closed evaluation refused, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cpts.accounts.access import Action, can
from cpts.accounts.models import Role
from cpts.contracts import measures, services
from cpts.contracts.models import Indicator
from cpts.indicators.models import Computation
from tests.indicators.claims_data import YEAR_1, write_table

pytestmark = pytest.mark.django_db


def test_filling_takes_the_values_and_their_provenance(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    filled = measures.fill_measured_values(
        computable["contract"], 1, computable["cpam"], claims_dir
    )
    rate = Indicator.objects.get(pk=computable["rate"].pk)
    patients = Indicator.objects.get(pk=computable["patients"].pk)
    assert rate.measured_value == Decimal("50.00")  # 1 / 2 as a percentage
    assert patients.measured_value == Decimal(3)  # the number of consumers
    assert (rate.computed_start, rate.computed_end) == YEAR_1
    assert rate.computed_engine == "duckdb"
    assert rate.computed_by == computable["cpam"]
    assert rate.computed_at == filled.stored.community.computed_at
    assert rate.computed_result is not None
    assert rate.computed_result.code == "patients_16_with_gp"
    assert rate.history.first().history_user == computable["cpam"]
    assert len(filled.changed) == 2
    # the CPAM still decides, and the year's projection uses the values
    services.decide_indicator(rate, computable["cpam"], True, "", dt.date(2024, 2, 1))
    services.decide_indicator(
        patients, computable["cpam"], False, "Données incomplètes", dt.date(2024, 2, 1)
    )
    assert Indicator.objects.get(pk=rate.pk).verdict == Indicator.Verdict.ACCEPTED


def test_an_unchanged_value_keeps_the_decision_a_changed_one_goes_back(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    contract, cpam = computable["contract"], computable["cpam"]
    measures.fill_measured_values(contract, 1, cpam, claims_dir)
    for item in Indicator.objects.filter(contract=contract):
        services.decide_indicator(item, cpam, True, "", dt.date(2024, 2, 1))
    filled = measures.fill_measured_values(contract, 1, computable["coordinator"], claims_dir)
    assert filled.changed == []
    assert len(filled.unchanged) == 2
    assert set(Indicator.objects.values_list("verdict", flat=True)) == {"accepted"}
    # a beneficiary of Lille more in the claims: both values change, both go back to the CPAM
    write_table(
        claims_dir,
        "IR_BEN_R",
        [
            *_rows(claims_dir, "IR_BEN_R"),
            {
                "BEN_NIR_PSA": "B7",
                "BEN_RNG_GEM": 1,
                "BEN_NAI_ANN": 1990,
                "BEN_DCD_DTE": dt.date(1600, 1, 1),
                "BEN_RES_DPT": "059",
                "BEN_RES_COM": "350",
            },
        ],
    )
    acts = _rows(claims_dir, "ER_PRS_F")
    write_table(claims_dir, "ER_PRS_F", [*acts, {**acts[0], "BEN_NIR_PSA": "B7"}])
    filled = measures.fill_measured_values(contract, 1, computable["coordinator"], claims_dir)
    assert len(filled.changed) == 2
    rate = Indicator.objects.get(pk=computable["rate"].pk)
    assert rate.measured_value == Decimal("33.33")  # 1 / 3
    assert rate.verdict == Indicator.Verdict.PENDING
    assert rate.decided_by is None
    assert "à décider par la CPAM : 2" in filled.summary()


def _rows(folder: Path, name: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(folder / name).to_pylist()  # type: ignore[no-any-return]


def test_a_closed_evaluation_is_refused(computable: dict[str, Any], claims_dir: Path) -> None:
    contract, cpam = computable["contract"], computable["cpam"]
    for item in Indicator.objects.filter(contract=contract):
        services.decide_indicator(item, cpam, False, "Non mesuré", dt.date(2024, 2, 1))
    services.close_evaluation(contract, 1, cpam, dt.date(2024, 2, 15))
    with pytest.raises(services.RuleError, match="close"):
        measures.fill_measured_values(contract, 1, cpam, claims_dir)
    assert not Computation.objects.exists()


def test_a_failure_halfway_stores_nothing(computable: dict[str, Any], claims_dir: Path) -> None:
    """A binding left by an older version (an indicator no longer defined) fails once the three
    computations are stored: they are rolled back with the values."""
    Indicator.objects.filter(pk=computable["rate"].pk).update(computed_code="retired_indicator")
    with pytest.raises(services.RuleError, match="retired_indicator"):
        measures.fill_measured_values(computable["contract"], 1, computable["cpam"], claims_dir)
    assert not Computation.objects.exists()
    assert Indicator.objects.get(pk=computable["patients"].pk).measured_value is None


def test_nothing_bound_a_future_year_a_missing_folder(
    computable: dict[str, Any], claims_dir: Path, tmp_path: Path
) -> None:
    contract, cpam = computable["contract"], computable["cpam"]
    with pytest.raises(services.RuleError, match="Aucun indicateur"):
        measures.fill_measured_values(contract, 2, cpam, claims_dir)
    with pytest.raises(services.RuleError, match="va de 1 à 5"):
        measures.fill_measured_values(contract, 9, cpam, claims_dir)
    with pytest.raises(services.RuleError, match="introuvables"):
        measures.fill_measured_values(contract, 1, cpam, tmp_path / "nowhere")
    with pytest.raises(services.RuleError, match="Moteur"):
        measures.fill_measured_values(contract, 1, cpam, claims_dir, engine="excel")
    assert not Computation.objects.exists()


def test_binding_is_checked_and_a_typed_value_loses_its_provenance(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    rate, coordinator = computable["rate"], computable["coordinator"]
    with pytest.raises(services.RuleError, match="inconnu"):
        measures.bind_indicator(rate, coordinator, "nonsense", "percent")
    with pytest.raises(services.RuleError, match="en nombre"):
        measures.bind_indicator(rate, coordinator, "consumers", "percent")
    measures.fill_measured_values(computable["contract"], 1, coordinator, claims_dir)
    rate.refresh_from_db()
    assert rate.is_computed
    services.record_indicator(rate, coordinator, Decimal("61.00"), False, "saisie")
    rate.refresh_from_db()
    assert not rate.is_computed
    assert rate.computed_code == "patients_16_with_gp"
    measures.bind_indicator(rate, coordinator, "", "")
    rate.refresh_from_db()
    assert (rate.computed_code, rate.computed_measure) == ("", "")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("coordinator", True),
        ("cpam", True),
        ("admin", True),
        ("ars", False),
        ("national", False),
        ("facilitator", False),
    ],
)
def test_who_may_compute(computable: dict[str, Any], who: str, allowed: bool) -> None:
    assert can(computable[who], Action.COMPUTE, computable["nord"]) is allowed


def test_other_communities_and_regions_may_not_compute(
    computable: dict[str, Any], make_user: Any, claims_dir: Path
) -> None:
    other_coordinator = make_user(
        "coord62", Role.COORDINATOR, community=computable["pas_de_calais"]
    )
    other_cpam = make_user("cpam31", Role.CPAM, departements=["31"])
    for user in (other_coordinator, other_cpam, computable["facilitator"]):
        with pytest.raises(Http404):
            measures.fill_measured_values(computable["contract"], 1, user, claims_dir)
    for user in (computable["ars"], computable["national"]):
        with pytest.raises(PermissionDenied):
            measures.fill_measured_values(computable["contract"], 1, user, claims_dir)
    assert not Computation.objects.exists()
