"""Users and their role. What each role may see and do is decided in :mod:`cpts.accounts.access`."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "coordinateur ou coordinatrice de CPTS"
    CPAM = "cpam", "agent de CPAM"
    ARS = "ars", "agent d'ARS"
    NATIONAL = "national", "lecture nationale"
    FACILITATOR = "facilitator", "facilitateur ou facilitatrice"
    REGULATOR = "regulator", "régulation du SAS"
    ADMIN = "admin", "administration"


class User(AbstractUser):
    role = models.CharField("rôle", max_length=16, choices=Role.choices, default=Role.NATIONAL)
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinators",
        verbose_name="CPTS coordonnée",
    )
    region = models.ForeignKey(
        "territory.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="région (ARS)",
    )
    departements = models.ManyToManyField(
        "territory.Departement",
        blank=True,
        related_name="cpam_officers",
        verbose_name="départements (CPAM)",
    )
    accompanied = models.ManyToManyField(
        "communities.Community",
        blank=True,
        related_name="facilitators",
        verbose_name="CPTS accompagnées",
    )

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="coordinator") | models.Q(community__isnull=False),
                name="coordinator_has_community",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="ars") | models.Q(region__isnull=False),
                name="ars_officer_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token of a machine account (a SAS platform, a regulation), with its user's rights.

    Only the SHA-256 digest of the token is stored: a stolen database gives no usable token. The
    token carries 256 random bits, so an unsalted digest is enough (no password to brute-force).
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="utilisateur"
    )
    label = models.CharField("libellé", max_length=100, blank=True)
    digest = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        "préfixe",
        max_length=16,
        unique=True,
        editable=False,
        help_text="Début du jeton, non secret",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="révoqué par",
    )
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = "jeton d'accès"
        verbose_name_plural = "jetons d'accès"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
