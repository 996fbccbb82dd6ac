"""Crisis plans: written for the first year of the crisis mission, updated each year after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Max
from dsfr.forms import DsfrBaseForm

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.core.audit import save_audited
from cpts.core.forms import DATE, today

from .models import CrisisPlan, Typology

AXES = (
    "axis_actions",
    "axis_coordination_medico_social",
    "axis_coordination_hospitals",
    "axis_information_professionals",
    "axis_information_population",
)


class CrisisPlanForm(DsfrBaseForm):  # type: ignore[misc]
    year = forms.IntegerField(label="Année", min_value=2022, max_value=2100)
    adopted_on = forms.DateField(label="Date d'adoption", widget=DATE, initial=today)
    typologies = forms.MultipleChoiceField(
        label="Typologies de crise couvertes",
        choices=Typology.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    axis_actions = forms.CharField(
        label="Modalités d'action adaptées au territoire", widget=forms.Textarea(attrs={"rows": 3})
    )
    axis_coordination_medico_social = forms.CharField(
        label="Coordination des professionnels de ville et du médico-social pour les personnes exposées",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    axis_coordination_hospitals = forms.CharField(
        label="Coordination entre le secteur ambulatoire et les établissements de santé",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    axis_information_professionals = forms.CharField(
        label="Information des professionnels de santé du territoire",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    axis_information_population = forms.CharField(
        label="Information de la population", widget=forms.Textarea(attrs={"rows": 3})
    )


def adopt_plan(community: Community, user: User, data: dict[str, Any]) -> CrisisPlan:
    """A new version of the plan for the year (the first version, then the yearly updates)."""
    require(user, Action.FILE, community)
    latest = CrisisPlan.objects.filter(community=community, year=data["year"]).aggregate(
        v=Max("version")
    )["v"]
    plan = CrisisPlan(
        community=community,
        year=data["year"],
        version=(latest or 0) + 1,
        typologies=list(data["typologies"]),
        adopted_on=data.get("adopted_on") or dt.date.today(),  # noqa: DTZ011 - a calendar date
        **{axis: data[axis] for axis in AXES},
    )
    return save_audited(plan, user)
