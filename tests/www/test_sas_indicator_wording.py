"""An annex indicator bound to the SAS requests, as people read it: the annex, the indicator's
page and the history name its source and its measure (requests), not the claims."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.contracts import measures, services

pytestmark = pytest.mark.django_db


def test_an_indicator_bound_to_the_sas_is_worded_as_such(
    contracted: dict[str, Any], client: Client
) -> None:
    indicator = services.add_indicator(
        contracted["contract"],
        1,
        contracted["cpam"],
        {
            "mission": "access",
            "action": "Soins non programmés",
            "kind": "target",
            "label": "Demandes du SAS ayant abouti à un rendez-vous",
            "amount": Decimal(1000),
            "objective": Decimal(2),
        },
    )
    measures.bind_indicator(indicator, contracted["cpam"], "sas_appointments", "number")
    pk = contracted["nord"].pk
    client.force_login(contracted["coordinator"])
    annex = client.get(reverse("communities:annex", args=[pk, 1])).content.decode()
    assert "Compter les demandes du SAS" in annex
    assert "Aucun indicateur de l'annexe n'est relié à un indicateur calculé :" not in annex
    assert (
        "Aucun indicateur de l'annexe n'est relié à un indicateur calculé à partir des données de l'Assurance Maladie"
        in annex
    )
    page = client.get(reverse("communities:indicator", args=[pk, 1, indicator.pk])).content.decode()
    assert "nombre de patients ou d'actes" not in page
    assert "nombre de demandes" in page
    assert "Valeur calculée à partir des données de l'Assurance Maladie" not in page
    assert '<optgroup label="Demandes du SAS enregistrées dans CPTS Pilote">' in page
    history = client.get(reverse("communities:history", args=[pk])).content.decode()
    assert "sas_appointments" not in history
    assert "demandes du SAS ayant abouti à un rendez-vous" in history
    assert "nombre de demandes" in history
    assert "nombre de patients ou d'actes" not in history
