"""Findings of the review of the unscheduled-care screens: nearness when a volunteer has no
commune, requests booked through the platform, same-day urgency, a deadline passed, slot kinds
in French, ambiguous communes in scope only, no inline style."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cpts.accounts.models import User
from cpts.unscheduled_care import selectors
from cpts.unscheduled_care.enums import Channel, Urgency
from cpts.unscheduled_care.models import Request
from tests.factories import regulator, slot, volunteer

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _request(author: User, received: dt.datetime, **fields: Any) -> Request:
    values: dict[str, Any] = {
        "commune_id": "59350",
        "departement_id": "59",
        "urgency": Urgency.WITHIN_DEADLINE,
        "received_at": received,
        "channel": Channel.BROWSER,
        "recorded_by": author,
    }
    values.update(fields)
    return Request.objects.create(**values)


def test_a_volunteer_without_commune_is_placed_in_its_community_s_departement(
    people: dict[str, Any],
) -> None:
    user = regulator(["59", "62"])
    now = dt.datetime(2026, 3, 10, 10, 5, tzinfo=PARIS)
    nowhere = volunteer(people["nord"], commune=None)
    elsewhere = volunteer(people["pas_de_calais"], commune_id="62041")
    unknown_far = volunteer(people["pas_de_calais"], commune=None)
    at_nine = slot(nowhere, dt.datetime(2026, 3, 10, 21, 0, tzinfo=PARIS))
    at_eleven = slot(elsewhere, dt.datetime(2026, 3, 10, 11, 0, tzinfo=PARIS))
    at_noon = slot(unknown_far, dt.datetime(2026, 3, 10, 12, 0, tzinfo=PARIS))
    item = _request(user, dt.datetime(2026, 3, 10, 10, 0, tzinfo=PARIS))
    due = dt.datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
    found = selectors.free_slots_near(user, item, due, now)
    # the Nord volunteer without commune: the Nord, as the patient (rank 2), before the others
    assert [c.slot for c in found] == [at_nine, at_eleven, at_noon]
    assert [c.nearness_label for c in found] == [
        "même département (lieu d'exercice inconnu)",
        "autre département",
        "autre département (lieu d'exercice inconnu)",
    ]


def test_same_day_requests_get_slots_of_that_day_only(people: dict[str, Any]) -> None:
    user = regulator(["59"])
    helper = volunteer(people["nord"], commune_id="59350")
    evening = slot(helper, dt.datetime(2026, 3, 10, 19, 0, tzinfo=PARIS))
    late = slot(helper, dt.datetime(2026, 3, 10, 23, 40, tzinfo=PARIS))
    midnight = slot(helper, dt.datetime(2026, 3, 11, 0, 0, tzinfo=PARIS))
    tomorrow = slot(helper, dt.datetime(2026, 3, 11, 9, 0, tzinfo=PARIS))
    now = dt.datetime(2026, 3, 10, 10, 5, tzinfo=PARIS)
    due = dt.datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)  # 48 h after 10/03 10:00
    same_day = _request(
        user, dt.datetime(2026, 3, 10, 10, 0, tzinfo=PARIS), urgency=Urgency.SAME_DAY
    )
    until = selectors.search_until(same_day, due)
    assert until == dt.datetime(2026, 3, 10, 23, 59, 59, 999999, tzinfo=PARIS)
    found = selectors.free_slots_near(user, same_day, until, now)
    assert [c.slot for c in found] == [evening, late]
    other = _request(user, dt.datetime(2026, 3, 10, 10, 0, tzinfo=PARIS))
    assert selectors.search_until(other, due) == due
    assert [c.slot for c in selectors.free_slots_near(user, other, due, now)] == [
        evening,
        late,
        midnight,
        tomorrow,
    ]
    # received at 23:00 with a deadline of one hour: the deadline comes first
    short = dt.datetime(2026, 3, 10, 23, 59, tzinfo=PARIS)
    assert selectors.search_until(same_day, short) == short


def test_the_search_page_says_same_day_and_deadline_passed(
    people: dict[str, Any], client: Client
) -> None:
    user = regulator(["59"])
    client.force_login(user)
    received = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    item = _request(user, received, urgency=Urgency.SAME_DAY)
    page = client.get(reverse("sas:search_slots", args=[item.pk])).content.decode()
    assert f"urgence : dans la journée, jusqu'au {received:%d/%m/%Y} à 23:59" in page
    old = _request(user, received - dt.timedelta(days=5))
    page = client.get(reverse("sas:search_slots", args=[old.pk])).content.decode()
    due = timezone.localtime(received - dt.timedelta(days=3))
    assert f"Le délai est dépassé depuis le {due:%d/%m/%Y à %H:%M}" in page
    assert "Aucun créneau libre dans le délai" not in page


def test_platform_bookings_are_not_said_erased_and_the_channel_is_shown(
    people: dict[str, Any], client: Client
) -> None:
    user = regulator(["59"])
    client.force_login(user)
    received = timezone.now() - dt.timedelta(hours=1)
    platform = _request(user, received, commune_id=None, channel=Channel.FHIR)
    erased = _request(user, received, commune_id=None)
    page = client.get(reverse("sas:request", args=[platform.pk])).content.decode()
    assert "inconnue (réservation par la plateforme SAS)" in page
    assert "effacée" not in page
    assert "Canal : plateforme SAS (FHIR)" in page
    page = client.get(reverse("sas:request", args=[erased.pk])).content.decode()
    assert "effacée (conservation échue)" in page
    assert "Canal : saisie dans CPTS Pilote" in page
    listing = client.get(reverse("sas:requests")).content.decode()
    assert listing.count("inconnue (réservation par la plateforme SAS)") == 1
    assert listing.count("effacée (conservation échue)") == 1
    assert '<th scope="col">Canal</th>' in listing
    assert "plateforme SAS (FHIR)" in listing


def test_slot_kinds_are_shown_in_french(people: dict[str, Any], client: Client) -> None:
    user = regulator(["59"])
    helper = volunteer(people["nord"], commune_id="59350")
    slot(helper, timezone.now() + dt.timedelta(hours=2), kinds=("SNP", "PRO"))
    item = _request(user, timezone.now() - dt.timedelta(minutes=5))
    client.force_login(user)
    page = client.get(reverse("sas:search_slots", args=[item.pk])).content.decode()
    assert "régulation et organisateurs des soins non programmés, professionnels de santé" in page
    assert "SNP, PRO" not in page
    client.force_login(people["coordinator"])
    page = client.get(
        reverse("communities:unscheduled_care", args=[people["nord"].pk])
    ).content.decode()
    assert "régulation et organisateurs des soins non programmés, professionnels de santé" in page
    assert "SNP, PRO" not in page


def test_an_ambiguous_commune_proposes_only_communes_in_scope(
    people: dict[str, Any], client: Client
) -> None:
    received = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    fields = {"commune": "Saint-Amand", "urgency": "within_deadline", "received_at": received}
    client.force_login(regulator(["62"]))  # Saint-Amand (62741) and Saint-Amand (23180)
    response = client.post(reverse("sas:new_request"), fields)
    assert response.status_code == 302
    assert Request.objects.get().commune_id == "62741"
    client.force_login(regulator(["59"]))  # neither is in the Nord
    page = client.post(reverse("sas:new_request"), fields).content.decode()
    assert "23180" not in page
    assert "62741" not in page
    assert "Aucune commune « Saint-Amand » dans les départements de votre régulation." in page
    assert Request.objects.count() == 1


def test_the_unscheduled_care_page_has_no_inline_style(
    people: dict[str, Any], client: Client
) -> None:
    helper = volunteer(people["nord"], commune_id="59350")
    slot(helper, timezone.now() + dt.timedelta(hours=2))
    client.force_login(people["coordinator"])
    page = client.get(
        reverse("communities:unscheduled_care", args=[people["nord"].pk])
    ).content.decode()
    assert "Délais entre la demande et le rendez-vous" in page
    assert re.search(r"\sstyle=", page) is None, re.findall(r".{80}\sstyle=.{80}", page)
    client.force_login(regulator(["59"]))
    page = client.get(reverse("sas:requests")).content.decode()
    assert re.search(r"\sstyle=", page) is None
