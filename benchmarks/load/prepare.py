"""Identities for the load test: sessions and API tokens of national, ARS and CPAM users of the
national demo (``cpts demo national``), with the communities each may read.

Sessions are created here, as ``django.contrib.auth.login`` would (a PBKDF2 login per simulated
user would measure the password hash, not the application); each identity gets a bearer token
for the API (``cpts.accounts.tokens.issue``). Writes ``var/load/identities.json``.

    DATABASE_URL=... SECRET_KEY=... .venv/bin/python benchmarks/load/prepare.py
"""

from __future__ import annotations

import json
import os
import random
import sys
from importlib import import_module
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402

from cpts.accounts import tokens  # noqa: E402
from cpts.accounts.models import Role, User  # noqa: E402
from cpts.communities.scope import visible_communities  # noqa: E402
from cpts.contracts.models import Contract, ContractYear, Indicator  # noqa: E402
from cpts.core.dates import today  # noqa: E402

OUT = Path(settings.VAR_DIR) / "load" / "identities.json"
WRITER = OUT.with_name("writer.json")


def session_for(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = next(  # the one that loads users (not axes' guard)
        path for path in settings.AUTHENTICATION_BACKENDS if "ModelBackend" in path
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def identity(user: User, rng: random.Random) -> dict[str, object]:
    communities = list(visible_communities(user).values_list("pk", flat=True))
    contracted = sorted(
        set(
            Contract.objects.filter(community__in=communities).values_list(
                "community_id", flat=True
            )
        )
    )
    contracts = list(
        Contract.objects.filter(community__in=communities).values_list("pk", flat=True)
    )
    rng.shuffle(contracted)
    rng.shuffle(contracts)
    region = user.region_id or ""
    departements = list(user.departements.values_list("code", flat=True))
    return {
        "username": user.username,
        "role": user.role,
        "session": session_for(user),
        "token": tokens.issue(user, label="test de charge"),
        "communities": contracted[:200],
        "contracts": contracts[:200],
        "count": len(communities),
        "region": region,
        "departement": departements[0] if departements else "",
    }


def writer(rng: random.Random) -> dict[str, object]:
    """The administrator's token and indicators of open contract years, each with its current
    value: the optional writer of the load test (``WRITERS=1``) records them again as they are,
    through the API and the same service as the screens (audited; the data version moves, the
    figures do not)."""
    admin = User.objects.get(username="admin")
    closed = set(
        ContractYear.objects.filter(total__isnull=False).values_list("contract_id", "number")
    )
    candidates = [
        row
        for row in Indicator.objects.filter(
            contract__terminated_on__isnull=True, contract__ends_on__gt=today()
        )
        .order_by("pk")
        .values_list("pk", "contract_id", "contract_year", "measured_value", "done", "remarks")
        if (row[1], row[2]) not in closed
    ]
    chosen = rng.sample(candidates, min(50, len(candidates)))
    return {
        "token": tokens.issue(admin, label="test de charge (écriture)"),
        "indicators": [
            {
                "id": pk,
                "measured_value": None if value is None else str(value),
                "done": done,
                "remarks": remarks,
            }
            for pk, _, _, value, done, remarks in chosen
        ],
    }


def main() -> None:
    rng = random.Random(2026)
    users = [User.objects.get(username="national")]
    ars = list(User.objects.filter(role=Role.ARS).order_by("username"))
    cpam = list(User.objects.filter(role=Role.CPAM).order_by("username"))
    if not ars or not cpam:
        sys.exit("Lancez d'abord « cpts demo national » (comptes ARS et CPAM absents).")
    users += rng.sample(ars, min(6, len(ars))) + rng.sample(cpam, min(12, len(cpam)))
    identities = [identity(user, rng) for user in users]
    identities = [item for item in identities if item["communities"]]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(identities, indent=1), encoding="utf-8")
    print(f"{len(identities)} identités écrites dans {OUT}")
    WRITER.write_text(json.dumps(writer(rng), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
