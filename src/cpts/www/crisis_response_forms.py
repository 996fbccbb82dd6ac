"""Forms of the crisis response (a community's activation page)."""

from __future__ import annotations

import re
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


def _natural_key(text: str) -> list[Any]:
    """« Professionnel 1-6 » before « Professionnel 1-58 »: the digits compare as numbers."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def _group(member: Member) -> str:
    if member.profession:
        return str(member.get_profession_display())
    if member.structure_kind:
        return str(member.get_structure_kind_display())
    return "Autres membres"


def member_choices(members: Any) -> list[tuple[str, list[tuple[int, str]]]]:
    """The members grouped by profession (or type of structure), each group in natural order of
    names; the groups in alphabetical order."""
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(_group(member), []).append(member)
    return [
        (
            label,
            [
                (member.pk, member.name)
                for member in sorted(groups[label], key=lambda m: (_natural_key(m.name), m.pk))
            ],
        )
        for label in sorted(groups, key=_natural_key)
    ]


class MobiliseForm(DsfrBaseForm):  # type: ignore[misc]
    members = forms.ModelMultipleChoiceField(
        label="Membres à mobiliser",
        help_text="Par profession ; maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
        queryset=Member.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    role = forms.CharField(label="Rôle", max_length=200)
    mobilised_on = forms.DateField(label="Mobilisé(s) le", widget=DATE, initial=today)

    def __init__(self, *args: Any, available: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if available is not None:
            field = self.fields["members"]
            field.queryset = available
            # displayed grouped and in natural order; validated against the queryset
            field.widget.choices = member_choices(available)


class MessageForm(DsfrBaseForm):  # type: ignore[misc]
    template = forms.ChoiceField(label="Modèle", choices=template_choices)
    text = forms.CharField(
        label="Texte libre",
        help_text="Inséré dans le modèle, tel quel (obligatoire pour les consignes).",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
