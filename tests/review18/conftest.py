"""Fixtures of the hostile review of issue 18: those of the FHIR API tests."""

from tests.api.conftest import api, sas

__all__ = ["api", "sas"]
