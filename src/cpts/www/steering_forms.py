from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from cpts.steering.dashboards import SERIES_START, Filters

SIZE_CLASSES = [("", "Toutes")] + [(str(size), f"Taille {size}") for size in range(1, 5)]


class SteeringFilterForm(DsfrBaseForm):  # type: ignore[misc]
    """The filters of the steering dashboards (GET). The choices are those of the user's scope;
    a region or département out of scope never reaches the form (the view answers 404)."""

    region = forms.ChoiceField(label="Région", required=False)
    departement = forms.ChoiceField(label="Département", required=False)
    size_class = forms.TypedChoiceField(
        label="Taille de la CPTS", required=False, choices=SIZE_CLASSES, coerce=int,
        empty_value=None,
    )  # fmt: skip
    year = forms.TypedChoiceField(label="Année", required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        data: Any,
        *,
        regions: list[tuple[str, str]],
        departements: list[tuple[str, str, str]],
        this_year: int,
    ) -> None:
        super().__init__(data)
        self.region_of = {code: region for code, _, region in departements}
        if len(regions) > 1:
            self.fields["region"].choices = [("", "Toutes")] + [
                (code, f"{name} ({code})") for code, name in regions
            ]
        else:  # a single region (an ARS, a CPAM of one region): fixed
            del self.fields["region"]
        self.fields["departement"].choices = [("", "Tous")] + [
            (code, f"{name} ({code})") for code, name, _ in departements
        ]
        self.fields["year"].choices = [("", "Toutes")] + [
            (str(year), str(year)) for year in range(this_year, SERIES_START.year - 1, -1)
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()
        region, departement = data.get("region"), data.get("departement")
        if region and departement and self.region_of.get(departement) != region:
            self.add_error(
                "departement",
                f"Le département {departement} n'appartient pas à la région choisie ({region}).",
            )
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            region=data.get("region") or None,
            departement=data.get("departement") or None,
            size_class=data.get("size_class"),
            year=data.get("year"),
        )
