"""Attacks on the steering dashboards (issue 19)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from cpts.accounts.access import may_read_crisis_response
from cpts.crises.models import CrisisActivation, HealthCrisis
from cpts.steering import dashboards
from cpts.steering.dashboards import Filters

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def test_a_facilitator_does_not_learn_how_its_community_responded_to_a_crisis(
    people: dict[str, Any],
) -> None:
    """``access.may_read_crisis_response`` refuses facilitators (« they accompany projects and do
    not follow crises »): the activation of a crisis plan by CPTS Pas-de-Calais is a 404 for its
    facilitator. The dashboard counts the activations among the communities the facilitator
    accompanies — one community: « 1 (100 %) » says exactly that it activated its plan."""
    pdc, facilitator = people["pas_de_calais"], people["facilitator"]
    assert not may_read_crisis_response(facilitator, pdc)
    crisis = HealthCrisis.objects.create(
        region_id="32", declared_on=dt.date(2025, 3, 1), typology="epidemic",
        title="Épidémie HDF", declared_by=people["ars"],
    )  # fmt: skip
    CrisisActivation.objects.create(
        crisis=crisis, community=pdc, activated_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
        activated_by=people["admin"],
    )  # fmt: skip
    board = dashboards.dashboard(facilitator, Filters(), TODAY)
    rows = {row.title: row for row in board.crises}
    assert rows["Épidémie HDF"].activated == 0, "the facilitator reads its community's response"


@pytest.mark.parametrize(
    "query",
    [
        "year=99999999999999999999",
        "year=2024&year=abc",
        "size_class=9",
        "size_class=%EF%BC%91",  # full-width 1
        "page=99999999999999999999",
        "page=-1",
        "region=32&departement=31",
        "departement=%F0%9F%92%A9",
        "region=" + "9" * 5000,
    ],
)
def test_bad_dashboard_filters_are_not_a_500(people: dict[str, Any], query: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(people["national"])
    response = client.get(f"/pilotage/?{query}")
    assert response.status_code in (200, 400, 404), response.status_code
