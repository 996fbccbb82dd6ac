"""The lifecycle of a community: letter of intent, accélérateur, health project, contract,
missions, indicator annex and evaluation, payments.

Every amount comes from :mod:`cpts.aci` (see ``services.py``); nothing here computes money.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from cpts.aci import Mission
from cpts.communities.models import Community, Member

MISSION_CHOICES = [(mission.value, mission.label) for mission in Mission]

#: States of a letter of intent or a health project that block filing another one.
LIVE_DECISIONS = ["filed", "validated"]


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
            ),
            # At most one live document (filed or validated) per community: after a refusal,
            # the community files a new one.
            models.UniqueConstraint(
                fields=["community"],
                condition=models.Q(status__in=LIVE_DECISIONS),
                name="%(class)s_one_live_per_community",
            ),
            models.CheckConstraint(
                condition=models.Q(status="filed")
                | (models.Q(decided_on__isnull=False) & models.Q(decided_by__isnull=False)),
                name="%(class)s_decision_has_date_and_author",
            ),
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
    """The three-party contract (CPTS, CPAM, ARS): adhesion to the ACI, for five years.

    A community has one contract after another (renewals); their periods
    ``[signed_on, terminated_on or ends_on)`` never overlap (an exclusion constraint, created by
    migration 0005, declared here since 0006). The terms the amounts depend on
    (population, size class, members) are recorded at the signature and change only through an
    applied :class:`Amendment`.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="contracts")
    signed_on = models.DateField("date de signature")
    ends_on = models.DateField("fin du contrat (exclue)")
    renews = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewed_by",
        verbose_name="renouvelle le contrat",
    )
    community_signatory = models.CharField("signataire pour la CPTS", max_length=200)
    cpam_signatory = models.CharField("signataire pour la CPAM", max_length=200)
    ars_signatory = models.CharField("signataire pour l'ARS", max_length=200)
    # The terms recorded at the signature (then changed by amendments only).
    population = models.PositiveIntegerField("population à la signature")
    size_class = models.PositiveSmallIntegerField("taille à la signature")
    members = models.PositiveIntegerField("membres à la signature")
    perimeter = models.ForeignKey(
        "territory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="périmètre à la signature",
    )
    terminated_on = models.DateField("date de résiliation", null=True, blank=True)
    termination_reason = models.TextField("motif de la résiliation", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "contrat"
        ordering = ["community", "-signed_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("signed_on")),
                name="contract_ends_after_signature",
            ),
            models.CheckConstraint(
                condition=models.Q(terminated_on__isnull=True)
                | (
                    models.Q(terminated_on__gte=models.F("signed_on"))
                    & models.Q(terminated_on__lt=models.F("ends_on"))
                    & ~models.Q(termination_reason="")
                ),
                name="contract_termination_within_period_with_reason",
            ),
            ExclusionConstraint(
                name="contract_periods_never_overlap",
                expressions=[
                    ("community", RangeOperators.EQUAL),
                    (
                        models.Func(
                            models.F("signed_on"),
                            Coalesce("terminated_on", "ends_on"),
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
        return f"Contrat de {self.community} signé le {self.signed_on:%d/%m/%Y}"

    @property
    def period_end(self) -> dt.date:
        """The day the contract stops (exclusive): its end, or its termination."""
        return self.terminated_on or self.ends_on

    def status_on(self, day: dt.date) -> str:
        if self.terminated_on and day >= self.terminated_on:
            return "terminated"
        if day < self.signed_on:
            return "signed"
        if day >= self.ends_on:
            return "ended"
        return "active"

    def status_label_on(self, day: dt.date) -> str:
        return CONTRACT_STATUS_LABELS[self.status_on(day)]


CONTRACT_STATUS_LABELS = {
    "signed": "signé, pas encore commencé",
    "active": "en cours",
    "ended": "échu",
    "terminated": "résilié",
}


class Amendment(models.Model):
    """An amendment (avenant): new terms (population, size class, members) from a date of effect.

    Proposed when a perimeter or the members change what the contract pays (size class, or the
    increase of size 4); applied by the CPAM; the money impact on each year concerned is computed
    by the engine and kept. A change of size class is never applied silently.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposé, à signer"
        APPLIED = "applied", "signé et appliqué"
        DISMISSED = "dismissed", "écarté"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    status = models.CharField(
        "état", max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_on = models.DateField("proposé le")
    cause = models.TextField("motif")
    population = models.PositiveIntegerField("population")
    size_class = models.PositiveSmallIntegerField("taille")
    members = models.PositiveIntegerField("membres")
    perimeter = models.ForeignKey(
        "territory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="périmètre",
    )
    effective_from = models.DateField("date d'effet", null=True, blank=True)
    impact = models.JSONField("impact financier par année", default=list, blank=True)
    decided_on = models.DateField("date de décision", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "avenant"
        ordering = ["contract", "-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="applied")
                | (
                    models.Q(effective_from__isnull=False)
                    & models.Q(decided_on__isnull=False)
                    & models.Q(decided_by__isnull=False)
                ),
                name="applied_amendment_has_date_and_author",
            ),
            # A dismissal is dated; its author may be unknown: a proposal superseded by a newer
            # one during an import run without a user (``services.propose_amendment``).
            models.CheckConstraint(
                condition=~models.Q(status="dismissed") | models.Q(decided_on__isnull=False),
                name="dismissed_amendment_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Avenant au {self.contract} ({self.get_status_display()})"


class ContractYear(models.Model):
    """A contract year as a recorded fact: its dates and the facts its amounts are computed from,
    fixed on its first day (the contract's terms in force that day, the grid in force that day).

    A year's amounts are computed from this row, never from the community's current state; once
    its evaluation is closed, its result is kept too (``result``, ``total``) and never changes.
    """

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="years")
    number = models.PositiveSmallIntegerField("année contractuelle")
    start = models.DateField("début")
    end = models.DateField("fin (exclue)")
    population = models.PositiveIntegerField("population")
    size_class = models.PositiveSmallIntegerField("taille")
    members = models.PositiveIntegerField("membres")
    grid = models.CharField("grille", max_length=32)
    perimeter = models.ForeignKey(
        "territory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="périmètre",
    )
    amendment = models.ForeignKey(
        Amendment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="years",
        verbose_name="avenant en vigueur",
    )
    recorded_at = models.DateTimeField("enregistrée le", auto_now_add=True)
    result = models.JSONField("résultat définitif", null=True, blank=True)
    total = models.DecimalField(
        "total définitif", max_digits=12, decimal_places=2, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "année contractuelle"
        verbose_name_plural = "années contractuelles"
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contract_year_once"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="contract_year_starts_at_one"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="contract_year_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(models.Q(result__isnull=True) & models.Q(total__isnull=True))
                | (models.Q(result__isnull=False) & models.Q(total__isnull=False)),
                name="contract_year_result_with_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Année {self.number} du {self.contract}"


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
            ),
            models.CheckConstraint(
                condition=models.Q(contract_year__gte=1), name="evaluation_year_starts_at_one"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open")
                | (models.Q(closed_on__isnull=False) & models.Q(closed_by__isnull=False)),
                name="closed_evaluation_has_date_and_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Évaluation de l'année {self.contract_year} — {self.contract.community}"


class Indicator(models.Model):
    """An indicator of the contract's annex for a contract year: it pays part of a variable part."""

    class Kind(models.TextChoices):
        GRADED = "graded", "gradué par paliers"
        TARGET = "target", "cible (tout ou rien)"
        DONE = "done", "action réalisée ou non"

    class Measure(models.TextChoices):
        """What a computed indicator gives the annex: a share as a percentage, or a number."""

        PERCENT = "percent", "part en pourcentage"
        NUMBER = "number", "nombre de patients ou d'actes"

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
    # Bound to an indicator computed from the claims (blank: the value is typed by hand).
    computed_code = models.CharField("indicateur calculé", max_length=64, blank=True)
    computed_measure = models.CharField(
        "mesure retenue", max_length=8, choices=Measure.choices, blank=True
    )
    # Provenance of a measured value filled from the claims (none when typed by hand).
    computed_result = models.ForeignKey(
        "indicators.ComputedIndicator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="résultat calculé",
    )
    computed_start = models.DateField("données du", null=True, blank=True)
    computed_end = models.DateField("données au", null=True, blank=True)
    computed_engine = models.CharField("moteur de calcul", max_length=16, blank=True)
    computed_at = models.DateTimeField("calculé le", null=True, blank=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="calculé par",
    )
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
            models.CheckConstraint(
                condition=models.Q(contract_year__gte=1), name="indicator_year_starts_at_one"
            ),
            models.CheckConstraint(
                condition=models.Q(verdict="pending")
                | (models.Q(decided_on__isnull=False) & models.Q(decided_by__isnull=False)),
                name="indicator_verdict_has_date_and_author",
            ),
            models.CheckConstraint(
                condition=(models.Q(computed_code="") & models.Q(computed_measure=""))
                | (~models.Q(computed_code="") & ~models.Q(computed_measure="")),
                name="indicator_binding_has_its_measure",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(computed_at__isnull=True)
                    & models.Q(computed_start__isnull=True)
                    & models.Q(computed_end__isnull=True)
                    & models.Q(computed_engine="")
                )
                | (
                    models.Q(computed_at__isnull=False)
                    & models.Q(computed_start__isnull=False)
                    & models.Q(computed_end__isnull=False)
                    & ~models.Q(computed_engine="")
                    & ~models.Q(computed_code="")
                ),
                name="indicator_computed_value_has_provenance",
            ),
        ]

    @property
    def is_computed(self) -> bool:
        """Does the measured value come from the claims (with its provenance)?"""
        return self.computed_at is not None

    def __str__(self) -> str:
        return self.label


class Deliverable(models.Model):
    """A proof the CPAM expects for an indicator (attendance sheet, minutes, statistics...)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="deliverables")
    label = models.CharField("livrable", max_length=300)
    ticked = models.BooleanField("fourni", default=False)
    proof = models.FileField("justificatif", upload_to="proofs/%Y/", blank=True)
    uploaded_on = models.DateTimeField("déposé le", null=True, blank=True)
    history = HistoricalRecords()

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
    RECOVERY = "recovery", "reprise sur avances (solde négatif)"
    TERMINATION = "termination", "reversement après résiliation"
    ADJUSTMENT = "adjustment", "écriture de régularisation"
    ACCELERATOR = "accelerator", "accélérateur"


ONCE_A_YEAR = ["functioning", "advance", "crisis"]
#: A year is settled once: by a balance (paid to the community) or a recovery (owed by it).
SETTLEMENT = ["balance", "recovery"]
#: Entries that may be negative (money owed by the community).
SIGNED_KINDS = ["recovery", "termination", "adjustment"]


class PaymentRun(models.Model):
    """A run of the payments due on a date, for the contracts in the scope of its author."""

    run_on = models.DateField("date de la campagne")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scope = models.CharField("périmètre de la campagne", max_length=300, blank=True)
    payments_count = models.PositiveIntegerField("écritures", default=0)
    total = models.DecimalField("montant net", max_digits=14, decimal_places=2, default=0)
    skipped = models.JSONField("contrats écartés", default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "campagne de paiement"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Campagne du {self.run_on:%d/%m/%Y}"


class Payment(models.Model):
    """An entry of the ledger of a community: what is due to it (positive) or owed by it
    (negative). A paid entry is never edited (a PostgreSQL trigger refuses it, migration 0005):
    a correction is a new ``adjustment`` entry; every total adds entries."""

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
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    reason = models.TextField("motif", blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name="régularise l'écriture",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
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
                condition=models.Q(amount__gte=0) | models.Q(kind__in=SIGNED_KINDS),
                name="payment_amount_non_negative_unless_signed",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["recovery", "termination"]) | models.Q(amount__lt=0),
                name="recovery_is_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="adjustment")
                | (~models.Q(reason="") & models.Q(created_by__isnull=False)),
                name="adjustment_has_reason_and_author",
            ),
            models.CheckConstraint(
                condition=models.Q(status="due") | models.Q(paid_on__isnull=False),
                name="paid_payment_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(contract_year__isnull=True) | models.Q(contract_year__gte=1),
                name="payment_year_starts_at_one",
            ),
            # Idempotence: a payment run can never pay the same thing twice.
            models.UniqueConstraint(
                fields=["contract", "contract_year", "kind"],
                condition=models.Q(kind__in=ONCE_A_YEAR),
                name="payment_once_a_year",
            ),
            models.UniqueConstraint(
                fields=["contract", "contract_year"],
                condition=models.Q(kind__in=SETTLEMENT),
                name="year_settled_once",
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(kind="termination"),
                name="termination_recovered_once",
            ),
            models.UniqueConstraint(
                fields=["contract", "contract_year", "kind", "due_on"],
                condition=models.Q(kind="mission_start"),
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


class TransitionLog(models.Model):
    """A step of the lifecycle taken (see ``workflow.TRANSITIONS``): who, when, from, to, why."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField("action", max_length=32)
    from_stage = models.CharField("stade de départ", max_length=32)
    to_stage = models.CharField("stade d'arrivée", max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField("le", auto_now_add=True)
    reason = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "étape du cycle de vie"
        verbose_name_plural = "étapes du cycle de vie"
        ordering = ["community", "-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.community} : {self.from_stage} → {self.to_stage} ({self.action})"
