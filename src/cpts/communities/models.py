"""Communities (CPTS) and their members."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from cpts.territory.models import Departement


class Community(models.Model):
    """A CPTS: an association of health professionals of a territory."""

    name = models.CharField("nom", max_length=200, unique=True)
    association_name = models.CharField("nom de l'association", max_length=200, blank=True)
    rna = models.CharField(
        "numéro RNA", max_length=10, blank=True, help_text="W suivi de 9 chiffres"
    )
    siret = models.CharField("SIRET", max_length=14, blank=True)
    finess = models.CharField("FINESS", max_length=9, blank=True)
    address = models.CharField("adresse du siège", max_length=300, blank=True)
    email = models.EmailField("courriel de contact", blank=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name="département du siège",
    )
    population = models.PositiveIntegerField(
        "population du territoire", help_text="Population légale des communes du périmètre"
    )
    created_on = models.DateField("date de création", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "CPTS"
        verbose_name_plural = "CPTS"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def region_id(self) -> str:
        return self.departement.region_id


class Profession(models.TextChoices):
    GENERAL_PRACTITIONER = "general_practitioner", "médecin généraliste"
    SPECIALIST = "specialist", "médecin spécialiste"
    DENTIST = "dentist", "chirurgien-dentiste"
    MIDWIFE = "midwife", "sage-femme"
    NURSE = "nurse", "infirmier ou infirmière"
    PHYSIOTHERAPIST = "physiotherapist", "masseur-kinésithérapeute"
    SPEECH_THERAPIST = "speech_therapist", "orthophoniste"
    ORTHOPTIST = "orthoptist", "orthoptiste"
    PODIATRIST = "podiatrist", "pédicure-podologue"
    PHARMACIST = "pharmacist", "pharmacien ou pharmacienne"
    BIOLOGIST = "biologist", "biologiste"
    HEARING_AID = "hearing_aid", "audioprothésiste"
    OPTICIAN = "optician", "opticien ou opticienne"
    APPLIANCE_SUPPLIER = "appliance_supplier", "fournisseur d'appareillage"
    MEDICAL_TRANSPORT = "medical_transport", "transporteur sanitaire"


class StructureKind(models.TextChoices):
    MSP = "msp", "maison de santé pluriprofessionnelle"
    HEALTH_CENTRE = "health_centre", "centre de santé"
    EHPAD = "ehpad", "EHPAD"
    MEDICO_SOCIAL = "medico_social", "service médico-social"
    HOSPITAL = "hospital", "établissement de santé"
    LOCAL_HOSPITAL = "local_hospital", "hôpital de proximité"
    HAD = "had", "hospitalisation à domicile"
    OTHER = "other", "autre structure"


class Member(models.Model):
    """A member (adhérent): a health professional (RPPS) or a structure (FINESS)."""

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", "professionnel de santé"
        STRUCTURE = "structure", "structure"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField("nature", max_length=16, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    rpps = models.CharField("numéro RPPS", max_length=11, blank=True)
    profession = models.CharField(
        "profession", max_length=32, choices=Profession.choices, blank=True
    )
    finess = models.CharField("numéro FINESS", max_length=9, blank=True)
    structure_kind = models.CharField(
        "type de structure", max_length=32, choices=StructureKind.choices, blank=True
    )
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="commune d'exercice",
    )
    joined_on = models.DateField("date d'adhésion", null=True, blank=True)
    email = models.EmailField("adresse électronique", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "membre"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "rpps"],
                condition=~models.Q(rpps=""),
                name="member_rpps_once_per_community",
            ),
            models.UniqueConstraint(
                fields=["community", "finess"],
                condition=~models.Q(finess=""),
                name="member_finess_once_per_community",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="professional") & ~models.Q(rpps=""))
                | (models.Q(kind="structure") & ~models.Q(finess="")),
                name="member_has_its_identifier",
            ),
        ]

    def __str__(self) -> str:
        return self.name
