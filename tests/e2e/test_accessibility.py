"""The main pages, on the demo's data, checked in chromium by axe-core (no serious or critical
violation) and measured: at 1280 px every table fits its container, at 375 px no page is wider
than the screen (a wide table scrolls inside its container, which the keyboard can reach).

``make screenshots`` also keeps two pages as a phone shows them (``$CPTS_SCREENSHOTS``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("CPTS_SCREENSHOTS", "var/screenshots"))
BLOCKING = {"serious", "critical"}

MEASURE = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  tables: [...document.querySelectorAll(".fr-table__container")].map((box) => ({
    caption: box.querySelector("caption")?.textContent.trim(),
    hidden: box.scrollWidth - box.clientWidth,
    focusable: box.tabIndex === 0,
  })),
})"""


def pages(demo: dict[str, Any]) -> dict[str, list[str]]:
    """The main pages, each visited as the role that works on it."""
    c, year, indicator, payment, run = (
        demo["community"],
        demo["year"],
        demo["indicator"],
        demo["payment"],
        demo["run"],
    )
    return {
        "coordination": [
            f"/communautes/{c}/",
            f"/communautes/{c}/membres/",
            f"/territoire/communautes/{c}/perimetre/",
            f"/communautes/{c}/lettre-intention/",
            f"/communautes/{c}/accelerateur/",
            f"/communautes/{c}/projet-de-sante/",
            f"/communautes/{c}/contrat/",
            f"/communautes/{c}/annexe/{year}/",
            f"/communautes/{c}/annexe/{year}/indicateurs/{indicator}/",
            f"/communautes/{c}/plans-de-crise/",
            f"/communautes/{c}/plans-de-crise/{demo['plan']}/",
            f"/communautes/{c}/plans-de-crise/{demo['plan']}/modifications/",
            f"/communautes/{c}/plans-de-crise/{demo['plan']}/imprimer/",
            f"/communautes/{c}/crises/",
            f"/communautes/{c}/crises/{demo['crisis']}/",
            f"/communautes/{c}/versements/",
            f"/communautes/{c}/versements/{payment}/",
            f"/communautes/{c}/historique/",
            "/mot-de-passe/",
        ],
        "cpam": ["/communautes/", "/contrats/campagnes/", f"/contrats/campagnes/{run}/"],
        "ars": [
            "/territoire/",
            "/territoire/import/",
            "/crises/",
            f"/crises/{demo['crisis']}/",
            "/pilotage/",
        ],
        "national": ["/communautes/", "/territoire/", "/pilotage/"],
    }


@pytest.fixture
def demo(geography: None) -> dict[str, Any]:
    """The demo's data (real territories, contracts, annexes, payments), as `make demo` seeds it."""
    from cpts.accounts.models import User
    from cpts.contracts.models import Indicator, Payment, PaymentRun
    from cpts.crises.models import CrisisActivation
    from cpts.demo.seed import PASSWORD, seed_demo

    seed_demo(timezone.localdate())
    community = User.objects.get(username="coordination").community
    assert community is not None
    indicator = Indicator.objects.filter(contract__community=community).earliest("pk")
    return {
        "password": PASSWORD,
        "community": community.pk,
        "year": indicator.contract_year,
        "indicator": indicator.pk,
        "payment": Payment.objects.filter(contract__community=community).earliest("pk").pk,
        "run": PaymentRun.objects.earliest("pk").pk,
        "plan": community.crisis_plans.latest("year", "version").pk,
        "crisis": CrisisActivation.objects.get(community=community).crisis_id,
    }


def test_the_main_pages_pass_axe_and_fit_the_screen(
    live_server: Any, browser: Any, axe_source: str, demo: dict[str, Any]
) -> None:
    problems: list[str] = []
    base = live_server.url
    c = demo["community"]
    phone_shots = {
        f"/communautes/{c}/annexe/{demo['year']}/": "telephone-annexe",
        f"/communautes/{c}/versements/": "telephone-versements",
    }

    def check(page: Any, path: str, width: int) -> None:
        measure = page.evaluate(MEASURE)
        if measure["page"] > 0:
            problems.append(f"{width}px {path}: the page is {measure['page']}px too wide")
        for table in measure["tables"]:
            if not table["focusable"]:
                problems.append(f"{width}px {path}: « {table['caption']} » cannot be scrolled")
            if width >= 1280 and table["hidden"] > 0:
                problems.append(f"{width}px {path}: « {table['caption']} » is cut at 1280 px")
        if width >= 1280:
            for violation in axe_violations(page, axe_source):
                if violation["impact"] in BLOCKING:
                    problems.append(
                        f"{path}: {violation['impact']} {violation['id']} ({violation['help']}) "
                        f"on {', '.join(violation['nodes'][:3])}"
                    )

    for width in (1280, 375):
        context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/connexion/")
        check(page, "/connexion/", width)
        for username, paths in pages(demo).items():
            context.clear_cookies()
            page.goto(f"{base}/connexion/")
            page.get_by_label("Identifiant").fill(username)
            page.get_by_label("Mot de passe").fill(demo["password"])
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_load_state()
            for path in paths:
                response = page.goto(f"{base}{path}")
                assert response is not None
                assert response.status == 200, (username, path)
                check(page, path, width)
                name = phone_shots.get(path)
                if width == 375 and name:
                    SHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)
