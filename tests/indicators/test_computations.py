"""Indicators computed from the claims and stored per territory and period: the community, its
département and the nation together, idempotently, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cpts.contracts.services import RuleError
from cpts.indicators import services
from cpts.indicators.models import Computation, ComputedIndicator, Scope

from .claims_data import EXPECTED, YEAR_1, write_claims

pytestmark = pytest.mark.django_db


def values(computation: Computation) -> dict[str, tuple[Any, ...]]:
    return {
        item.code: (item.numerator, item.denominator, item.value)
        for item in computation.results.all()
        if item.code in EXPECTED["community"]
    }


def snapshot() -> list[tuple[Any, ...]]:
    return sorted(
        ComputedIndicator.objects.values_list(
            "pk", "computation__scope", "computation__departement_id", "code", "numerator",
            "denominator", "value",
        )
    )  # fmt: skip


def test_the_three_territories_are_computed_and_stored_together(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    stored = services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], claims_dir)
    assert values(stored.community) == EXPECTED["community"]
    assert values(stored.departement) == EXPECTED["departement"]
    assert values(stored.national) == EXPECTED["national"]
    assert stored.community.departement_id == stored.departement.departement_id == "59"
    assert (stored.community.start, stored.community.end) == YEAR_1
    assert stored.community.engine == "duckdb"
    assert stored.community.computed_by == computable["cpam"]
    assert stored.community.claims_dir == str(claims_dir)
    # audited: each row has its history, authored
    assert stored.community.history.first().history_user == computable["cpam"]


def test_computing_twice_replaces_the_same_rows(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    first = services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], claims_dir)
    rows = snapshot()
    second = services.compute_for(
        computable["nord"], *YEAR_1, computable["coordinator"], claims_dir
    )
    assert snapshot() == rows  # same rows, same values, no duplicate
    assert Computation.objects.count() == 3
    assert second.community.pk == first.community.pk
    assert second.community.computed_by == computable["coordinator"]  # the latest provenance


def test_a_failure_stores_nothing_and_keeps_what_was_stored(
    computable: dict[str, Any], claims_dir: Path, tmp_path: Path
) -> None:
    services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], claims_dir)
    rows = snapshot()
    broken = write_claims(tmp_path / "broken", skip=("IR_MTT_R",))
    with pytest.raises(RuleError) as error:
        services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], broken)
    assert "IR_MTT_R" in str(error.value)
    with pytest.raises(RuleError, match="introuvables"):
        services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], tmp_path / "missing")
    assert snapshot() == rows
    # a new period that fails leaves no row at all
    with pytest.raises(RuleError):
        services.compute_for(
            computable["nord"], dt.date(2024, 1, 15), dt.date(2025, 1, 14), None, broken
        )
    assert Computation.objects.count() == 3


def test_a_community_without_perimeter_is_a_french_message(
    contracted: dict[str, Any], claims_dir: Path
) -> None:
    with pytest.raises(RuleError, match="pas de périmètre"):
        services.compute_for(contracted["nord"], *YEAR_1, contracted["cpam"], claims_dir)
    assert not Computation.objects.exists()


def test_a_city_stands_for_its_arrondissements_and_back() -> None:
    whole = services.territory_codes(["75056"])
    assert "75118" in whole
    assert "75056" in whole
    assert len(whole) == 21
    one = services.territory_codes(["75118"])
    assert one == {"75118"}  # one arrondissement is not the whole city


def test_the_departement_compared_is_where_most_inhabitants_live(
    make_community: Any,
) -> None:
    community = make_community("CPTS à cheval", "62")
    # Lille (59, about 236,000) and Arras (62, about 41,000): the Nord wins over the seat's
    assert services.main_departement(community, {"59350", "62041"}, dt.date(2024, 1, 1)) == "59"


def test_each_scope_is_stored_once_per_period(computable: dict[str, Any], claims_dir: Path) -> None:
    services.compute_for(computable["nord"], *YEAR_1, computable["cpam"], claims_dir)
    assert sorted(Computation.objects.values_list("scope", flat=True)) == sorted(
        [Scope.COMMUNITY, Scope.DEPARTEMENT, Scope.NATIONAL]
    )
