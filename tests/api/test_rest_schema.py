"""Contract tests: schemathesis generates requests from the published OpenAPI schema, valid and
invalid, and the API answers each without a server error and as its schema says (status codes,
content types, bodies). The Django application is called in-process (WSGI), with an admin token.
Also: ``cpts api schema`` prints the same schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from typer.testing import CliRunner

from cpts.accounts import tokens
from cpts.api.rest import api
from cpts.cli import app
from cpts.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process() -> Iterator[None]:
    """Django's WSGI handler closes the database connection at the end of each request, which
    would end the test's transaction: keep it open, as Django's test client does."""
    signals = [request_started, request_finished]
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_every_answer_conforms_to_the_schema(
    contracted: dict[str, Any], in_process: None, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {tokens.issue(contracted['admin'])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_the_command_line_prints_the_published_schema(db: None) -> None:
    result = CliRunner().invoke(app, ["api", "schema"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(api.get_openapi_schema()))
    assert printed["info"]["title"] == "CPTS Pilote"
