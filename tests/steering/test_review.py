"""Review of issue 19 (national facts, two-level cache): cases the other tests do not cover.

The slices of the national facts against the reference for scopes and data the small demo
lacks: a CPAM officer of two départements in two regions, a crisis naming a département, a
community moved to a département of another region, a contract terminated in the middle of a
contract year, and ``today`` on January 1, December 31 and February 29 (the cache's review:
``test_review_cache``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpts.accounts.models import Role, User
from cpts.communities.models import Community
from cpts.contracts.models import Contract
from cpts.crises.models import HealthCrisis
from cpts.steering import facts
from cpts.steering.dashboards import Filters
from cpts.territory.models import Departement
from tests.steering.test_facts import compare, country, users  # noqa: F401  (the fixture)


def _edge_cases(data: dict[str, Any]) -> User:
    """Adds the edge cases to the country (rolled back with the test); returns a CPAM officer of
    two départements of two regions."""
    today = data["today"]
    communities = list(Community.objects.select_related("departement").order_by("pk"))
    first, second = communities[0], communities[1]
    other = next(c for c in communities if c.departement.region_id != first.departement.region_id)
    cpam = User.objects.create(
        username="cpam-two-regions", role=Role.CPAM, email="cpam2@example.org"
    )
    cpam.departements.set([first.departement_id, other.departement_id])
    # a crisis of the first's region naming the first's département, one naming another of it
    sibling = (
        Departement.objects.filter(region_id=first.departement.region_id)
        .exclude(code=first.departement_id)
        .first()
    )
    ars = User.objects.filter(role=Role.ARS).first()
    named = HealthCrisis.objects.create(
        region_id=first.departement.region_id, declared_on=today - dt.timedelta(days=40),
        typology="epidemic", title="Épidémie nommée", declared_by=ars,
    )  # fmt: skip
    named.departements.set([first.departement_id])
    if sibling is not None:
        elsewhere = HealthCrisis.objects.create(
            region_id=first.departement.region_id, declared_on=today - dt.timedelta(days=20),
            typology="climate", title="Canicule voisine", declared_by=ars,
        )  # fmt: skip
        elsewhere.departements.set([sibling.code])
    # a community moved to a département of another region
    moved_to = Departement.objects.exclude(region_id=second.departement.region_id).first()
    assert moved_to is not None
    Community.objects.filter(pk=second.pk).update(departement_id=moved_to.code)
    # a contract terminated in the middle of a contract year
    running = (
        Contract.objects.filter(terminated_on__isnull=True, signed_on__lt=today - dt.timedelta(400))
        .order_by("signed_on")
        .first()
    )
    if running is not None:
        Contract.objects.filter(pk=running.pk).update(
            terminated_on=running.signed_on + dt.timedelta(days=500), termination_reason="Test"
        )
    return cpam


@pytest.mark.django_db
def test_slices_equal_the_reference_on_scopes_and_data_the_demo_lacks(
    country: dict[str, Any],  # noqa: F811
) -> None:
    cpam = _edge_cases(country)
    today = country["today"]
    for day in (
        today,
        dt.date(today.year, 1, 1),
        dt.date(today.year - 1, 12, 31),
        dt.date(2024, 2, 29),
    ):
        national = facts.compute(day)
        for user in [*users(), country["facilitator"], cpam]:
            for filters in (
                Filters(),
                Filters(year=day.year),
                Filters(year=day.year - 1),
                Filters(size_class=2),
                Filters(size_class=3, year=day.year - 1),
            ):
                compare(user, filters, day, national)
