"""The evaluation holds: a value changed after the CPAM's verdict goes back to it; closing the
evaluation freezes the year's result, which no later change of perimeter, members or parameters
moves (a property checked by Hypothesis)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpts.aci import parameters as aci_parameters
from cpts.communities.models import Member
from cpts.communities.perimeters import set_perimeter
from cpts.communities.signals import members_changed
from cpts.contracts import engine, services
from cpts.contracts.models import Indicator
from cpts.territory.models import Commune

pytestmark = pytest.mark.django_db


def target_indicator(contract: Any) -> Indicator:
    return Indicator.objects.create(
        contract=contract, contract_year=1, mission="access", action="SAS",
        label="Médecins inscrits au SAS", kind="target", objective=Decimal(40),
        amount=Decimal(35000),
    )  # fmt: skip


@pytest.fixture
def accepted(contracted: dict[str, Any]) -> dict[str, Any]:
    """Access started at the signature; one target indicator (40 physicians, 35,000 €) met with
    45 and accepted by the CPAM."""
    contract, cpam = contracted["contract"], contracted["cpam"]
    access = contract.missions.get(mission="access")
    services.record_mission(access, cpam, dt.date(2023, 1, 15), None)
    indicator = target_indicator(contract)
    services.record_indicator(indicator, contracted["coordinator"], Decimal(45), False, "")
    services.decide_indicator(indicator, cpam, True, "", dt.date(2024, 1, 16))
    return {**contracted, "indicator": indicator}


def test_a_value_changed_after_the_verdict_goes_back_to_the_cpam(accepted: dict[str, Any]) -> None:
    """Finding 5: a value changed after the CPAM accepted it kept « accepté »."""
    contract, indicator = accepted["contract"], accepted["indicator"]
    # 75,000 functioning + 90,000 fixed + 35,000 variable (target met)
    assert engine.compute(contract, 1, final=True).total == Decimal("200000.00")
    services.record_indicator(indicator, accepted["coordinator"], Decimal(30), False, "erreur")
    indicator.refresh_from_db()
    assert (indicator.verdict, indicator.decided_by) == ("pending", None)
    assert engine.compute(contract, 1, final=True).total == Decimal("165000.00")
    with pytest.raises(services.RuleError, match="restent"):
        services.close_evaluation(contract, 1, accepted["cpam"], dt.date(2024, 1, 20))


def test_a_deliverable_changed_after_the_verdict_goes_back_to_the_cpam(
    accepted: dict[str, Any],
) -> None:
    indicator = accepted["indicator"]
    deliverable = indicator.deliverables.create(label="Liste des médecins inscrits")
    services.update_deliverable(deliverable, accepted["coordinator"], True)
    indicator.refresh_from_db()
    assert indicator.verdict == "pending"
    assert deliverable.history.latest().history_user == accepted["coordinator"]


def test_closing_freezes_the_year(accepted: dict[str, Any]) -> None:
    contract = accepted["contract"]
    services.close_evaluation(contract, 1, accepted["cpam"], dt.date(2024, 1, 20))
    year = contract.years.get(number=1)
    assert (year.total, year.result["total"]) == (Decimal("200000.00"), "200000.00")
    with pytest.raises(services.RuleError, match="close"):
        services.record_indicator(
            accepted["indicator"], accepted["coordinator"], Decimal(1), False, ""
        )


@pytest.fixture
def shifted_parameters(tmp_path: Path) -> Iterator[Any]:
    """Install a copy of the parameters where the functioning of every size gains a new value
    from ``day`` (``day=None``: the value in force is corrected, retroactively):
    ``install(day, amount)``; the shipped parameters come back afterwards."""
    original = aci_parameters.load_tree
    source = Path(aci_parameters.PARAMETERS_DIR)

    def install(day: dt.date | None, amount: int) -> None:
        target = tmp_path / f"parameters-{day}-{amount}"
        if not target.exists():
            shutil.copytree(source, target)
            file = target / "functioning" / "base.yaml"
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
            for size in ("size_1", "size_2", "size_3", "size_4"):
                values = data[size]["values"]
                values[day or max(values)] = {"value": amount}
            file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        aci_parameters.load_tree = lambda directory=target: original(directory)  # type: ignore[assignment]
        aci_parameters.default_tree.cache_clear()

    def restore() -> None:
        aci_parameters.load_tree = original
        aci_parameters.default_tree.cache_clear()

    install.restore = restore  # type: ignore[attr-defined]
    yield install
    restore()


COMMUNES = ["59350", "59512", "59599", "59009", "59017", "59183", "62041", "59606"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    codes=st.sets(st.sampled_from(COMMUNES), min_size=1, max_size=5),
    perimeter_delay=st.integers(min_value=0, max_value=900),
    new_members=st.integers(min_value=0, max_value=150),
    parameter_delay=st.none() | st.integers(min_value=1, max_value=900),
    amount=st.integers(min_value=10_000, max_value=500_000),
)
def test_no_change_after_a_years_end_moves_its_total(
    accepted: dict[str, Any],
    shifted_parameters: Any,
    codes: set[str],
    perimeter_delay: int,
    new_members: int,
    parameter_delay: int | None,
    amount: int,
) -> None:
    """Whatever perimeter and members come after year 1 ends (15 Jan 2024), whatever parameter
    values are added after it, or even corrected retroactively (its evaluation being closed), and
    even once an amendment is applied, year 1 totals what it did: 200,000 €."""
    contract, nord = accepted["contract"], accepted["nord"]
    year_end = dt.date(2024, 1, 15)
    shifted_parameters.restore()  # the shipped parameters (an earlier example changed them)
    with transaction.atomic():
        services.close_evaluation(contract, 1, accepted["cpam"], dt.date(2024, 1, 20))
        set_perimeter(
            nord,
            list(Commune.objects.filter(code__in=codes)),
            year_end + dt.timedelta(days=perimeter_delay),
        )
        Member.objects.bulk_create(
            Member(community=nord, kind="professional", name=f"M{i}", rpps=f"8{i:010d}")
            for i in range(new_members)
        )
        members_changed.send(sender=Member, community=nord, day=year_end)
        for amendment in contract.amendments.filter(status="proposed"):
            services.apply_amendment(amendment, accepted["cpam"], amendment.proposed_on)
        shifted_parameters(
            None if parameter_delay is None else year_end + dt.timedelta(days=parameter_delay),
            amount,
        )
        contract.refresh_from_db()
        assert engine.year_total(contract, 1) == Decimal("200000.00")
        assert engine.year_facts(contract, 1).size_class == 3
        transaction.set_rollback(True)
