"""The contract's screens explain each amount in French: the parameter's title from its file, not
its path in the parameter tree (the annual report already did)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.aci import default_tree
from cpts.contracts.models import Payment
from cpts.payments import ledger

pytestmark = pytest.mark.django_db


def test_the_annex_and_a_payment_name_parameters_by_their_title(
    contracted: dict[str, Any], client: Client
) -> None:
    tree = default_tree()
    nord = contracted["nord"]
    client.force_login(contracted["coordinator"])
    # CPTS Nord: 100,000 inhabitants on the day of signature (15 Jan 2023), avenant 2's grid
    functioning = "functioning.base.size_3"
    title = tree.title(functioning)
    assert title
    assert title != functioning

    annex = client.get(reverse("communities:annex", args=[nord.pk, 1])).content.decode()
    assert f"({title}, grille avenant-2)" in annex
    assert f"({functioning}," not in annex

    ledger.run_payments(contracted["cpam"], dt.date(2023, 2, 1))
    entry = Payment.objects.get(contract=contracted["contract"], kind="functioning")
    assert entry.explanation["year"]["lines"][0]["parameter"] == functioning  # stored as computed
    page = client.get(reverse("communities:payment", args=[nord.pk, entry.pk])).content.decode()
    assert f"({title}, grille avenant-2)" in page
    assert f"({functioning}," not in page
