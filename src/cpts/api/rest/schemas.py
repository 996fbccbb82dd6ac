"""What the REST API answers: stable identifiers (INSEE codes, FINESS, SIRET), ISO dates, amounts
as strings with two decimals (``"1234.50"``, never a float)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from cpts.aci.money import to_cents
from cpts.crises.models import Typology

from .pagination import Page

REGION = r"^\d{2}$"
DEPARTEMENT = r"^(\d{2}|2[AB]|97\d)$"
AMOUNT = r"^-?\d+\.\d{2}$"


def amount(value: Decimal | None) -> str | None:
    """``Decimal("1234.5")`` → ``"1234.50"`` (rounded half up to the cent, as every amount is)."""
    return None if value is None else f"{to_cents(value):.2f}"


def optional(value: str) -> str | None:
    """An empty identifier is absent (``null``), not an empty string."""
    return value or None


# --- Communities ------------------------------------------------------------------------------


class CommunityOut(Schema):
    id: int
    name: str
    finess: str | None = Field(..., description="Numéro FINESS (9 caractères).")
    siret: str | None = Field(..., description="Numéro SIRET (14 chiffres).")
    rna: str | None
    departement: str = Field(..., description="Code INSEE du département du siège.")
    region: str = Field(..., description="Code INSEE de la région du siège.")
    population: int = Field(..., description="Population du territoire (populations légales).")
    size_class: int | None = Field(
        ..., description="Taille (1 à 4) selon la population, aux règles en vigueur aujourd'hui."
    )
    created_on: dt.date | None


class CommunityPage(Page):
    items: list[CommunityOut]


class PerimeterOut(Schema):
    community: int
    on: dt.date = Field(..., description="Date à laquelle le périmètre est lu.")
    valid_from: dt.date
    valid_to: dt.date | None = Field(..., description="Fin de la version (exclue), ou null.")
    source: str
    communes: list[str] = Field(..., description="Codes INSEE des communes et arrondissements.")


class MemberCountsOut(Schema):
    total: int
    professionals: int
    structures: int
    by_profession: dict[str, int] = Field(
        ..., description="Professionnels par profession (clé vide : non précisée)."
    )
    by_structure_kind: dict[str, int] = Field(
        ..., description="Structures par type (clé vide : non précisé)."
    )


class MemberOut(Schema):
    id: int
    kind: str
    name: str
    rpps: str | None
    profession: str | None
    finess: str | None
    structure_kind: str | None
    commune: str | None = Field(..., description="Code INSEE de la commune d'exercice.")
    joined_on: dt.date | None


class MemberPage(Page):
    items: list[MemberOut]


class MembersOut(Schema):
    community: int
    counts: MemberCountsOut
    identities: bool = Field(
        ..., description="Vrai si votre rôle lit les identités (noms, RPPS, FINESS)."
    )
    members: MemberPage | None = Field(
        ..., description="La liste des membres, paginée ; null sans droit aux identités."
    )


# --- Contracts ---------------------------------------------------------------------------------


class ContractOut(Schema):
    id: int
    community: int
    community_name: str
    signed_on: dt.date
    ends_on: dt.date = Field(..., description="Fin du contrat (exclue).")
    terminated_on: dt.date | None
    status: str = Field(..., description="signed, active, ended ou terminated (aujourd'hui).")
    renews: int | None = Field(..., description="Le contrat que celui-ci renouvelle.")
    population: int = Field(..., description="Population à la signature.")
    size_class: int = Field(..., description="Taille à la signature.")
    members: int = Field(..., description="Membres à la signature.")


class ContractPage(Page):
    items: list[ContractOut]


class ContractYearOut(Schema):
    """A contract year as recorded on its first day (facts never recomputed)."""

    number: int
    start: dt.date
    end: dt.date = Field(..., description="Fin de l'année (exclue).")
    population: int
    size_class: int
    members: int
    grid: str
    recorded_at: dt.datetime
    closed: bool = Field(..., description="Vrai quand l'évaluation de l'année est close.")
    total: str | None = Field(
        ..., pattern=AMOUNT, description="Total définitif (année close), en euros, ou null."
    )


class ContractDetailOut(ContractOut):
    years: list[ContractYearOut]


class FilledOut(Schema):
    changed: list[int] = Field(
        ..., description="Les indicateurs dont la valeur a changé (à décider par la CPAM)."
    )
    summary: str = Field(..., description="Le compte rendu affiché à l'écran.")


# --- Payments ----------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    community: int
    contract: int | None
    contract_year: int | None
    kind: str
    label: str
    amount: str = Field(..., pattern=AMOUNT, description="Montant en euros, signé (« -300.00 »).")
    due_on: dt.date
    paid_on: dt.date | None
    status: str = Field(..., description="due (à verser) ou paid (versé).")
    corrects: int | None = Field(..., description="L'écriture que celle-ci régularise.")


class PaymentPage(Page):
    items: list[PaymentOut]


# --- Crises ------------------------------------------------------------------------------------


class CrisisOut(Schema):
    id: int
    region: str
    departements: list[str] = Field(..., description="Départements concernés (vide : la région).")
    declared_on: dt.date
    typology: str
    title: str
    description: str


class CrisisPage(Page):
    items: list[CrisisOut]


# --- Free text in a body -----------------------------------------------------------------------


def _printable(value: str) -> str:
    """Refuse what PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate): the
    screens' forms refuse the NUL too (Django's ``ProhibitNullCharactersValidator``)."""
    if "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value):
        raise ValueError("caractère interdit (nul ou de substitution)")
    return value


#: A free text of a body: no NUL, no lone surrogate, at most 5 000 characters.
Text = Annotated[str, Field(max_length=5000), AfterValidator(_printable)]
#: A title: the same, at most 200 characters (a crisis's ``title`` column).
Title = Annotated[str, Field(max_length=200), AfterValidator(_printable)]


def number(value: Decimal | None, places: int = 2) -> str | None:
    """A measure (not money) as a string with its column's decimals (``"50.00"``), or null."""
    return None if value is None else f"{value:.{places}f}"


# --- Annex indicators and computed indicators ----------------------------------------------------

DECIMAL = r"^-?\d+\.\d+$"
FINESS = r"^(\d{2}|2[AB])\d{7}$"


class ProvenanceOut(Schema):
    """Where a measured value filled by the application comes from (null: typed by hand)."""

    engine: str = Field(..., description="duckdb ou spark (données de l'Assurance Maladie), sas.")
    computed_code: str | None = Field(..., description="Code de l'indicateur calculé lié.")
    computed_measure: str | None = Field(..., description="percent ou number.")
    computed_result: int | None = Field(
        ..., description="Le résultat calculé (voir /computed-indicators), null pour le SAS."
    )
    data_start: dt.date | None = Field(..., description="Données du (inclus).")
    data_end: dt.date | None = Field(..., description="Données au (inclus).")
    computed_at: dt.datetime


class IndicatorOut(Schema):
    id: int
    community: int
    contract: int
    contract_year: int
    mission: str
    action: str
    label: str
    kind: str = Field(..., description="graded (paliers), target (cible) ou done (réalisé).")
    lower_is_better: bool
    objective: str | None = Field(..., pattern=DECIMAL, description="Objectif, ou null.")
    amount: str = Field(..., pattern=AMOUNT, description="Montant si atteint, en euros.")
    measured_value: str | None = Field(..., pattern=DECIMAL, description="Valeur mesurée.")
    done: bool = Field(..., description="Action réalisée (indicateurs « done »).")
    remarks: str
    source: str | None = Field(
        ...,
        description="Origine de la valeur : claims (données de l'Assurance Maladie), sas, "
        "hand (saisie) ; null sans valeur.",
    )
    provenance: ProvenanceOut | None
    verdict: str = Field(..., description="pending (à évaluer), accepted ou refused.")
    verdict_reason: str
    decided_on: dt.date | None
    evaluation_closed: bool = Field(
        ..., description="Vrai quand l'évaluation de l'année est close."
    )
    carried_from: int | None = Field(..., description="L'indicateur reporté de l'année précédente.")


class IndicatorPage(Page):
    items: list[IndicatorOut]


class IndicatorValueIn(Schema):
    """The value of an indicator, as the community's screen records it (every field replaced)."""

    measured_value: Decimal | None = Field(
        ..., max_digits=14, decimal_places=2, description="Valeur mesurée (null : aucune)."
    )
    done: bool = Field(False, description="Action réalisée.")
    remarks: Text = Field("", description="Remarques.")


class IndicatorDecisionIn(Schema):
    """The CPAM's decision on an indicator, as its screen records it (dated today)."""

    verdict: Literal["accepted", "refused"]
    reason: Text = Field("", description="Motif, obligatoire en cas de refus.")


class ComputedIndicatorOut(Schema):
    id: int
    computation: int
    scope: str = Field(..., description="community, departement ou national.")
    community: int = Field(..., description="La CPTS dont le calcul a produit cette valeur.")
    departement: str | None = Field(..., description="Département (CPTS : son département).")
    start: dt.date = Field(..., description="Données du (inclus).")
    end: dt.date = Field(..., description="Données au (inclus).")
    engine: str
    computed_at: dt.datetime
    code: str
    label: str
    numerator: int
    denominator: int | None = Field(..., description="Null pour un effectif.")
    value: str | None = Field(..., pattern=DECIMAL, description="Part ou effectif, 4 décimales.")


class ComputedIndicatorPage(Page):
    items: list[ComputedIndicatorOut]


# --- SAS requests ------------------------------------------------------------------------------


class SasAppointmentOut(Schema):
    status: str = Field(..., description="booked (réservé) ou cancelled (annulé).")
    community: int = Field(..., description="La CPTS dont un professionnel reçoit le patient.")
    slot_start: dt.datetime
    booked_at: dt.datetime


class SasRequestOut(Schema):
    id: int
    departement: str = Field(..., description="Département du patient.")
    commune: str | None = Field(
        ...,
        description="Commune du patient (code INSEE) : pour la régulation et l'administration "
        "seulement ; null sinon, inconnue (plateforme SAS) ou effacée.",
    )
    urgency: str
    channel: str = Field(..., description="browser (saisie) ou fhir (plateforme SAS).")
    received_at: dt.datetime
    outcome: str | None = Field(..., description="honoured, not_honoured, redirected, ou null.")
    outcome_at: dt.datetime | None
    appointment: SasAppointmentOut | None


class SasRequestPage(Page):
    items: list[SasRequestOut]
    by_outcome: dict[str, int] = Field(
        ...,
        description="Nombre de demandes (tous filtres appliqués) par suite ; clé vide : sans suite.",
    )


# --- Crises (writes) ---------------------------------------------------------------------------


class CrisisIn(Schema):
    declared_on: dt.date = Field(..., description="Date de caractérisation de la crise.")
    typology: Typology = Field(..., description="Typologie de la crise.")
    title: Title = Field(..., description="Intitulé (200 caractères au plus).")
    description: Text = Field("", description="Description.")
    departements: list[Annotated[str, Field(pattern=DEPARTEMENT)]] = Field(
        default_factory=list,
        max_length=20,
        description="Départements concernés, de la région de l'ARS (vide : toute la région).",
    )


class CrisisDeclaredOut(CrisisOut):
    crisis_parts_due: int = Field(..., description="Parts variables de crise rendues dues.")
    crisis_parts_total: str = Field(..., pattern=AMOUNT, description="Leur total, en euros.")
