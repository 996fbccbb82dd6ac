"""Forms of unscheduled care (DSFR): the community's organisation, volunteers and slots; the
regulation's requests, bookings and outcomes. Errors in French beside the field; nothing saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from cpts.core.forms import DATE, today
from cpts.territory.models import Commune
from cpts.unscheduled_care.enums import Outcome, SlotKind, Urgency, Way
from cpts.unscheduled_care.models import Organisation
from cpts.unscheduled_care.selectors import search_communes
from cpts.unscheduled_care.services import MAX_SERIES_DAYS

CONTACT_KEYS = ("nom", "fonction", "téléphone", "courriel")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def contacts_as_text(contacts: list[dict[str, str]]) -> str:
    return "\n".join(
        " ; ".join(str(item.get(key, "")) for key in CONTACT_KEYS)
        for item in contacts
        if isinstance(item, dict)
    )


class OrganisationForm(DsfrBaseForm):  # type: ignore[misc]
    valid_from = forms.DateField(label="En vigueur à partir du", widget=DATE, initial=today)
    ways = forms.MultipleChoiceField(
        label="Modes de réponse",
        choices=Way.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un mode de réponse."},
    )
    contacts = forms.CharField(
        label="Personnes à contacter",
        help_text="Une personne par ligne : nom ; fonction ; téléphone ; courriel.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    phone = forms.CharField(label="Ligne dédiée (numéro)", max_length=20, required=False)
    structures = forms.CharField(
        label="Structures organisées",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    notes = forms.CharField(
        label="Précisions",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    @classmethod
    def initial_from(cls, organisation: Organisation | None) -> dict[str, Any]:
        if organisation is None:
            return {}
        return {
            "ways": list(organisation.ways),
            "contacts": contacts_as_text(organisation.contacts),
            "phone": organisation.phone,
            "structures": organisation.structures,
            "notes": organisation.notes,
        }

    def clean_contacts(self) -> list[dict[str, str]]:
        contacts = []
        for number, line in enumerate(self.cleaned_data.get("contacts", "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            if len(parts) > len(CONTACT_KEYS) or not parts[0]:
                raise forms.ValidationError(
                    f"Ligne {number} : écrivez « nom ; fonction ; téléphone ; courriel »."
                )
            contacts.append(
                {key: value for key, value in zip(CONTACT_KEYS, parts, strict=False) if value}
            )
        return contacts


class VolunteerForm(DsfrBaseForm):  # type: ignore[misc]
    member = forms.TypedChoiceField(label="Professionnel membre", coerce=int)
    since = forms.DateField(label="Volontaire depuis le", widget=DATE, initial=today)

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "— choisir —")] + [
            (
                member.pk,
                f"{member.name} — {member.get_profession_display() or 'profession non renseignée'}"
                f" — {member.commune.name if member.commune else 'commune non renseignée'}"
                f" (RPPS {member.rpps})",
            )
            for member in members
        ]


class SlotsForm(DsfrBaseForm):  # type: ignore[misc]
    volunteer = forms.TypedChoiceField(label="Professionnel volontaire", coerce=int)
    day = forms.DateField(label="Date (premier jour)", widget=DATE, initial=today)
    start = forms.TimeField(label="Heure de début", widget=TIME)
    minutes = forms.IntegerField(label="Durée (minutes)", min_value=5, max_value=720, initial=20)
    repeat = forms.IntegerField(
        label="Répéter sur (jours)",
        min_value=1,
        max_value=MAX_SERIES_DAYS,
        initial=1,
        help_text="1 : ce jour seulement ; 5 : le même créneau cinq jours de suite.",
    )
    kinds = forms.MultipleChoiceField(
        label="Types de créneau (SAS)",
        choices=SlotKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[SlotKind.SNP],
        error_messages={"required": "Choisissez au moins un type de créneau."},
    )

    def __init__(self, *args: Any, volunteers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = [("", "— choisir —")] + [
            (volunteer.pk, volunteer.member.name) for volunteer in volunteers if volunteer.active
        ]


class RequestForm(DsfrBaseForm):  # type: ignore[misc]
    commune = forms.CharField(
        label="Commune du patient",
        help_text="Code INSEE (5 caractères) ou nom de la commune.",
        max_length=100,
        error_messages={"required": "Indiquez la commune du patient."},
    )
    urgency = forms.ChoiceField(
        label="Urgence",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        initial=Urgency.WITHIN_DEADLINE,
        error_messages={"required": "Choisissez le niveau d'urgence."},
    )
    received_at = forms.DateTimeField(
        label="Demande reçue le",
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages={
            "required": "Indiquez l'heure de réception de la demande.",
            "invalid": "Saisissez une date et une heure valides.",
        },
    )

    def __init__(self, *args: Any, departements: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departements = departements
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_commune(self) -> Commune:
        text = self.cleaned_data["commune"]
        found = search_communes(text)
        if not found:
            raise forms.ValidationError(f"Aucune commune ne correspond à « {text} ».")
        if self.departements is not None and len(found) > 1:
            # propose only the communes of the regulation's départements
            found = [c for c in found if c.departement_id in self.departements]
            if not found:
                raise forms.ValidationError(
                    f"Aucune commune « {text} » dans les départements de votre régulation."
                )
        if len(found) > 1:
            listed = ", ".join(str(commune) for commune in found[:10])
            raise forms.ValidationError(
                f"Plusieurs communes correspondent : précisez le code INSEE ({listed})."
            )
        commune = found[0]
        if self.departements is not None and commune.departement_id not in self.departements:
            raise forms.ValidationError(f"{commune} est hors des départements de votre régulation.")
        return commune

    def clean_received_at(self) -> dt.datetime:
        moment: dt.datetime = self.cleaned_data["received_at"]
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment > timezone.now():
            raise forms.ValidationError("L'heure de réception ne peut pas être dans le futur.")
        return moment


class BookForm(DsfrBaseForm):  # type: ignore[misc]
    slot = forms.IntegerField(widget=forms.HiddenInput)


class OutcomeForm(DsfrBaseForm):  # type: ignore[misc]
    outcome = forms.ChoiceField(
        label="Suite de la demande",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez la suite de la demande."},
    )
