"""A crisis plan of CPTS Nord (contracted on 15/01/2023, crisis mission committed), as its
coordinator adopts it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpts.crises.models import CrisisPlan
from cpts.crises.plans import adopt_plan

PLAN = {
    "year": 2023,
    "adopted_on": dt.date(2023, 3, 20),
    "typologies": ["epidemic", "climate"],
    "axis_actions": "Cellule de crise le lundi",
    "axis_coordination_medico_social": "Liste des personnes fragiles",
    "axis_coordination_hospitals": "Lien avec le GHT",
    "axis_information_professionals": "Messagerie sécurisée",
    "axis_information_population": "Site et réseaux sociaux",
}


@pytest.fixture
def adopt(contracted: dict[str, Any]) -> Any:
    def adopt(**changes: Any) -> CrisisPlan:
        return adopt_plan(contracted["nord"], contracted["coordinator"], {**PLAN, **changes})

    return adopt
