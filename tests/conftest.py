"""Fixtures shared by the Django tests (PostgreSQL, see ``cpts.settings_test``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from cpts.accounts.models import Role, User
from cpts.communities.models import Community

from .factories import CommunityFactory, MemberFactory, UserFactory

_STARTED_DEVDB = pytest.StashKey[bool]()
# Tests that import ``cpts.wsgi`` get the application without its start-up warm-up (it reads the
# database outside any test's access; ``tests/www/test_warmup.py`` tests the warm-up itself).
os.environ.setdefault("CPTS_WARM_UP", "0")


def pytest_configure(config: pytest.Config) -> None:
    """Start this checkout's embedded PostgreSQL server if the settings use it and it is down."""
    from django.conf import settings

    from cpts import devdb

    if settings.DATABASES["default"]["HOST"] == str(devdb.data_dir()) and not devdb.is_running():
        devdb.start(database=None)
        config.stash[_STARTED_DEVDB] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave the machine as found: stop the embedded server if this session started it."""
    if config.stash.get(_STARTED_DEVDB, False):
        from cpts import devdb

        devdb.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The real reference geography (INSEE codes), loaded once for the whole session."""
    from cpts.territory.reference import load_reference_data

    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def geography(db: None) -> None:
    """The reference geography, reloaded if a transactional (browser) test flushed it."""
    from cpts.territory.models import Region
    from cpts.territory.reference import load_reference_data

    if not Region.objects.exists():
        load_reference_data()


@pytest.fixture
def make_user(geography: None) -> Callable[..., User]:
    def make(username: str, role: Role, **fields: Any) -> User:
        return UserFactory(username=username, role=role, **fields)

    return make


@pytest.fixture
def make_community(geography: None) -> Callable[..., Community]:
    def make(
        name: str | None = None,
        departement: str = "59",
        population: int = 100_000,
        members: int = 0,
    ) -> Community:
        fields: dict[str, Any] = {"departement_id": departement, "population": population}
        if name is not None:
            fields["name"] = name
        community = CommunityFactory(**fields)
        MemberFactory.create_batch(members, community=community)
        return community

    return make


@pytest.fixture
def people(
    make_user: Callable[..., User], make_community: Callable[..., Community]
) -> dict[str, Any]:
    """Two communities in Hauts-de-France (Nord 59, Pas-de-Calais 62), one in Occitanie (31),
    and one user per role."""
    nord = make_community("CPTS Nord", "59")
    pas_de_calais = make_community("CPTS Pas-de-Calais", "62")
    toulouse = make_community("CPTS Toulouse", "31")
    return {
        "nord": nord,
        "pas_de_calais": pas_de_calais,
        "toulouse": toulouse,
        "coordinator": make_user("coord", Role.COORDINATOR, community=nord),
        "cpam": make_user("cpam59", Role.CPAM, departements=["59"]),
        "ars": make_user("ars-hdf", Role.ARS, region_id="32"),
        "ars_occitanie": make_user("ars-occ", Role.ARS, region_id="76"),
        "national": make_user("national", Role.NATIONAL),
        "facilitator": make_user("facil", Role.FACILITATOR, accompanied=[pas_de_calais]),
        "admin": make_user("root", Role.ADMIN, is_staff=True, is_superuser=True),
    }


@pytest.fixture
def contracted(people: dict[str, Any]) -> dict[str, Any]:
    """CPTS Nord through the whole lifecycle up to a contract signed on 15 Jan 2023."""
    from cpts.contracts import services

    nord = people["nord"]
    letter = services.file_letter_of_intent(
        nord, people["coordinator"], dt.date(2022, 5, 1), "Lettre"
    )
    services.decide_letter_of_intent(letter, people["ars"], True, "", dt.date(2022, 6, 1))
    project = services.file_health_project(
        nord, people["coordinator"], dt.date(2022, 9, 1), "Projet"
    )
    services.decide_health_project(project, people["ars"], True, "", dt.date(2022, 11, 1))
    contract = services.sign_contract(
        nord, people["cpam"], dt.date(2023, 1, 15), "Présidente", "Directeur CPAM", "DG ARS"
    )
    return {**people, "contract": contract}


#: Debian's chromium, driven by Playwright (the browser tests of tests/e2e and tests/www).
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM, beside Playwright's loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def claims_dir(tmp_path: Any) -> Any:
    """Tiny claims written by hand (``tests/indicators/claims_data.py``: who, where, what)."""
    from .indicators.claims_data import write_claims

    return write_claims(tmp_path / "claims")


@pytest.fixture
def computable(contracted: dict[str, Any]) -> dict[str, Any]:
    """CPTS Nord's contract with a perimeter (Lille, Villeneuve-d'Ascq) and two indicators of
    year 1 bound to computed ones: a rate (objective 50 %) and a number of patients (objective 2)."""
    from cpts.communities.perimeters import resolve_codes, set_perimeter
    from cpts.contracts import services

    from .indicators.claims_data import PERIMETER

    set_perimeter(
        contracted["nord"],
        resolve_codes(PERIMETER).communes,
        dt.date(2022, 1, 1),
        user=contracted["admin"],
    )
    contract = contracted["contract"]
    common = {"mission": "access", "action": "Médecin traitant", "kind": "target"}
    rate = services.add_indicator(
        contract,
        1,
        contracted["cpam"],
        {
            **common,
            "label": "Part des patients de 16 ans et plus avec un médecin traitant",
            "amount": Decimal(1000),
            "objective": Decimal(50),
            "computed_code": "patients_16_with_gp",
            "computed_measure": "percent",
        },
    )
    patients = services.add_indicator(
        contract,
        1,
        contracted["cpam"],
        {
            **common,
            "label": "Patients ayant consommé des soins",
            "amount": Decimal(500),
            "objective": Decimal(2),
            "computed_code": "consumers",
            "computed_measure": "number",
        },
    )
    return {**contracted, "rate": rate, "patients": patients}
