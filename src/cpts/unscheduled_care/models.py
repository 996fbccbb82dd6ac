"""Unscheduled care organised by a community with the SAS (service d'accès aux soins): its
organisation (versioned), its volunteering professionals and their slots, the requests of the
regulation and the appointments booked in those slots.

What identifies a patient is not stored: a request keeps the patient's commune, the urgency and
the time received, nothing more (issue 18: « no more personal data than needed »).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .enums import Channel, Outcome, SlotKind, SlotStatus, Urgency, Way


class Organisation(models.Model):
    """One version of a community's organisation of unscheduled care; a change is a new version
    (the previous ones are kept as they were)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="unscheduled_care"
    )
    version = models.PositiveSmallIntegerField("version")
    valid_from = models.DateField("en vigueur depuis le")
    ways = ArrayField(
        models.CharField(max_length=32, choices=Way.choices), verbose_name="modes de réponse"
    )
    contacts = models.JSONField(
        "personnes à contacter",
        default=list,
        help_text="Liste de {nom, fonction, téléphone, courriel}.",
    )
    phone = models.CharField("ligne dédiée", max_length=20, blank=True)
    structures = models.TextField("structures organisées", blank=True)
    notes = models.TextField("organisation (précisions)", blank=True)
    created_at = models.DateTimeField("enregistrée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisation des soins non programmés"
        ordering = ["community", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "version"], name="unscheduled_organisation_version_once"
            ),
            models.CheckConstraint(
                condition=~Q(ways=[]), name="unscheduled_organisation_has_a_way"
            ),
        ]

    def __str__(self) -> str:
        return f"Organisation des soins non programmés v{self.version} — {self.community}"


class Volunteer(models.Model):
    """A member of the community (a professional, with an RPPS number) who takes unscheduled
    care requests in slots of their schedule."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="volunteers"
    )
    member = models.ForeignKey(
        "communities.Member", on_delete=models.PROTECT, related_name="volunteering"
    )
    since = models.DateField("volontaire depuis le")
    active = models.BooleanField("actif", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "professionnel volontaire"
        constraints = [
            models.UniqueConstraint(fields=["community", "member"], name="volunteer_once")
        ]

    def __str__(self) -> str:
        return str(self.member)


class Slot(models.Model):
    """A slot of a volunteer's schedule kept for unscheduled care, typed as the SAS types them."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="slots")
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    kinds = ArrayField(
        models.CharField(max_length=8, choices=SlotKind.choices),
        verbose_name="types de créneau",
    )
    status = models.CharField(
        "statut", max_length=16, choices=SlotStatus.choices, default=SlotStatus.FREE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "créneau de soins non programmés"
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["status", "start"], name="slot_status_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=~Q(kinds=[]), name="slot_has_a_kind"),
            # one person is never booked twice at once: a volunteer's live slots never overlap
            # (``[start, end)``: a slot may begin when the previous one ends)
            ExclusionConstraint(
                name="volunteer_slots_never_overlap",
                expressions=[
                    ("volunteer", RangeOperators.EQUAL),
                    (
                        models.Func(
                            F("start"),
                            F("end"),
                            function="tstzrange",
                            output_field=DateTimeRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=~Q(status=SlotStatus.CANCELLED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.start:%d/%m/%Y %H:%M}"


class Request(models.Model):
    """A request of the SAS regulation for a patient: where the patient lives, how urgent, when
    it was received; then the appointment found and what came of it."""

    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="commune du patient",
        # the SAS platform books through FHIR without telling where the patient lives
        help_text="Inconnue pour une demande reçue de la plateforme SAS (FHIR) ; effacée après "
        "la durée de conservation.",
    )
    # kept after the commune is erased: the requests of a département are counted for good
    departement = models.ForeignKey(
        "territory.Departement", on_delete=models.PROTECT, verbose_name="département du patient"
    )
    urgency = models.CharField("urgence", max_length=16, choices=Urgency.choices)
    received_at = models.DateTimeField("reçue le")
    channel = models.CharField("canal", max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("suite", max_length=16, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField("suite enregistrée le", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "demande du SAS"
        verbose_name_plural = "demandes du SAS"
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"Demande du {self.received_at:%d/%m/%Y %H:%M}"


class Appointment(models.Model):
    """An appointment booked in a slot for a request. At most one live appointment per slot: the
    database refuses the second (two regulators booking at once, exactly one wins)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "réservé"
        CANCELLED = "cancelled", "annulé"

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    request = models.OneToOneField(Request, on_delete=models.PROTECT, related_name="appointment")
    status = models.CharField(
        "statut", max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    # the FHIR Appointment.identifier given by the booking system (or ours, from the browser)
    identifier_system = models.CharField("système de l'identifiant", max_length=200)
    identifier_value = models.CharField("identifiant", max_length=200)
    # the regulator's national identifier (FrAppointmentSAS's appointmentOperator extension)
    operator_system = models.CharField(max_length=200, blank=True)
    operator_value = models.CharField("opérateur (identifiant national)", max_length=100)
    created_at = models.DateTimeField("réservé le")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "rendez-vous"
        verbose_name_plural = "rendez-vous"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="booked"), name="one_live_appointment_per_slot"
            ),
            models.UniqueConstraint(
                fields=["identifier_system", "identifier_value"], name="appointment_identifier_once"
            ),
        ]

    @property
    def cancellable(self) -> bool:
        """Booked and not yet begun (``services.cancel_appointment`` decides, this is for the
        screens)."""
        return self.status == self.Status.BOOKED and self.slot.start > timezone.now()

    def __str__(self) -> str:
        return f"Rendez-vous {self.identifier_value}"


class Declaration(models.Model):
    """An appointment declared to the SAS platform (``POST [SAS_PLATFORM_URL]/Appointment``, or a
    cancellation: ``PUT …/Appointment?identifier=…``):
    written in the booking's transaction with its task of the durable queue (``cpts.core.tasks``,
    ordered key ``sas-platform``), and what came of it
    (:mod:`cpts.unscheduled_care.declarations`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "en attente d'envoi"
        SENT = "sent", "reçue par la plateforme SAS"
        FAILED = "failed", "refusée par la plateforme SAS"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="declarations"
    )
    task = models.ForeignKey(
        "core.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resource = models.JSONField("ressource FHIR envoyée")
    status = models.CharField("statut", max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField("à envoyer depuis le")
    attempts = models.PositiveIntegerField("tentatives", default=0)
    last_attempt_at = models.DateTimeField("dernière tentative le", null=True, blank=True)
    response_status = models.PositiveSmallIntegerField("réponse HTTP", null=True, blank=True)
    response_body = models.TextField("réponse de la plateforme", blank=True)
    sent_at = models.DateTimeField("reçue le", null=True, blank=True)

    class Meta:
        verbose_name = "déclaration à la plateforme SAS"
        verbose_name_plural = "déclarations à la plateforme SAS"
        ordering = ["pk"]

    @property
    def is_cancellation(self) -> bool:
        """A cancellation (``PUT`` with status cancelled), not a booking (``POST``)."""
        return isinstance(self.resource, dict) and self.resource.get("status") == "cancelled"

    def __str__(self) -> str:
        return f"Déclaration {self.pk} ({self.get_status_display()})"
