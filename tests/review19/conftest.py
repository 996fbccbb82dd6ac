"""Fixtures of the hostile review of issue 19: those of the REST API tests."""

from tests.api.conftest import api, sas, world

__all__ = ["api", "sas", "world"]
