"""Users and their role. What each role may see and do is decided in :mod:`cpts.accounts.access`."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "coordinateur ou coordinatrice de CPTS"
    CPAM = "cpam", "agent de CPAM"
    ARS = "ars", "agent d'ARS"
    NATIONAL = "national", "lecture nationale"
    FACILITATOR = "facilitator", "facilitateur ou facilitatrice"
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
