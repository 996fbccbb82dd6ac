"""Serious health crises declared by an ARS, and the communities' crisis plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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
    ended_on = models.DateField(
        "fin de la crise le",
        null=True,
        blank=True,
        help_text="Date à laquelle l'ARS clôt la crise ; vide : crise en cours.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "crise sanitaire grave"
        verbose_name_plural = "crises sanitaires graves"
        ordering = ["-declared_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("declared_on")),
                name="crisis_ends_after_its_declaration",
            )
        ]

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


# --- The communities' response to a declared crisis (issue 18, item 5) ----------------------------


class CrisisActivation(models.Model):
    """A community activates its crisis plan for a crisis that concerns it (once per crisis)."""

    crisis = models.ForeignKey(
        HealthCrisis, on_delete=models.PROTECT, related_name="activations", verbose_name="crise"
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="crisis_activations",
        verbose_name="CPTS",
    )
    activated_at = models.DateTimeField("activé le")
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The plan in force when the plan was activated (None: no adopted plan; allowed, flagged).
    plan = models.ForeignKey(
        CrisisPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="plan en vigueur",
    )
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "activation du plan de crise"
        verbose_name_plural = "activations du plan de crise"
        ordering = ["-activated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["crisis", "community"], name="crisis_activation_once_per_community"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community} — {self.crisis}"


class CrisisAction(models.Model):
    """One entry of an activation's action log."""

    activation = models.ForeignKey(
        CrisisActivation, on_delete=models.CASCADE, related_name="actions"
    )
    happened_at = models.DateTimeField("date et heure")
    description = models.TextField("action menée")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "action de crise"
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"Action du {timezone.localtime(self.happened_at):%d/%m/%Y %H:%M}"


class MobilisedMember(models.Model):
    """A member of the community mobilised for the crisis (a professional or a structure)."""

    activation = models.ForeignKey(
        CrisisActivation, on_delete=models.CASCADE, related_name="mobilised"
    )
    member = models.ForeignKey(
        "communities.Member", on_delete=models.PROTECT, related_name="+", verbose_name="membre"
    )
    role = models.CharField("rôle", max_length=200)
    mobilised_on = models.DateField("mobilisé le")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "membre mobilisé"
        ordering = ["member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["activation", "member"], name="crisis_member_mobilised_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.role}"


class CrisisMessage(models.Model):
    """An information message to the members, rendered from a template (``crises.mailing``)."""

    activation = models.ForeignKey(
        CrisisActivation, on_delete=models.CASCADE, related_name="messages"
    )
    template = models.CharField("modèle", max_length=32)
    subject = models.CharField("objet", max_length=300)
    body = models.TextField("texte")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("créé le")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "message de crise"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "en attente"
    SENT = "sent", "envoyé"
    FAILED = "failed", "en échec"
    NO_ADDRESS = "no_address", "sans adresse"  # listed, never sent


class MessageDelivery(models.Model):
    """A message to one member: its status, written by the worker (one queue task each).

    No history: the worker's writes have no author; the queue's task keeps the attempts."""

    message = models.ForeignKey(CrisisMessage, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey("communities.Member", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField("adresse", blank=True)
    status = models.CharField(
        "statut", max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "envoi d'un message"
        ordering = ["member__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "member"], name="crisis_delivery_once")
        ]
