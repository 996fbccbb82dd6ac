"""The crisis plan in a real browser: the coordinator writes the plan, updates one axis, reads
what changed and opens the page to print; axe-core finds no serious violation on these pages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLOCKING = {"serious", "critical"}
SHOTS = Path(os.environ.get("CPTS_SCREENSHOTS", "var/screenshots"))
AXES = {
    "1. Modalités d'action adaptées au territoire": "Cellule de crise réunie sous 24 heures.",
    "2. Coordination des professionnels de ville et du médico-social pour les personnes exposées": (
        "Liste partagée des personnes fragiles."
    ),
    "3. Coordination entre le secteur ambulatoire et les établissements de santé": (
        "Lien avec les urgences."
    ),
    "4. Information des professionnels de santé du territoire": "Messagerie sécurisée.",
    "5. Information de la population": "Affiches en pharmacie.",
}


def test_a_crisis_plan_is_written_updated_compared_and_printed(
    live_server: Any, browser: Any, axe_source: str, contracted: dict[str, Any]
) -> None:
    problems: list[str] = []
    year = timezone.localdate().year

    def shot(name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def check(page: Any) -> None:
        for violation in axe_violations(page, axe_source):
            if violation["impact"] in BLOCKING:
                problems.append(f"{page.url}: {violation['id']} on {violation['nodes'][:3]}")

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant").fill("coord")
    page.get_by_label("Mot de passe").fill("pw-for-tests")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    # 1. The first plan: the five typologies are ticked already; the coordinator writes the axes.
    page.goto(f"{live_server.url}/communautes/{contracted['nord'].pk}/plans-de-crise/")
    expect(page.get_by_role("heading", name="Rédiger le plan")).to_be_visible()
    check(page)
    for label, text in AXES.items():
        page.get_by_label(label).fill(text)
    page.get_by_role("button", name="Adopter le plan").click()
    expect(page.get_by_text(f"Plan de crise {year} adopté (version 1).")).to_be_visible()

    # 2. The update starts from the plan in force: one axis changed, the others kept as they were.
    axis = page.get_by_label("1. Modalités d'action adaptées au territoire")
    expect(axis).to_have_value("Cellule de crise réunie sous 24 heures.")
    axis.fill("Cellule de crise réunie sous 12 heures.")
    page.get_by_role("button", name="Adopter le plan").click()
    expect(page.get_by_text(f"Plan de crise {year} adopté (version 2).")).to_be_visible()
    expect(page.get_by_role("cell", name="Axe modifié : 1.")).to_be_visible()
    check(page)

    # 3. What changed: the figure removed and the one added.
    page.get_by_role("link", name=f"Ce qui a changé dans le plan {year}, version 2").click()
    expect(page.locator("del")).to_have_text("supprimé : 24")
    expect(page.locator("ins")).to_have_text("ajouté : 12")
    check(page)
    shot("plan-de-crise-modifications")

    # 4. The page to print: the whole plan, no navigation; its button opens the print dialog.
    page.get_by_role("link", name="Lire cette version en entier").click()
    page.get_by_role("link", name="Version à imprimer ou enregistrer en PDF").click()
    expect(page.get_by_role("heading", name=f"Plan de crise {year}, version 2")).to_be_visible()
    expect(page.get_by_text("Cellule de crise réunie sous 12 heures.")).to_be_visible()
    expect(page.locator(".fr-sidemenu")).to_have_count(0)
    check(page)
    page.emulate_media(media="print")
    shot("plan-de-crise-impression")
    page.emulate_media(media="screen")
    page.evaluate("window.print = () => { window.cptsPrinted = true; }")
    page.get_by_role("button", name="Imprimer ou enregistrer en PDF").click()
    assert page.evaluate("window.cptsPrinted === true")
    context.close()
    assert problems == [], "\n".join(problems)
