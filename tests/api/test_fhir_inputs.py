"""Odd inputs never make a 500: the search parameters and the body, from a few edge cases and
from Hypothesis."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Sas

pytestmark = pytest.mark.django_db

ODD_STARTS = [
    ["gt9999-12-31T23:59:59+00:00", "le9999-12-31"],
    ["ge0001-01-01", "lt0001-01-01T00:00:00Z"],
    ["ge2026-12-01T10:00:00+99:00", "le2026-12-02"],
    ["ge2026-02-30", "le2026-03-01"],
    ["ge2026-12-01T25:00", "le2026-12-02"],
    ["ge", "le"],
    ["ge2026-12-01\x00", "le2026-12-02"],
    ["ge２０２６-12-01", "le2026-12-02"],
]


@pytest.mark.parametrize("starts", ODD_STARTS)
def test_odd_dates_are_a_400_or_a_bundle(api: Client, sas: Sas, starts: list[str]) -> None:
    response = api.get("/fhir/Slot", {"start": starts}, **sas.headers())
    assert response.status_code in {200, 400}
    assert response.json()["resourceType"] in {"Bundle", "OperationOutcome"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(["start", "status", "_include", "_count", "_offset", "_format"]),
        st.lists(st.text(max_size=30), min_size=1, max_size=3),
    )
)
def test_any_search_parameters(api: Client, sas: Sas, params: dict[str, list[str]]) -> None:
    clean = {k: [v.replace("\x00", "") for v in values] for k, values in params.items()}
    response = api.get("/fhir/Slot", clean, **sas.headers())
    assert response.status_code in {200, 400}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.fixed_dictionaries(
        {"resourceType": st.just("Appointment")},
        optional={
            "status": json_values,
            "identifier": json_values,
            "extension": json_values,
            "participant": json_values,
            "start": json_values,
            "end": json_values,
            "slot": json_values,
        },
    )
)
def test_any_appointment_body(api: Client, sas: Sas, body: dict[str, Any]) -> None:
    response = api.post(
        "/fhir/Appointment", json.dumps(body), content_type="application/fhir+json", **sas.headers()
    )
    assert response.status_code in {400, 404, 409, 422}
    assert response.json()["resourceType"] == "OperationOutcome"
