"""Reference geography: regions, départements, communes and municipal arrondissements."""

from __future__ import annotations

from django.db import models


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departements", verbose_name="région"
    )

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Commune(models.Model):
    """A current commune, or a municipal arrondissement of Paris, Lyon or Marseille."""

    class Kind(models.TextChoices):
        COMMUNE = "commune", "commune"
        ARRONDISSEMENT = "arrondissement", "arrondissement municipal"

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=100)
    kind = models.CharField("nature", max_length=16, choices=Kind.choices, default=Kind.COMMUNE)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="arrondissements"
    )
    population = models.PositiveIntegerField("population légale", null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(
        "année de référence de la population", null=True, blank=True
    )

    class Meta:
        verbose_name = "commune"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
