"""A regulator records a SAS request in the browser, searches a slot within the deadline, books
it and records the outcome; the coordinator then sees the indicator count on its
unscheduled-care page. axe-core finds no violation on the pages of the journey."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import regulator, slot, volunteer

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("pw-for-tests")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_a_regulator_books_and_the_indicator_moves(
    live_server: Any, browser: Any, axe_source: str, people: dict[str, Any]
) -> None:
    nord = people["nord"]
    helper = volunteer(nord, commune_id="59350")
    slot(helper, timezone.now() + dt.timedelta(hours=3))
    regulator(["59"], username="regulation59")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    _login(page, live_server.url, "regulation59")
    page.get_by_role("link", name="Régulation SAS").click()
    page.get_by_role("link", name="Enregistrer une demande").click()
    page.get_by_label("Commune du patient").fill("59350")
    page.get_by_role("button", name="Enregistrer et chercher un créneau").click()
    expect(page.get_by_test_id("deadline")).to_contain_text("Délai de 48 heures")
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Réserver").first.click()
    expect(page.get_by_test_id("appointment")).to_contain_text(helper.member.name)
    expect(page.get_by_role("button", name="Annuler le rendez-vous")).to_be_visible()
    # an outcome is known once the appointment has begun: as if two hours had passed
    from cpts.unscheduled_care.models import Request, Slot

    now = timezone.now()
    Request.objects.update(received_at=now - dt.timedelta(hours=2))
    Slot.objects.filter(volunteer=helper).update(
        start=now - dt.timedelta(minutes=30), end=now - dt.timedelta(minutes=10)
    )
    page.reload()
    page.get_by_label("rendez-vous honoré", exact=True).check(force=True)
    page.get_by_role("button", name="Enregistrer la suite").click()
    expect(page.get_by_test_id("outcome")).to_have_text("rendez-vous honoré")
    assert axe_violations(page, axe_source) == []

    context.clear_cookies()
    _login(page, live_server.url, "coord")
    page.goto(f"{live_server.url}/communautes/{nord.pk}/")
    refused: list[str] = []  # the page's Content-Security-Policy refuses nothing it needs
    page.on("console", lambda message: refused.append(message.text))
    page.get_by_role("link", name="Soins non programmés").click()
    expect(page.get_by_test_id("indicator-count")).to_have_text("1")
    expect(page.get_by_test_id("delay-median")).not_to_have_text("—")
    assert [text for text in refused if "Content Security Policy" in text] == []
    assert axe_violations(page, axe_source) == []
    context.close()
