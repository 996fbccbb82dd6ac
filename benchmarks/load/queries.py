"""Queries behind each endpoint of the load test's mix: how many, how long, the slowest one
(Django's test client in-process, DEBUG's query log on): where to look when an endpoint is slow.

    DATABASE_URL=... SECRET_KEY=... .venv/bin/python benchmarks/load/queries.py [username]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings")
os.environ.setdefault("SECURE_PROXY_SSL_HEADER", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    identities = json.loads(Path("var/load/identities.json").read_text(encoding="utf-8"))
    wanted = sys.argv[1] if len(sys.argv) > 1 else "national"
    me = next(item for item in identities if item["username"] == wanted)
    community, contract = me["communities"][0], me["contracts"][0]
    paths = [
        ("/communautes/?page=3", {}),
        (f"/communautes/{community}/", {}),
        (f"/communautes/{community}/contrat/", {}),
        (f"/communautes/{community}/versements/", {}),
        ("/territoire/", {}),
        ("/crises/", {}),
        ("/pilotage/?year=2025", {}),
        ("/api/v1/communities?limit=50&offset=100", {"bearer": True}),
        (f"/api/v1/communities/{community}", {"bearer": True}),
        (f"/api/v1/contracts?community={community}", {"bearer": True}),
        (f"/api/v1/contracts/{contract}", {"bearer": True}),
        (f"/api/v1/payments?community={community}", {"bearer": True}),
        ("/api/v1/payments?limit=100", {"bearer": True}),
        ("/api/v1/crises", {"bearer": True}),
    ]
    client = Client(headers={"X-Forwarded-Proto": "https"}, HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = me["session"]
    for path, options in paths:
        headers = {"Authorization": f"Bearer {me['token']}"} if options.get("bearer") else {}
        client.get(path, headers=headers)  # warm (caches, first-use imports)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - began) * 1000
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default=None)
        print(
            f"{response.status_code} {elapsed:7.1f} ms {len(queries):4d} requêtes  {path}"
            + (
                f"\n      la plus lente {float(slowest['time']) * 1000:.1f} ms : {slowest['sql'][:300]}"
                if slowest
                else ""
            )
        )


if __name__ == "__main__":
    main()
