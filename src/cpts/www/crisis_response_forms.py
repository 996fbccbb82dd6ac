"""Forms of the crisis response (a community's activation page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from cpts.communities.models import Member
from cpts.core.forms import DATE, today
from cpts.crises.mailing import template_choices
from cpts.crises.response import MAX_TEXT


def _now() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class ActionForm(DsfrBaseForm):  # type: ignore[misc]
    happened_at = forms.DateTimeField(
        label="Date et heure",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=_now,
    )
    description = forms.CharField(
        label="Action menée", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


class MobiliseForm(DsfrBaseForm):  # type: ignore[misc]
    members = forms.ModelMultipleChoiceField(
        label="Membres à mobiliser",
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
        queryset=Member.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    role = forms.CharField(label="Rôle", max_length=200)
    mobilised_on = forms.DateField(label="Mobilisé(s) le", widget=DATE, initial=today)

    def __init__(self, *args: Any, available: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if available is not None:
            self.fields["members"].queryset = available


class MessageForm(DsfrBaseForm):  # type: ignore[misc]
    template = forms.ChoiceField(label="Modèle", choices=template_choices)
    text = forms.CharField(
        label="Texte libre",
        help_text="Inséré dans le modèle, tel quel (obligatoire pour les consignes).",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
