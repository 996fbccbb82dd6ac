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
from hypothesis import strategies as st
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
    computable: dict[str, Any],
    in_process: None,
    mode: GenerationMode,
    claims_dir: Any,
    settings: Any,
) -> None:
    """An administrator's token may do every write: generated bodies reach the services. The
    writes on an indicator or a contract year run twice: with generated ids (mostly unknown:
    404), and on the real ones (the two indicators of the annex, CPTS Nord's contract), so that
    valid and invalid bodies meet the services' rules."""
    settings.CLAIMS_DIR = claims_dir  # a fill of the annex reads these (tiny) claims
    headers = {"Authorization": f"Bearer {tokens.issue(computable['admin'])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18
    real = {
        "indicator_id": [computable["rate"].pk, computable["patients"].pk],
        "contract_id": [computable["contract"].pk],
    }

    for operation in operations:
        _explore(operation, mode, headers, None)
        if operation.method.upper() in {"PUT", "POST"}:
            for name, ids in real.items():
                if "{" + name + "}" in operation.path:
                    _explore(operation, mode, headers, (name, ids))


def _explore(operation: Any, mode: GenerationMode, headers: dict[str, str], real: Any) -> None:
    """Generated requests of ``operation``; with ``real`` (a path parameter and its ids), on
    those objects."""

    @given(case=operation.as_strategy(generation_mode=mode), index=st.integers(0, 1))
    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: Any, index: int) -> None:
        if real is not None and isinstance(case.path_parameters, dict):
            name, ids = real
            case.path_parameters[name] = ids[index % len(ids)]
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_the_command_line_prints_the_published_schema(db: None) -> None:
    result = CliRunner().invoke(app, ["api", "schema"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(api.get_openapi_schema()))
    assert printed["info"]["title"] == "CPTS Pilote"
