"""The crisis response in a real browser: the ARS declares a crisis, the coordinator activates
the plan, logs an action and messages the members, the worker sends the e-mails once, and the
ARS sees the activation; axe-core checks the new pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from typer.testing import CliRunner

from cpts.cli import app

from ..factories import MemberFactory
from .conftest import axe_violations
from .test_main_journey import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLOCKING = {"serious", "critical"}


def test_crisis_response_journey(
    live_server: Any, browser: Any, axe_source: str, people: dict[str, Any]
) -> None:
    nord = people["nord"]
    MemberFactory(community=nord, name="Dr Dupont", email="dupont@example.org")
    MemberFactory(community=nord, name="Dr Sans Adresse", email="")
    session = Session(browser, live_server.url)
    problems: list[str] = []

    def check_axe(page: Any) -> None:
        problems.extend(
            f"{page.url}: {v['id']} ({v['help']})"
            for v in axe_violations(page, axe_source)
            if v["impact"] in BLOCKING
        )

    # 1. The ARS declares a crisis over its whole region.
    page = session.login("ars-hdf")
    page.goto(f"{live_server.url}/crises/")
    page.get_by_label("Date de caractérisation").fill(f"{timezone.localdate():%Y-%m-%d}")
    page.get_by_label("Typologie").select_option("climate")
    page.get_by_label("Intitulé").fill("Inondations")
    page.get_by_role("button", name="Déclarer la crise").click()
    expect(page.get_by_text("Crise déclarée")).to_be_visible()

    # 2. The coordinator activates the plan, logs an action, sends the activation message.
    page = session.login("coord")
    page.goto(f"{live_server.url}/communautes/{nord.pk}/crises/")
    check_axe(page)
    page.get_by_role("button", name="Activer le plan de crise : Inondations").click()
    expect(page.get_by_text("Aucun plan de crise adopté", exact=True)).to_be_visible()
    page.get_by_label("Action menée").fill("Cellule de crise réunie")
    page.get_by_role("button", name="Enregistrer l'action").click()
    expect(page.get_by_role("cell", name="Cellule de crise réunie")).to_be_visible()
    page.get_by_role("combobox", name="Modèle").select_option("activation")
    page.get_by_label("Texte libre").fill("Point à 18 h à la maison de santé.")
    page.get_by_role("button", name="Prévisualiser").click()
    expect(page.get_by_text("Aperçu : [CPTS Nord] Activation du plan de crise")).to_be_visible()
    page.get_by_role("button", name="Envoyer aux membres").click()
    expect(
        page.get_by_text("1 courriel(s) en cours d'envoi, 1 membre(s) sans adresse")
    ).to_be_visible()
    check_axe(page)

    # 3. The worker, once.
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert "1 envoyée(s), 0 en échec, 0 en attente." in result.output
    assert [m.to for m in mail.outbox] == [["dupont@example.org"]]

    # 4. The ARS sees which community activated, and what it did.
    page = session.login("ars-hdf")
    page.goto(f"{live_server.url}/crises/")
    page.get_by_role("link", name="Inondations").click()
    expect(page.get_by_text("1 CPTS sur 2")).to_be_visible()
    expect(page.get_by_role("link", name="CPTS Nord")).to_be_visible()
    check_axe(page)
    assert problems == [], "\n".join(problems)
