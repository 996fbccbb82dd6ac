"""Who gets what on every operation of ``/api/v1``, role by role, reads and writes: 200/201 where
the screens let the role read or act, 403 where it sees but may not act, 404 out of scope; a
revoked token is a 401 everywhere and writes nothing.

The world (``world`` in ``conftest.py``): CPTS Nord (59) with its contract, its two indicators of
year 1 filled from the claims, three SAS requests (Nord booked, Nord waiting, Pas-de-Calais).
The roles: the coordinator of CPTS Nord, the CPAM of the Nord, the ARS Hauts-de-France, the ARS
Occitanie, the national viewer, a facilitator of CPTS Pas-de-Calais, the SAS regulation of the
Nord, an administrator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.api.rest import api
from cpts.contracts import services
from cpts.contracts.models import Evaluation, Indicator
from cpts.crises.models import HealthCrisis
from cpts.indicators.models import Computation

ROLES = [
    "admin",
    "national",
    "cpam",
    "ars",
    "ars_occitanie",
    "coordinator",
    "facilitator",
    "regulator",
]
#: The roles that see CPTS Nord (the facilitator accompanies Pas-de-Calais only; the ARS
#: Occitanie, another region).
SEES_NORD = {"admin", "national", "cpam", "ars", "coordinator", "regulator"}


def _client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def call(world: dict[str, Any], role: str, method: str, path: str, body: Any = None) -> Any:
    return _call(tokens.issue(world[role]), method, path, body)


def _call(token: str, method: str, path: str, body: Any = None) -> Any:
    client = _client(token)
    if method == "GET":
        return client.get("/api/v1" + path)
    send = getattr(client, method.lower())
    return send("/api/v1" + path, body or {}, content_type="application/json")


# --- Reads -------------------------------------------------------------------------------------

#: Every read of something of CPTS Nord: 200 for whom sees it, 404 for the others.
DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {
    "community": lambda w: f"/communities/{w['nord'].pk}",
    "perimeter": lambda w: f"/communities/{w['nord'].pk}/perimeter",
    "members": lambda w: f"/communities/{w['nord'].pk}/members",
    "contract": lambda w: f"/contracts/{w['contract'].pk}",
    "indicator": lambda w: f"/indicators/{w['rate'].pk}",
}

#: Every list, and how to find CPTS Nord's rows in it (None: the list only has to answer).
LISTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], bool] | None] = {
    "/communities": lambda w, item: item["id"] == w["nord"].pk,
    "/contracts": lambda w, item: item["community"] == w["nord"].pk,
    "/indicators": lambda w, item: item["community"] == w["nord"].pk,
    "/computed-indicators": lambda w, item: item["community"] == w["nord"].pk,
    "/payments": None,
    "/crises": None,
}


def test_reads_of_cpts_nord_role_by_role(world: dict[str, Any]) -> None:
    """One table: (role, what) → the status, and for a list whether CPTS Nord shows in it."""
    got: dict[tuple[str, str], Any] = {}
    expected: dict[tuple[str, str], Any] = {}
    for role in ROLES:
        client = _client(tokens.issue(world[role]))
        for what, path in DETAILS.items():
            got[role, what] = client.get("/api/v1" + path(world)).status_code
            expected[role, what] = 200 if role in SEES_NORD else 404
        for path, of_nord in LISTS.items():
            response = client.get("/api/v1" + path)
            shown = None
            if of_nord is not None and response.status_code == 200:
                shown = any(of_nord(world, item) for item in response.json()["items"])
            got[role, path] = (response.status_code, shown)
            expected[role, path] = (200, None if of_nord is None else role in SEES_NORD)
    assert got == expected


#: Which SAS requests each role reads, and whether it reads the patient's commune.
SAS: dict[str, tuple[set[str], bool]] = {
    "admin": ({"booked", "waiting", "elsewhere"}, True),
    "regulator": ({"booked", "waiting"}, True),  # its département, booked or not
    "coordinator": ({"booked"}, False),  # booked with CPTS Nord, never the commune
    "cpam": ({"booked"}, False),
    "ars": ({"booked"}, False),
    "ars_occitanie": (set(), False),
    "national": (set(), False),
    "facilitator": (set(), False),
}


def test_sas_requests_role_by_role(world: dict[str, Any]) -> None:
    names = {world[name].pk: name for name in ("booked", "waiting", "elsewhere")}
    got, expected = {}, {}
    for role in ROLES:
        client = _client(tokens.issue(world[role]))
        body = client.get("/api/v1/sas/requests").json()
        singles = {
            name: client.get(f"/api/v1/sas/requests/{world[name].pk}").status_code
            for name in ("booked", "waiting", "elsewhere")
        }
        got[role] = (
            {names[item["id"]] for item in body["items"]},
            body["count"],
            {item["commune"] is not None for item in body["items"]},
            singles,
        )
        readable, commune = SAS[role]
        expected[role] = (
            readable,
            len(readable),
            {commune} if readable else set(),
            {name: 200 if name in readable else 404 for name in singles},
        )
    assert got == expected


# --- Writes ------------------------------------------------------------------------------------


def _decided(world: dict[str, Any]) -> None:
    for name in ("rate", "patients"):
        services.decide_indicator(world[name], world["cpam"], True, "", timezone.localdate())


def _crisis_body(role: str) -> dict[str, Any]:
    # an ARS declares in its region; an administrator names the départements
    departements = {"ars": [], "ars_occitanie": ["31"]}.get(role, ["59"])
    return {
        "declared_on": "2025-01-10",
        "typology": "epidemic",
        "title": "Grippe",
        "departements": departements,
    }


#: name → (method, path, body, the roles that may do it). Every other role that sees CPTS Nord
#: gets a 403, the others a 404; a crisis concerns no community: 403 for every role without the
#: right.
WRITES: dict[str, tuple[str, Callable[[dict[str, Any]], str], Callable[[str], Any], set[str]]] = {
    "value": (
        "PUT",
        lambda w: f"/indicators/{w['rate'].pk}/value",
        lambda role: {"measured_value": "61.50", "done": False, "remarks": "saisie"},
        {"coordinator", "admin"},
    ),
    "decision": (
        "PUT",
        lambda w: f"/indicators/{w['rate'].pk}/decision",
        lambda role: {"verdict": "refused", "reason": "Objectif non atteint"},
        {"cpam", "admin"},
    ),
    "close": (
        "POST",
        lambda w: f"/contracts/{w['contract'].pk}/years/1/close",
        lambda role: {"closed_on": timezone.localdate().isoformat()},
        {"cpam", "admin"},
    ),
    "crisis": ("POST", lambda w: "/crises", _crisis_body, {"ars", "ars_occitanie", "admin"}),
    "fill": (
        "POST",
        lambda w: f"/contracts/{w['contract'].pk}/years/1/fill",
        lambda role: {"source": "claims"},
        {"coordinator", "cpam", "admin"},
    ),
}


@pytest.mark.parametrize("what", list(WRITES))
def test_writes_role_by_role(
    world: dict[str, Any], what: str, claims_dir: Any, settings: Any
) -> None:
    """Each role tries the write on the same world (rolled back after each try): the allowed
    roles write (a history row more), the others get 403 or 404 and write nothing."""
    settings.CLAIMS_DIR = claims_dir  # the claims the fill reads
    method, path, body, allowed = WRITES[what]
    if what == "close":
        _decided(world)
    got, expected = {}, {}
    for role in ROLES:
        with transaction.atomic():
            before = _written()
            response = call(world, role, method, path(world), body(role))
            got[role] = (response.status_code, _written() != before)
            transaction.set_rollback(True)
        if role in allowed:
            expected[role] = (201 if what == "crisis" else 200, True)
        elif what != "crisis" and role not in SEES_NORD:
            expected[role] = (404, False)
        else:
            expected[role] = (403, False)
    assert got == expected


def _written() -> tuple[int, ...]:
    """The history rows of everything the writes touch."""
    return (
        Indicator.history.count(),
        Evaluation.history.count(),
        HealthCrisis.history.count(),
        Computation.history.count(),
    )


# --- A revoked token ---------------------------------------------------------------------------


def test_a_revoked_token_is_a_401_on_every_operation(world: dict[str, Any]) -> None:
    token = tokens.issue(world["admin"])
    tokens.revoke(token, by=world["admin"])
    schema = api.get_openapi_schema()
    ids = {
        "community_id": world["nord"].pk,
        "contract_id": world["contract"].pk,
        "indicator_id": world["rate"].pk,
        "request_id": world["booked"].pk,
        "number": 1,
    }
    _decided(world)
    before = _written()
    operations = 0
    for template, methods in schema["paths"].items():
        path = template.removeprefix("/api/v1").format(**ids)
        for method in methods:
            body = {
                "/crises": _crisis_body("admin"),
                f"/indicators/{ids['indicator_id']}/value": {"measured_value": "1.00"},
                f"/indicators/{ids['indicator_id']}/decision": {"verdict": "accepted"},
                f"/contracts/{ids['contract_id']}/years/1/close": {
                    "closed_on": dt.date(2024, 2, 1).isoformat()
                },
                f"/contracts/{ids['contract_id']}/years/1/fill": {"source": "claims"},
            }.get(path)
            response = _call(token, method.upper(), path, body)
            assert response.status_code == 401, (method, path)
            assert "invalid_token" in response["WWW-Authenticate"]
            operations += 1
    assert operations == 18
    assert _written() == before
