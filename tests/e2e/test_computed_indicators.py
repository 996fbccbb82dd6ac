"""The CPAM fills an annex from the claims in the browser: on a contract like the demo's, whose
annex has indicators bound to computed ones, the button reads the claims (tiny ones written by
hand, ``tests/indicators/claims_data.py``), and the page shows each measured value with its
provenance; axe-core finds no violation there. The dashboard then shows the trend: CPTS,
département, France.

``make screenshots`` keeps both pages (``$CPTS_SCREENSHOTS``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("CPTS_SCREENSHOTS", "var/screenshots"))


def test_the_cpam_fills_the_annex_from_the_claims(
    live_server: Any,
    browser: Any,
    axe_source: str,
    computable: dict[str, Any],
    claims_dir: Path,
    settings: Any,
) -> None:
    settings.CLAIMS_DIR = claims_dir  # the live server runs in this process
    base = f"{live_server.url}/communautes/{computable['nord'].pk}"
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant").fill("cpam59")
    page.get_by_label("Mot de passe").fill("pw-for-tests")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    page.goto(f"{base}/annexe/1/")
    page.get_by_role(
        "button", name="Calculer les indicateurs depuis les données de l'Assurance Maladie"
    ).click()
    expect(page.get_by_text("2 valeur(s) modifiée(s)")).to_be_visible()
    expect(page.get_by_text("50,00 %").first).to_be_visible()  # 1 patient of 2, by hand
    expect(
        page.get_by_text("par cpam59, données du 15/01/2023 au 14/01/2024, moteur DuckDB").first
    ).to_be_visible()
    assert axe_violations(page, axe_source) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "annexe-valeurs-calculees.png"), full_page=True)

    page.goto(f"{base}/")
    trend = page.get_by_role(
        "table", name="Part des patients de 16 ans et plus ayant un médecin traitant"
    )
    expect(trend.get_by_role("cell", name="66,67 %")).to_be_visible()  # the Nord: 2 of 3
    box = page.locator("#indicateurs-calcules").bounding_box()
    assert box is not None
    page.screenshot(
        path=str(SHOTS / "tableau-de-bord-tendance.png"),
        full_page=True,
        clip={"x": 0, "y": box["y"] - 16, "width": 1280, "height": 900},
    )
    context.close()
