"""Two CPAM systems close the same year at the same moment (real threads, real connections)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cpts.accounts import tokens
from cpts.contracts import services
from cpts.contracts.models import Evaluation


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_close_once(world: dict[str, Any]) -> None:
    contract, cpam = world["contract"], world["cpam"]
    for item in (world["rate"], world["patients"]):
        item.refresh_from_db()
        services.decide_indicator(item, cpam, True, "", timezone.localdate())
    token = tokens.issue(cpam)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def close() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
            barrier.wait()
            response = client.post(
                f"/api/v1/contracts/{contract.pk}/years/1/close",
                {"closed_on": "2024-01-20"},
                content_type="application/json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200, 400], statuses
    assert Evaluation.objects.filter(contract=contract, contract_year=1).count() == 1
    assert Evaluation.history.filter(contract_id=contract.pk, status="closed").count() == 1
