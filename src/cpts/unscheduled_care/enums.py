"""The codes of unscheduled care: slot types as the SAS types them (TRE_R314), ways of answering,
urgency and outcome of a request."""

from __future__ import annotations

from django.db import models


class SlotKind(models.TextChoices):
    """Who may book a slot: the codes of the nomenclature TRE_R314 « type de créneau » used by the
    SAS platform (``meta.security`` of a FrSlotAgregateurCPTS)."""

    PUBLIC = "PUBLIC", "grand public"
    PRO = "PRO", "professionnels de santé"
    SNP = "SNP", "régulation et organisateurs des soins non programmés"
    CPTS = "CPTS", "CPTS"


class Way(models.TextChoices):
    """How a community answers unscheduled care requests."""

    RESERVED_SLOTS = "reserved_slots", "créneaux réservés dans les agendas des professionnels"
    DEDICATED_LINE = "dedicated_line", "ligne téléphonique dédiée"
    ORGANISED_STRUCTURES = (
        "organised_structures",
        "structures organisées (centre de soins non programmés, MSP)",
    )


class SlotStatus(models.TextChoices):
    FREE = "free", "libre"
    BUSY = "busy", "réservé"
    CANCELLED = "cancelled", "annulé"


class Urgency(models.TextChoices):
    """How soon the regulation wants the patient seen (within the deadline in force at most)."""

    SAME_DAY = "same_day", "dans la journée"
    WITHIN_DEADLINE = "within_deadline", "dans le délai de prise en charge en vigueur"


class Channel(models.TextChoices):
    BROWSER = "browser", "saisie dans CPTS Pilote"
    FHIR = "fhir", "plateforme SAS (FHIR)"


class Outcome(models.TextChoices):
    HONOURED = "honoured", "rendez-vous honoré"
    NOT_HONOURED = "not_honoured", "rendez-vous non honoré"
    REDIRECTED = "redirected", "patient réorienté"
