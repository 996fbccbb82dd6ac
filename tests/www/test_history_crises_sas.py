"""The audit trail of a community lists its crisis response (activation, actions, mobilised
members, messages) and its unscheduled care (organisation, volunteers, slots, appointments,
requests' outcomes), with author and date, never the patient's commune."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from cpts.crises import response
from cpts.crises.models import Typology
from cpts.crises.services import declare_crisis
from cpts.territory.models import Commune
from cpts.unscheduled_care.services import (
    add_slots,
    add_volunteer,
    book,
    record_outcome,
    record_request,
)

from ..factories import MemberFactory, regulator

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_the_trail_lists_the_crisis_response_and_the_unscheduled_care(
    people: dict[str, Any], client: Client
) -> None:
    nord, coordinator = people["nord"], people["coordinator"]
    dupont = MemberFactory(
        community=nord, name="Dr Dupont", email="d@example.org", profession="nurse"
    )
    crisis, _ = declare_crisis(people["ars"], dt.date(2025, 1, 20), Typology.EPIDEMIC, "Grippe")
    activation = response.activate(crisis, nord, coordinator)
    response.log_action(activation, coordinator, at(2025, 1, 21, 9, 0), "Cellule de crise")
    response.mobilise(activation, coordinator, [dupont.pk], "Renfort", dt.date(2025, 1, 21))
    response.send_message(activation, coordinator, "activation", "")

    # unscheduled care: a volunteer, a slot, a request of the regulation booked in it, its outcome
    volunteer = add_volunteer(coordinator, dupont, dt.date(2023, 1, 1))
    [slot] = add_slots(
        coordinator, volunteer, [(at(2023, 5, 2, 14), at(2023, 5, 2, 14, 20))], ["SNP"],
        now=at(2023, 5, 1, 8),
    )  # fmt: skip
    regulation = regulator(username="regul59", first_name="Régine", last_name="Régulation")
    lille = Commune.objects.get(code="59350")
    request = record_request(
        regulation, commune=lille, urgency="within_deadline", received_at=at(2023, 5, 2, 9),
        now=at(2023, 5, 2, 9),
    )  # fmt: skip
    book(regulation, slot, request, now=at(2023, 5, 2, 9, 5))
    record_outcome(regulation, request, "honoured")

    client.force_login(people["admin"])
    page = client.get(reverse("communities:history", args=[nord.pk]), {"page": 1}).content.decode()
    for object_name in (
        "activation du plan de crise",
        "action de crise",
        "membre mobilisé",
        "message de crise",
        "professionnel volontaire",
        "créneau de soins non programmés",
        "rendez-vous",
        "demande du SAS",
    ):
        assert f"· {object_name}" in page, object_name
    assert "Action du 21/01/2025 09:00" in page
    assert "Dr Dupont — Renfort" in page
    assert "[CPTS Nord] Activation du plan de crise : Grippe" in page
    assert "Régine Régulation" in page  # the author of the booking and of the outcome
    assert "— → rendez-vous honoré" in page  # the outcome, recorded
    assert "Lille" not in page
    assert "59350" not in page

    # who may not read member identities sees the rows, never the member's name
    client.force_login(people["national"])
    hidden = client.get(reverse("communities:history", args=[nord.pk])).content.decode()
    assert "· membre mobilisé" in hidden
    assert "rôle : Renfort" in hidden
    assert "· professionnel volontaire" in hidden
    assert "Dupont" not in hidden
