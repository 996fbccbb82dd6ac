"""Load test: national, ARS and CPAM users browsing the national demo, screens and API.

Each simulated user takes one of the identities of ``var/load/identities.json`` (sessions and
bearer tokens made by ``prepare.py``), round robin, and reads what such a user reads: the
communities list (paged), a community's dashboard, its contract and its payments, the territory
overview, the crises, the steering dashboards (``/pilotage/``, skipped where it answers 404), and
the API (``/api/v1``). Run by ``run.sh``; alone:

    locust -f benchmarks/load/locustfile.py --host http://127.0.0.1:8765 --headless -u 50 -r 10 -t 60s

The server runs with DEBUG off: requests say they came through HTTPS (``X-Forwarded-Proto``,
``SECURE_PROXY_SSL_HEADER=1``), as behind the production proxy.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant, events, task

IDENTITIES = Path(os.environ.get("LOAD_IDENTITIES", "var/load/identities.json"))
_identities: list[dict[str, Any]] = []
_next = itertools.count()
#: Steering dashboards: on unless PILOTAGE=0; switched off at the first 404 (before their merge).
_pilotage = {"on": os.environ.get("PILOTAGE", "1") != "0"}
YEARS = ("2022", "2023", "2024", "2025", "2026")
#: WRITERS=1: one more user, the administrator's system, records an indicator's value through
#: the API every WRITE_EVERY seconds (the value it already has: the data version moves, so every
#: cached figure must be computed again, but the database stays the same from run to run).
WRITERS = int(os.environ.get("WRITERS", "0"))
WRITE_EVERY = float(os.environ.get("WRITE_EVERY", "5"))
WRITER = IDENTITIES.with_name("writer.json")


@events.init.add_listener
def _load(environment: Any, **_kwargs: Any) -> None:
    _identities.extend(json.loads(IDENTITIES.read_text(encoding="utf-8")))


class Reader(FastHttpUser):
    """One simulated user. ``FastHttpUser`` (geventhttpclient) rather than ``HttpUser``
    (requests): the load generator shares the server's two cores, and costs several times less
    CPU per request this way. Redirects are not followed: a signed-in reader gets a 200, and a
    302 (to the login page) is counted as a failure."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.me = _identities[next(_next) % len(_identities)]
        self.rng = random.Random(hash(self.me["username"]) ^ id(self))
        # an explicit Cookie header wins over the client's cookie jar: screens carry the session
        # only, the API the bearer token only
        self.session = {"X-Forwarded-Proto": "https", "Cookie": f"sessionid={self.me['session']}"}
        self.bearer = {
            "X-Forwarded-Proto": "https",
            "Authorization": f"Bearer {self.me['token']}",
            "Cookie": "",
        }

    def community(self) -> int:
        return int(self.rng.choice(self.me["communities"]))

    def get(self, path: str, name: str, headers: dict[str, str] | None = None) -> None:
        with self.client.get(
            path,
            name=name,
            headers=headers or self.session,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in (301, 302):
                response.failure(f"redirigé ({response.status_code}) : session perdue ? {path}")
            elif response.status_code != 200:
                response.failure(f"{response.status_code} pour {path}")

    # --- screens ------------------------------------------------------------------------------

    @task(4)
    def communities(self) -> None:
        pages = max(1, (int(self.me["count"]) + 24) // 25)
        self.get(f"/communautes/?page={self.rng.randint(1, min(pages, 40))}", "/communautes/?page")

    @task(4)
    def dashboard(self) -> None:
        self.get(f"/communautes/{self.community()}/", "/communautes/[id]/")

    @task(3)
    def contract(self) -> None:
        self.get(f"/communautes/{self.community()}/contrat/", "/communautes/[id]/contrat/")

    @task(3)
    def payments(self) -> None:
        self.get(f"/communautes/{self.community()}/versements/", "/communautes/[id]/versements/")

    @task(2)
    def territory(self) -> None:
        self.get("/territoire/", "/territoire/")

    @task(2)
    def crises(self) -> None:
        self.get("/crises/", "/crises/")

    @task(2)
    def pilotage(self) -> None:
        if not _pilotage["on"]:
            return
        query = f"year={self.rng.choice(YEARS)}"
        if self.me["region"]:
            query += f"&region={self.me['region']}"
        if self.me["departement"]:
            query += f"&departement={self.me['departement']}"
        with self.client.get(
            f"/pilotage/?{query}",
            name="/pilotage/",
            headers=self.session,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 404:
                _pilotage["on"] = False  # not merged yet: not part of the mix
                response.success()
            elif response.status_code != 200:
                response.failure(f"{response.status_code} pour /pilotage/?{query}")

    # --- API ----------------------------------------------------------------------------------

    @task(3)
    def api_communities(self) -> None:
        offset = self.rng.randrange(0, max(1, min(int(self.me["count"]), 1000)), 50)
        self.get(
            f"/api/v1/communities?limit=50&offset={offset}",
            "/api/v1/communities",
            headers=self.bearer,
        )

    @task(3)
    def api_community(self) -> None:
        self.get(f"/api/v1/communities/{self.community()}", "/api/v1/communities/[id]",
                 headers=self.bearer)  # fmt: skip

    @task(2)
    def api_contracts(self) -> None:
        self.get(f"/api/v1/contracts?community={self.community()}", "/api/v1/contracts?community",
                 headers=self.bearer)  # fmt: skip

    @task(2)
    def api_contract(self) -> None:
        contract = self.rng.choice(self.me["contracts"])
        self.get(f"/api/v1/contracts/{contract}", "/api/v1/contracts/[id]", headers=self.bearer)

    @task(2)
    def api_payments(self) -> None:
        self.get(f"/api/v1/payments?community={self.community()}", "/api/v1/payments?community",
                 headers=self.bearer)  # fmt: skip

    @task(1)
    def api_payments_page(self) -> None:
        self.get("/api/v1/payments?limit=100", "/api/v1/payments", headers=self.bearer)

    @task(1)
    def api_crises(self) -> None:
        self.get("/api/v1/crises", "/api/v1/crises", headers=self.bearer)


class Writer(FastHttpUser):
    """The optional writer (``WRITERS=1``): ``PUT /api/v1/indicators/{id}/value`` with the value
    the indicator has, every ``WRITE_EVERY`` seconds, as a CPTS's system would record it."""

    abstract = WRITERS == 0
    fixed_count = WRITERS
    wait_time = constant(WRITE_EVERY)

    def on_start(self) -> None:
        found = json.loads(WRITER.read_text(encoding="utf-8"))
        self.indicators = itertools.cycle(found["indicators"])
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Authorization": f"Bearer {found['token']}",
            "Cookie": "",
        }

    @task
    def record(self) -> None:
        item = next(self.indicators)
        body = {key: item[key] for key in ("measured_value", "done", "remarks")}
        with self.client.put(
            f"/api/v1/indicators/{item['id']}/value",
            name="PUT /api/v1/indicators/[id]/value",
            json=body,
            headers=self.headers,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} : {response.text[:200]}")
