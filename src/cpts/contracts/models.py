"""The lifecycle of a community: letter of intent, accélérateur, health project, contract,
missions, indicator annex and evaluation, payments.

Every amount comes from :mod:`cpts.aci` (see ``services.py``); nothing here computes money.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from cpts.aci import Mission
from cpts.communities.models import Community, Member

MISSION_CHOICES = [(mission.value, mission.label) for mission in Mission]


class Decision(models.TextChoices):
    FILED = "filed", "déposé, en attente de décision"
    VALIDATED = "validated", "validé"
    REFUSED = "refused", "refusé"


class DecidedDocument(models.Model):
    """Something a community files and the ARS validates or refuses with a reason."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="%(class)ss")
    filed_on = models.DateField("date de dépôt")
    summary = models.TextField("résumé")
    status = models.CharField(
        "état", max_length=16, choices=Decision.choices, default=Decision.FILED
    )
    decided_on = models.DateField("date de décision", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        abstract = True
        ordering = ["-filed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="%(class)s_refusal_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} de {self.community} ({self.get_status_display()})"


class LetterOfIntent(DecidedDocument):
    history = HistoricalRecords()

    class Meta(DecidedDocument.Meta):
        verbose_name = "lettre d'intention"
        verbose_name_plural = "lettres d'intention"


class HealthProject(DecidedDocument):
    history = HistoricalRecords()

    class Meta(DecidedDocument.Meta):
        verbose_name = "projet de santé"
        verbose_name_plural = "projets de santé"


class AcceleratorGrant(models.Model):
    """The accélérateur granted to a project before its contract (avenant 2, annex 6)."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="accelerator"
    )
    granted_on = models.DateField("date d'octroi")
    size_class = models.PositiveSmallIntegerField("taille")
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    health_project_due = models.DateField("projet de santé attendu au plus tard le")
    explanation = models.JSONField("explication du calcul")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "accélérateur"

    def __str__(self) -> str:
        return f"Accélérateur de {self.community}"


class Contract(models.Model):
    """The three-party contract (CPTS, CPAM, ARS): adhesion to the ACI."""

    community = models.OneToOneField(Community, on_delete=models.PROTECT, related_name="contract")
    signed_on = models.DateField("date de signature")
    community_signatory = models.CharField("signataire pour la CPTS", max_length=200)
    cpam_signatory = models.CharField("signataire pour la CPAM", max_length=200)
    ars_signatory = models.CharField("signataire pour l'ARS", max_length=200)
    terminated_on = models.DateField("date de résiliation", null=True, blank=True)
    amendment_needed = models.TextField(
        "avenant nécessaire",
        blank=True,
        help_text="Renseigné quand un changement de périmètre change la taille de la CPTS.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "contrat"

    def __str__(self) -> str:
        return f"Contrat de {self.community} signé le {self.signed_on:%d/%m/%Y}"


class MissionCommitment(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="missions")
    mission = models.CharField("mission", max_length=16, choices=MISSION_CHOICES)
    started_on = models.DateField("date de démarrage", null=True, blank=True)
    deployed_on = models.DateField("date de déploiement", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "mission"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "mission"], name="mission_once_per_contract"
            ),
            models.CheckConstraint(
                condition=models.Q(deployed_on__isnull=True)
                | (
                    models.Q(started_on__isnull=False)
                    & models.Q(deployed_on__gte=models.F("started_on"))
                ),
                name="mission_deployed_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.get_mission_display()

    @property
    def code(self) -> Mission:
        return Mission(self.mission)


class Evaluation(models.Model):
    """The annual evaluation of a contract year by the CPAM (and the ARS)."""

    class Status(models.TextChoices):
        OPEN = "open", "en cours"
        CLOSED = "closed", "close"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="evaluations")
    contract_year = models.PositiveSmallIntegerField("année contractuelle")
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField("date de clôture", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.JSONField("résultat du calcul", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "évaluation annuelle"
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "contract_year"], name="evaluation_once_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"Évaluation de l'année {self.contract_year} — {self.contract.community}"


class Indicator(models.Model):
    """An indicator of the contract's annex for a contract year: it pays part of a variable part."""

    class Kind(models.TextChoices):
        GRADED = "graded", "gradué par paliers"
        TARGET = "target", "cible (tout ou rien)"
        DONE = "done", "action réalisée ou non"

    class Verdict(models.TextChoices):
        PENDING = "pending", "à évaluer"
        ACCEPTED = "accepted", "accepté"
        REFUSED = "refused", "refusé"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="indicators")
    contract_year = models.PositiveSmallIntegerField("année contractuelle")
    mission = models.CharField("mission", max_length=16, choices=MISSION_CHOICES)
    action = models.CharField("action", max_length=300)
    referent = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="référent",
    )
    label = models.CharField("indicateur", max_length=300)
    kind = models.CharField("nature", max_length=8, choices=Kind.choices)
    lower_is_better = models.BooleanField("plus bas est mieux", default=False)
    objective = models.DecimalField(
        "objectif", max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField("montant si atteint", max_digits=12, decimal_places=2)
    tiers = models.JSONField(
        "paliers", default=list, blank=True, help_text="[{label, threshold, amount}]"
    )
    measured_value = models.DecimalField(
        "valeur mesurée", max_digits=14, decimal_places=2, null=True, blank=True
    )
    done = models.BooleanField("réalisé", default=False)
    remarks = models.TextField("remarques", blank=True)
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_into",
        verbose_name="reporté de l'indicateur",
    )  # fmt: skip
    verdict = models.CharField(
        "décision", max_length=8, choices=Verdict.choices, default=Verdict.PENDING
    )
    verdict_reason = models.TextField("motif", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField("date de décision", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicateur"
        ordering = ["contract_year", "mission", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="indicator_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="refused") | ~models.Q(verdict_reason=""),
                name="indicator_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Deliverable(models.Model):
    """A proof the CPAM expects for an indicator (attendance sheet, minutes, statistics...)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="deliverables")
    label = models.CharField("livrable", max_length=300)
    ticked = models.BooleanField("fourni", default=False)
    proof = models.FileField("justificatif", upload_to="proofs/%Y/", blank=True)
    uploaded_on = models.DateTimeField("déposé le", null=True, blank=True)

    class Meta:
        verbose_name = "livrable"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label


class PaymentKind(models.TextChoices):
    FUNCTIONING = "functioning", "fonctionnement à la signature"
    ADVANCE = "advance", "avance annuelle"
    MISSION_START = "mission_start", "avance au démarrage d'une mission"
    CRISIS = "crisis", "part variable de crise"
    BALANCE = "balance", "solde"
    ACCELERATOR = "accelerator", "accélérateur"


ONCE_A_YEAR = ["functioning", "advance", "crisis", "balance"]


class PaymentRun(models.Model):
    """A run of the payments due on a date, for the contracts in the scope of its author."""

    run_on = models.DateField("date de la campagne")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    payments_count = models.PositiveIntegerField("versements", default=0)
    total = models.DecimalField("montant total", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "campagne de paiement"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Campagne du {self.run_on:%d/%m/%Y}"


class Payment(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "à verser"
        PAID = "paid", "versé"

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="payments")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    contract_year = models.PositiveSmallIntegerField("année contractuelle", null=True, blank=True)
    kind = models.CharField("nature", max_length=16, choices=PaymentKind.choices)
    label = models.CharField("libellé", max_length=300)
    amount = models.DecimalField("montant calculé", max_digits=12, decimal_places=2)
    corrected_amount = models.DecimalField(
        "montant corrigé", max_digits=12, decimal_places=2, null=True, blank=True
    )
    correction_reason = models.TextField("motif de la correction", blank=True)
    due_on = models.DateField("échéance")
    paid_on = models.DateField("date de versement", null=True, blank=True)
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.DUE)
    explanation = models.JSONField("explication du moteur de règles")
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "versement"
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="payment_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(corrected_amount__isnull=True) | ~models.Q(correction_reason=""),
                name="payment_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status="due") | models.Q(paid_on__isnull=False),
                name="paid_payment_has_date",
            ),
            # Idempotence: a payment run can never pay the same thing twice.
            models.UniqueConstraint(
                fields=["contract", "contract_year", "kind"],
                condition=models.Q(kind__in=ONCE_A_YEAR),
                name="payment_once_a_year",
            ),
            models.UniqueConstraint(
                fields=["contract", "contract_year", "kind", "due_on"],
                name="payment_once_per_due_date",
            ),
            models.UniqueConstraint(
                fields=["community"],
                condition=models.Q(kind="accelerator"),
                name="accelerator_paid_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.community}"

    @property
    def final_amount(self):  # type: ignore[no-untyped-def]
        return self.corrected_amount if self.corrected_amount is not None else self.amount
