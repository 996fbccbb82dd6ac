from __future__ import annotations

import datetime as dt

from django import forms
from dsfr.forms import DsfrBaseForm

from cpts.core.forms import DATE, today
from cpts.territory.models import Region


class CoverageFilterForm(DsfrBaseForm):  # type: ignore[misc]
    region = forms.ModelChoiceField(
        label="Région", queryset=Region.objects.all(), required=False, empty_label="France entière"
    )
    on = forms.DateField(label="À la date du", widget=DATE, required=False)

    #: the days the overview answers for: each new day is computed (and cached) once, so an
    #: unbounded choice would let one user fill the shared cache with far-fetched days
    FIRST_DAY = dt.date(2000, 1, 1)
    YEARS_AHEAD = 5

    def clean_on(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("on")
        if day is None:
            return None
        now = today()
        last = now.replace(year=now.year + self.YEARS_AHEAD, day=min(now.day, 28))
        if not self.FIRST_DAY <= day <= last:
            raise forms.ValidationError(
                f"Choisissez une date entre le 01/01/{self.FIRST_DAY.year} et le {last:%d/%m/%Y}."
            )
        return day


class PerimeterImportForm(DsfrBaseForm):  # type: ignore[misc]
    file = forms.FileField(
        label="Fichier des périmètres",
        help_text="CSV « community,code[,finess] » ou GeoJSON ; 20 Mo au plus.",
    )
    valid_from = forms.DateField(label="Date d'effet des périmètres", widget=DATE, initial=today)
    dry_run = forms.BooleanField(label="Vérifier seulement, sans rien enregistrer", required=False)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".geojson", ".json")):
            raise forms.ValidationError(
                "Format non reconnu : un fichier .csv ou .geojson est attendu."
            )
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("Fichier trop volumineux : 20 Mo au plus.")
        return upload
