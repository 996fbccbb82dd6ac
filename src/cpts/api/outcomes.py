"""FHIR answers: resources as ``application/fhir+json``, refusals as OperationOutcome (French
diagnostics, ``expression`` naming the element at fault)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from cpts.unscheduled_care.fhir import CONTENT_TYPE

#: The issue type of each HTTP status we answer with (FHIR's IssueType codes).
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "business-rule",
}


def resource_response(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(
    status: int,
    diagnostics: str,
    expression: str | None = None,
    code: str | None = None,
    **headers: str,
) -> HttpResponse:
    """An OperationOutcome with one error issue."""
    issue: dict[str, Any] = {
        "severity": "error",
        "code": code or ISSUE_CODES.get(status, "processing"),
        "diagnostics": diagnostics,
    }
    if expression:
        issue["expression"] = [expression]
    return resource_response(
        {"resourceType": "OperationOutcome", "issue": [issue]}, status, **headers
    )
