"""Reference geography: regions, départements, communes and municipal arrondissements."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from simple_history.models import HistoricalRecords


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


class Epci(models.Model):
    """An intercommunality: an EPCI à fiscalité propre (communauté de communes, d'agglomération,
    urbaine, métropole) or an établissement public territorial of the Grand Paris, with its member
    communes (DGCL list, via Etalab; see ``data/SOURCE.md``)."""

    class Nature(models.TextChoices):
        CC = "CC", "communauté de communes"
        CA = "CA", "communauté d'agglomération"
        CU = "CU", "communauté urbaine"
        METRO = "METRO", "métropole"
        MET69 = "MET69", "Métropole de Lyon"
        EPT = "EPT", "établissement public territorial"

    code = models.CharField("numéro SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)
    nature = models.CharField("nature", max_length=8, choices=Nature.choices)
    communes = models.ManyToManyField(
        Commune, related_name="epcis", verbose_name="communes membres"
    )

    class Meta:
        verbose_name = "intercommunalité"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class FormerCode(models.Model):
    """The INSEE code of a former commune (merged into a commune nouvelle, or associated)."""

    code = models.CharField("ancien code INSEE", max_length=5, primary_key=True)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="former_codes")
    former_name = models.CharField("ancien nom", max_length=100, blank=True)

    class Meta:
        verbose_name = "ancien code de commune"

    def __str__(self) -> str:
        return f"{self.code} → {self.commune_id}"


class PopulationVintage(models.Model):
    """A vintage of INSEE legal populations (« millésime »): year of the census reference and the
    date from which it is in force (1 January of year + 3)."""

    year = models.PositiveSmallIntegerField("millésime", primary_key=True)
    in_force_from = models.DateField("en vigueur à partir du")
    source = models.CharField("source", max_length=300)

    class Meta:
        verbose_name = "millésime de populations légales"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Populations légales {self.year}"


class CommunePopulation(models.Model):
    vintage = models.ForeignKey(
        PopulationVintage, on_delete=models.CASCADE, related_name="populations"
    )
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="populations")
    population = models.PositiveIntegerField("population municipale")

    class Meta:
        verbose_name = "population légale"
        constraints = [
            models.UniqueConstraint(
                fields=["vintage", "commune"], name="population_once_per_vintage"
            )
        ]


class Perimeter(models.Model):
    """A dated version of a community's perimeter: a set of communes and arrondissements.

    A whole commune listed means all of its arrondissements. Versions of one community never
    overlap (an exclusion constraint on ``[valid_from, valid_to)``): the current one has no end
    date.
    """

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="perimeters"
    )
    valid_from = models.DateField("en vigueur à partir du")
    valid_to = models.DateField("jusqu'au (exclu)", null=True, blank=True)
    communes = models.ManyToManyField(Commune, through="PerimeterItem", related_name="perimeters")
    source = models.CharField("source", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "périmètre"
        ordering = ["community", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                condition=models.Q(valid_to__isnull=True),
                name="one_current_perimeter",
            ),
            models.UniqueConstraint(
                fields=["community", "valid_from"], name="perimeter_version_once"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="perimeter_ends_after_it_starts",
            ),
            ExclusionConstraint(
                name="perimeter_versions_never_overlap",
                expressions=[
                    ("community", RangeOperators.EQUAL),
                    (
                        models.Func(
                            models.F("valid_from"),
                            models.F("valid_to"),
                            RangeBoundary(),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"Périmètre de {self.community} au {self.valid_from:%d/%m/%Y}"


class PerimeterItem(models.Model):
    """A commune of a perimeter version. Items are written once, with their version (a change of
    perimeter is a new version); their history keeps which communes each version held, even after
    a deletion, and the history page shows it on the version's row."""

    perimeter = models.ForeignKey(Perimeter, on_delete=models.CASCADE, related_name="items")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["perimeter", "commune"], name="perimeter_item_once")
        ]
