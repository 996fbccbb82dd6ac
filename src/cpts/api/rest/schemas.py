"""What the REST API answers: stable identifiers (INSEE codes, FINESS, SIRET), ISO dates, amounts
as strings with two decimals (``"1234.50"``, never a float)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from cpts.aci.money import to_cents

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
