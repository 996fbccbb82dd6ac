"""The main journey in a real browser (Debian's chromium driven by Playwright, on PostgreSQL):
the ARS validates a letter of intent, the coordinator files the health project, the contract is
signed, an evaluation is entered, and the payment run pays the amounts the engine computed.

Screenshots of the main pages go to ``$CPTS_SCREENSHOTS`` (``make screenshots`` writes them to
``docs/screenshots``).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpts.aci import payment_schedule
from cpts.contracts import engine
from cpts.contracts.models import Contract, Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("CPTS_SCREENSHOTS", "var/screenshots"))


class Session:
    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base

    def login(self, username: str) -> Any:
        page = self.page
        self.context.clear_cookies()
        page.goto(f"{self.base}/connexion/")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill("pw-for-tests")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        return page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_main_journey(live_server: Any, browser: Any, people: dict[str, Any]) -> None:
    from cpts.contracts import services

    nord = people["nord"]
    services.file_letter_of_intent(
        nord, people["coordinator"], dt.date(2022, 5, 2), "Projet de CPTS du Nord."
    )
    session = Session(browser, live_server.url)
    base = f"{live_server.url}/communautes/{nord.pk}"

    # 1. The ARS validates the letter of intent.
    page = session.login("ars-hdf")
    page.goto(f"{base}/lettre-intention/")
    page.get_by_label("Valider").check(force=True)  # DSFR draws the control on its label
    page.get_by_label("Date de la décision").fill("2022-06-01")
    session.shot("lettre-intention-decision")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Décision enregistrée.")).to_be_visible()
    expect(page.get_by_text("validé", exact=True)).to_be_visible()

    # 2. The coordinator files the health project; the ARS validates it.
    page = session.login("coord")
    page.goto(f"{base}/projet-de-sante/")
    page.get_by_label("Date de dépôt").fill("2022-09-01")
    page.get_by_label("Résumé").fill("Diagnostic territorial et actions sur les missions socles.")
    page.get_by_role("button", name="Déposer").click()
    expect(page.get_by_text("Projet de santé déposé(e).")).to_be_visible()
    page = session.login("ars-hdf")
    page.goto(f"{base}/projet-de-sante/")
    page.get_by_label("Valider").check(force=True)  # DSFR draws the control on its label
    page.get_by_label("Date de la décision").fill("2022-11-01")
    page.get_by_role("button", name="Enregistrer la décision").click()

    # 3. The CPAM records the signature, then the start of the access mission.
    page = session.login("cpam59")
    page.goto(f"{base}/contrat/")
    page.get_by_label("Date de signature").fill("2023-01-15")
    page.get_by_label("Signataire pour la CPTS").fill("Dr Martin, présidente")
    page.get_by_label("Signataire pour la CPAM").fill("M. Durand, directeur")
    page.get_by_label("Signataire pour l'ARS").fill("Mme Petit, directrice générale")
    page.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.get_by_text("Contrat signé : les missions socles")).to_be_visible()
    page.get_by_role("link", name="Détail de la mission Accès aux soins").click()
    page.get_by_label("Date de démarrage").fill("2023-01-15")
    page.get_by_role("button", name="Enregistrer").click()
    session.shot("contrat-et-missions")

    # 4. The annex: two indicators worth the whole access variable part (35 000 €); the
    #    coordinator records the values, the CPAM accepts them and closes the evaluation.
    page.goto(f"{base}/annexe/1/")
    page.get_by_text("Ajouter un indicateur à l'annexe").click()
    page.get_by_role("combobox", name="Mission").select_option("access")
    page.get_by_role("textbox", name="Action").fill(
        "Trouver un médecin traitant aux patients en ALD"
    )
    page.get_by_role("textbox", name="Indicateur").fill("Patients en ALD sans médecin traitant")
    page.get_by_label("Nature").select_option("graded")
    page.get_by_label("Plus bas est mieux").check(force=True)  # DSFR draws the control on its label
    page.get_by_label("Paliers").fill("objectif:50:18000\nintermédiaire:100:12000\nsocle:219:6000")
    page.get_by_role("button", name="Ajouter l'indicateur").click()
    expect(page.get_by_text("Indicateur ajouté à l'annexe.")).to_be_visible()
    page.get_by_text("Ajouter un indicateur à l'annexe").click()
    page.get_by_role("combobox", name="Mission").select_option("access")
    page.get_by_role("textbox", name="Action").fill(
        "Organiser les soins non programmés avec le SAS"
    )
    page.get_by_role("textbox", name="Indicateur").fill("Médecins inscrits au SAS")
    page.get_by_label("Nature").select_option("target")
    page.get_by_label("Montant si atteint").fill("17000")
    page.get_by_label("Objectif (cible)").fill("40")
    page.get_by_role("button", name="Ajouter l'indicateur").click()
    expect(page.get_by_text("Indicateur ajouté à l'annexe.")).to_be_visible()

    page = session.login("coord")
    page.goto(f"{base}/annexe/1/")
    page.get_by_role("link", name="Patients en ALD sans médecin traitant").click()
    page.get_by_label("Valeur mesurée").fill("80")
    page.get_by_role("button", name="Enregistrer la valeur").click()
    page.get_by_role("link", name="Médecins inscrits au SAS").click()
    page.get_by_label("Valeur mesurée").fill("42")
    page.get_by_role("button", name="Enregistrer la valeur").click()

    page = session.login("cpam59")
    for name in ("Patients en ALD sans médecin traitant", "Médecins inscrits au SAS"):
        page.goto(f"{base}/annexe/1/")
        page.get_by_role("link", name=name).click()
        page.get_by_label("Accepter").check(force=True)  # DSFR draws the control on its label
        page.get_by_role("button", name="Enregistrer la décision").click()
    session.shot("annexe-des-indicateurs")
    page.get_by_label("Date de clôture").fill("2024-01-20")
    page.get_by_role("button", name="Clôturer l'évaluation de l'année 1").click()
    expect(page.get_by_text("Évaluation close").first).to_be_visible()

    # 5. The payment run pays exactly what the engine computed; run again, it pays nothing.
    page.goto(f"{live_server.url}/contrats/campagnes/")
    page.get_by_label("Date de la campagne").fill("2024-01-25")
    page.get_by_role("button", name="Lancer la campagne").click()
    expect(page.get_by_text("Campagne enregistrée")).to_be_visible()
    session.shot("campagne-de-paiement")
    page.get_by_label("Date de la campagne").fill("2024-01-25")
    page.get_by_role("button", name="Lancer la campagne").click()
    expect(page.get_by_text("Rien à verser")).to_be_visible()

    contract = Contract.objects.get(community=nord)
    final = engine.compute(contract, 1, final=True)
    assert final.line("access.variable").amount == Decimal(
        "29000.00"
    )  # 12 000 (tier reached) + 17 000
    year_one = Payment.objects.filter(contract=contract, contract_year=1)
    assert sum(p.amount for p in year_one) == final.total
    second = payment_schedule(engine.engine_input(contract, 2))
    advance = Payment.objects.get(contract=contract, contract_year=2, kind="advance")
    assert advance.amount == next(p.amount for p in second.payments if p.kind == "advance")

    page.goto(f"{base}/")
    session.shot("tableau-de-bord")
    page.goto(f"{base}/versements/")
    page.get_by_role("link", name="Solde de l'année, après l'évaluation annuelle").click()
    expect(page.get_by_text("Explication du moteur de règles")).to_be_visible()
    session.shot("versement-explique")
    page.goto(f"{base}/historique/")
    session.shot("historique")
    page.goto(f"{live_server.url}/communautes/")
    session.shot("liste-des-cpts")
    session.context.close()


def test_territory_in_the_browser(
    live_server: Any, browser: Any, people: dict[str, Any], tmp_path: Path
) -> None:
    """An ARS imports its regional list of perimeters in the browser, then sees the coverage map."""
    from cpts.territory.models import Commune

    lines = ["community,code"]
    for code in (
        Commune.objects.filter(departement_id="62", kind="commune")
        .order_by("code")
        .values_list("code", flat=True)[:300]
    ):
        lines.append(f"CPTS Artois,{code}")
    lines += ["CPTS Lille,59350", "CPTS Roubaix,59512", "CPTS Lille,59512", "CPTS Amiens,80021"]
    path = tmp_path / "hauts-de-france.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    session = Session(browser, live_server.url)
    page = session.login("ars-hdf")
    page.goto(f"{live_server.url}/territoire/import/")
    page.get_by_label("Fichier des périmètres").set_input_files(str(path))
    page.get_by_label("Date d'effet des périmètres").fill("2026-01-15")
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("Fichier importé : 4 CPTS")).to_be_visible()
    page.goto(f"{live_server.url}/territoire/?on=2026-02-01")
    expect(
        page.get_by_role("img", name="Couverture de la population par les CPTS, par département")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="CPTS Lille, CPTS Roubaix")).to_be_visible()  # an overlap
    session.shot("territoire-couverture")
    lille = people["nord"].__class__.objects.get(name="CPTS Lille")
    page.goto(f"{live_server.url}/territoire/communautes/{lille.pk}/perimetre/")
    expect(page.get_by_role("cell", name="Lille", exact=True)).to_be_visible()
    session.shot("perimetre")
    session.context.close()
