"""Indicators computed from the claims, stored per scope (a community, its département, the
nation) and data period; recomputing a period replaces its values in place (same rows).

The département's and the nation's values are those of one community's computation: each
community computation owns its comparisons (``Computation.owner``), so that another community's
computation, or one on other claims, never changes what a community's dashboard shows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from cpts.communities.models import Community
from cpts.territory.models import Departement


class Scope(models.TextChoices):
    COMMUNITY = "community", "CPTS"
    DEPARTEMENT = "departement", "département"
    NATIONAL = "national", "France entière"


class Engine(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SPARK = "spark", "Spark"


class Computation(models.Model):
    """One computation of every indicator on one territory over one data period: its
    provenance (claims folder, engine, when, by whom) and what it counted.

    A community's computation names the département it is compared with (``departement``): the
    département holding most of its population at the period's end. The département's and the
    nation's computations made with it belong to it (``owner``): one of each per community
    computation, rewritten only with it.
    """

    scope = models.CharField("territoire", max_length=16, choices=Scope.choices)
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="computations",
        verbose_name="CPTS",
    )
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="département",
    )
    owner = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comparisons",
        verbose_name="calcul de la CPTS comparée",
    )
    start = models.DateField("données du")
    end = models.DateField("données au (inclus)")
    engine = models.CharField("moteur", max_length=16, choices=Engine.choices)
    claims_dir = models.CharField("dossier des données", max_length=500)
    communes = models.PositiveIntegerField("codes de communes du territoire")
    population = models.PositiveIntegerField("bénéficiaires résidant sur le territoire")
    unknown_residence = models.PositiveIntegerField("bénéficiaires de résidence inconnue")
    computed_at = models.DateTimeField("calculé le")
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="calculé par",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "calcul d'indicateurs"
        verbose_name_plural = "calculs d'indicateurs"
        ordering = ["start", "scope", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="computation_period_ordered"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="community")
                    & models.Q(community__isnull=False)
                    & models.Q(departement__isnull=False)
                    & models.Q(owner__isnull=True)
                )
                | (
                    models.Q(scope="departement")
                    & models.Q(community__isnull=True)
                    & models.Q(departement__isnull=False)
                    & models.Q(owner__isnull=False)
                )
                | (
                    models.Q(scope="national")
                    & models.Q(community__isnull=True)
                    & models.Q(departement__isnull=True)
                    & models.Q(owner__isnull=False)
                ),
                name="computation_scope_consistent",
            ),
            # Idempotence: one computation per community and data period (recomputing replaces),
            # one département and one nation per community computation.
            models.UniqueConstraint(
                fields=["community", "start", "end"],
                condition=models.Q(scope="community"),
                name="computation_once_per_community_period",
            ),
            models.UniqueConstraint(
                fields=["owner", "scope"],
                condition=models.Q(owner__isnull=False),
                name="comparison_once_per_community_computation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.territory_label} — données du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    @property
    def territory_label(self) -> str:
        if self.scope == Scope.COMMUNITY:
            return str(self.community)
        if self.scope == Scope.DEPARTEMENT:
            return str(self.departement)
        return Scope.NATIONAL.label

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return self.start, self.end


class ComputedIndicator(models.Model):
    """The value of one indicator in one computation: a share (numerator / denominator, rounded
    to 4 decimals by the claims package; no value over a denominator of 0) or a count (no
    denominator). A count may be negative: regularisations in the period cancelling acts of an
    earlier one (``regulated_care_acts`` is a sum of quantities); a share's numerator lies
    between 0 and its denominator."""

    computation = models.ForeignKey(
        Computation, on_delete=models.CASCADE, related_name="results", verbose_name="calcul"
    )
    code = models.CharField("code", max_length=64)
    label = models.CharField("indicateur", max_length=300)
    numerator = models.BigIntegerField("numérateur")
    denominator = models.PositiveBigIntegerField("dénominateur", null=True, blank=True)
    value = models.DecimalField("valeur", max_digits=18, decimal_places=4, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicateur calculé"
        verbose_name_plural = "indicateurs calculés"
        ordering = ["computation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "code"], name="computed_indicator_once_per_computation"
            ),
            models.CheckConstraint(
                condition=models.Q(denominator__isnull=True)
                | (models.Q(numerator__gte=0) & models.Q(numerator__lte=models.F("denominator"))),
                name="computed_share_within_its_denominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} : {self.value}"

    @property
    def is_share(self) -> bool:
        return self.denominator is not None
