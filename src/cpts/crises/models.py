"""Serious health crises declared by an ARS, and the communities' crisis plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from cpts.territory.models import Departement, Region


class Typology(models.TextChoices):
    """The five typologies of the national crisis-plan template (avenant 2)."""

    EPIDEMIC = "epidemic", "épidémie ou pandémie"
    CLIMATE = "climate", "événement climatique (canicule, grand froid, inondation)"
    ACCIDENT = "accident", "accident collectif ou afflux de victimes"
    NRBC = "nrbc", "risque nucléaire, radiologique, biologique ou chimique"
    SUPPLY = "supply", "rupture d'approvisionnement ou de l'offre de soins"


class HealthCrisis(models.Model):
    """A serious health crisis characterised by an ARS, for its region or some départements."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="crises", verbose_name="région"
    )
    departements = models.ManyToManyField(
        Departement,
        blank=True,
        verbose_name="départements concernés",
        help_text="Vide : toute la région.",
    )
    declared_on = models.DateField("date de caractérisation par l'ARS")
    typology = models.CharField("typologie", max_length=16, choices=Typology.choices)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "crise sanitaire grave"
        verbose_name_plural = "crises sanitaires graves"
        ordering = ["-declared_on"]

    def __str__(self) -> str:
        return f"{self.title} ({self.declared_on:%d/%m/%Y})"


class CrisisPlan(models.Model):
    """A community's crisis plan for a year: written the first year, updated each year after."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="crisis_plans"
    )
    year = models.PositiveSmallIntegerField("année")
    version = models.PositiveSmallIntegerField("version", default=1)
    typologies = models.JSONField("typologies couvertes", default=list)
    axis_actions = models.TextField("modalités d'action adaptées au territoire", blank=True)
    axis_coordination_medico_social = models.TextField(
        "coordination ville et médico-social pour les personnes exposées", blank=True
    )
    axis_coordination_hospitals = models.TextField(
        "coordination secteur ambulatoire et établissements", blank=True
    )
    axis_information_professionals = models.TextField(
        "information des professionnels de santé", blank=True
    )
    axis_information_population = models.TextField("information de la population", blank=True)
    adopted_on = models.DateField("date d'adoption", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "plan de crise"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "version"], name="crisis_plan_version_once"
            )
        ]

    #: The five axes of the national template, in its order.
    AXES = (
        "axis_actions",
        "axis_coordination_medico_social",
        "axis_coordination_hospitals",
        "axis_information_professionals",
        "axis_information_population",
    )

    def __str__(self) -> str:
        return f"Plan de crise {self.year} v{self.version} — {self.community}"

    def axes(self) -> list[tuple[str, str]]:
        """(label, text) of each of the five axes, in the national template's order."""
        fields = {field.name: field for field in self._meta.fields}
        return [(str(fields[name].verbose_name), getattr(self, name)) for name in self.AXES]
