from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from cpts.core.forms import DATE, today
from cpts.crises.models import Typology
from cpts.territory.models import Departement


class DeclareCrisisForm(DsfrBaseForm):
    declared_on = forms.DateField(label="Date de caractérisation", widget=DATE, initial=today)
    typology = forms.ChoiceField(label="Typologie", choices=Typology.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    departements = forms.ModelMultipleChoiceField(
        label="Départements concernés (aucun : toute la région)",
        queryset=Departement.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, region_id: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        queryset = Departement.objects.all()
        if region_id:
            queryset = queryset.filter(region_id=region_id)
        self.fields["departements"].queryset = queryset


class EndCrisisForm(DsfrBaseForm):
    ended_on = forms.DateField(label="Fin de la crise le", widget=DATE, initial=today)
