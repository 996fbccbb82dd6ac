"""Crisis plans: written for the first year of the crisis mission, updated each year after
(avenant 2; ``missions.crisis.plan_update_months``). Each adoption is a new version: the
versions before it are kept, unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Max
from dsfr.forms import DsfrBaseForm

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.core.audit import save_audited
from cpts.core.errors import RuleError
from cpts.core.forms import DATE, today

from .changes import normalise
from .models import CrisisPlan, Typology

AXES = CrisisPlan.AXES

#: What the national template expects under each axis, in plain words (the form's help texts).
AXIS_HELP = {
    "axis_actions": (
        "Comment la CPTS s'organise face à chaque typologie de crise : qui déclenche le plan et "
        "comment, la cellule de crise et ses contacts, le circuit d'alerte, les moyens que les "
        "professionnels peuvent mobiliser, la levée du dispositif."
    ),
    "axis_coordination_medico_social": (
        "Comment les professionnels de ville et les établissements et services médico-sociaux "
        "repèrent et suivent ensemble les personnes exposées ou fragiles (âgées, isolées, en "
        "situation de handicap, malades chroniques) pendant la crise."
    ),
    "axis_coordination_hospitals": (
        "Comment la CPTS travaille avec les établissements de santé du territoire (hôpitaux, "
        "cliniques, SAMU, SAS) : orientation des patients, sorties d'hospitalisation, renfort des "
        "soins non programmés."
    ),
    "axis_information_professionals": (
        "Comment les professionnels de santé du territoire reçoivent consignes et informations "
        "pendant la crise : canaux utilisés, relais, fréquence, qui rédige les messages."
    ),
    "axis_information_population": (
        "Comment la population est informée : messages de prévention, où consulter, qui appeler, "
        "relais locaux (mairies, pharmacies, associations), en lien avec l'ARS."
    ),
}


def _axis(label: str, name: str) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=AXIS_HELP[name], widget=forms.Textarea(attrs={"rows": 5})
    )


class CrisisPlanForm(DsfrBaseForm):  # type: ignore[misc]
    year = forms.IntegerField(label="Année", min_value=2022, max_value=2100)
    adopted_on = forms.DateField(label="Date d'adoption", widget=DATE, initial=today)
    typologies = forms.MultipleChoiceField(
        label="Typologies de crise couvertes",
        choices=Typology.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    axis_actions = _axis("1. Modalités d'action adaptées au territoire", "axis_actions")
    axis_coordination_medico_social = _axis(
        "2. Coordination des professionnels de ville et du médico-social pour les personnes exposées",
        "axis_coordination_medico_social",
    )
    axis_coordination_hospitals = _axis(
        "3. Coordination entre le secteur ambulatoire et les établissements de santé",
        "axis_coordination_hospitals",
    )
    axis_information_professionals = _axis(
        "4. Information des professionnels de santé du territoire",
        "axis_information_professionals",
    )
    axis_information_population = _axis(
        "5. Information de la population", "axis_information_population"
    )


def plan_initial(latest: CrisisPlan | None, on: dt.date) -> dict[str, Any]:
    """What the form starts from: the version in force, so that an update is an edit; for the
    first plan, the five typologies of the national template. The year: the current one, never
    before the version in force's."""
    if latest is None:
        return {"year": on.year, "adopted_on": on, "typologies": list(Typology.values)}
    return {
        "year": max(on.year, latest.year),
        "adopted_on": on,
        "typologies": list(latest.typologies),
        **{axis: getattr(latest, axis) for axis in AXES},
    }


def adopt_plan(community: Community, user: User, data: dict[str, Any]) -> CrisisPlan:
    """A new version of the plan for the year (the first version, then the yearly updates).

    Refused when nothing changed from the version in force (typologies and the five axes), when
    the year is before the version in force's, or the adoption before its adoption."""
    require(user, Action.FILE, community)
    year: int = data["year"]
    adopted_on: dt.date = data.get("adopted_on") or dt.date.today()  # noqa: DTZ011 - a calendar date
    chosen = set(data["typologies"])
    typologies = [code for code in Typology.values if code in chosen]
    axes = {axis: normalise(data[axis]) for axis in AXES}
    with transaction.atomic():
        # one adoption at a time per community: the version number is read then written
        Community.objects.select_for_update().filter(pk=community.pk).exists()
        latest = (
            CrisisPlan.objects.filter(community=community).order_by("-year", "-version").first()
        )
        if latest is not None:
            _check_update(latest, year, adopted_on, typologies, axes)
        version = CrisisPlan.objects.filter(community=community, year=year).aggregate(
            v=Max("version")
        )["v"]
        plan = CrisisPlan(
            community=community,
            year=year,
            version=(version or 0) + 1,
            typologies=typologies,
            adopted_on=adopted_on,
            **axes,
        )
        return save_audited(plan, user)


def _check_update(
    latest: CrisisPlan,
    year: int,
    adopted_on: dt.date,
    typologies: list[str],
    axes: dict[str, str],
) -> None:
    in_force = f"plan {latest.year}, version {latest.version}"
    if year < latest.year:
        raise RuleError(
            f"L'année {year} précède celle de la version en vigueur ({in_force}) : une mise à jour "
            "porte sur la même année ou une année suivante."
        )
    if latest.adopted_on is not None and adopted_on < latest.adopted_on:
        raise RuleError(
            f"La date d'adoption ne peut pas précéder celle de la version en vigueur ({in_force}, "
            f"adoptée le {latest.adopted_on:%d/%m/%Y})."
        )
    same = set(latest.typologies) == set(typologies) and all(
        normalise(getattr(latest, axis)) == text for axis, text in axes.items()
    )
    # a new year's plan may keep the text: the community reviewed it and records that yearly update
    if same and year == latest.year:
        raise RuleError(
            f"Rien n'a changé par rapport à la version en vigueur ({in_force}) : modifiez au moins "
            "une typologie ou un axe avant d'adopter la mise à jour."
        )
