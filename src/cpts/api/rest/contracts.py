"""``/api/v1/contracts`` and ``/api/v1/payments``: the contracts of the communities a token's user
may see, with their recorded years, and their ledger entries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.aci import default_tree
from cpts.contracts import measures, services
from cpts.contracts.models import Contract, ContractYear, Payment, PaymentKind
from cpts.contracts.selectors import visible_contracts, visible_payments

from .auth import caller
from .errors import ERRORS, WRITE_ERRORS
from .filters import in_order, narrow
from .pagination import MAX_ID, Identifier, PageParams, page_of, paged
from .schemas import (
    DEPARTEMENT,
    FINESS,
    REGION,
    ContractDetailOut,
    ContractPage,
    ContractYearOut,
    FilledOut,
    PaymentPage,
    amount,
)

#: a contract year's number in a path (1 to the contract's duration; checked against it later)
YearNumber = Annotated[int, Path(ge=1, le=99, description="Année contractuelle.")]

router = Router(tags=["Contrats et versements"])


class ContractFilters(Schema):
    community: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant de la CPTS.")
    finess: str | None = Field(None, pattern=FINESS, description="FINESS de la CPTS.")
    region: str | None = Field(None, pattern=REGION, description="Code INSEE de la région.")
    departement: str | None = Field(None, pattern=DEPARTEMENT, description="Code du département.")
    in_force_on: dt.date | None = Field(
        None, description="Contrats en vigueur ce jour-là (signés, ni échus ni résiliés)."
    )


def contract_out(contract: Contract, day: dt.date) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "community": contract.community_id,
        "community_name": contract.community.name,
        "signed_on": contract.signed_on,
        "ends_on": contract.ends_on,
        "terminated_on": contract.terminated_on,
        "status": contract.status_on(day),
        "renews": contract.renews_id,
        "population": contract.population,
        "size_class": contract.size_class,
        "members": contract.members,
    }


@router.get("/contracts", response={200: ContractPage, **ERRORS}, summary="Liste des contrats")
def list_contracts(
    request: HttpRequest, filters: Query[ContractFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les contrats des CPTS de votre périmètre, par CPTS puis date de signature."""
    rows = narrow(
        visible_contracts(caller(request)).order_by("community__name", "signed_on", "pk"),
        community_id=filters.community,
        community__finess=filters.finess,
        community__departement__region_id=filters.region,
        community__departement_id=filters.departement,
    )
    if filters.in_force_on:
        day = filters.in_force_on
        rows = rows.filter(signed_on__lte=day, ends_on__gt=day).filter(
            Q(terminated_on__isnull=True) | Q(terminated_on__gt=day)
        )
    count, found = page_of(rows, page)
    today = timezone.localdate()
    return paged(count, page, [contract_out(contract, today) for contract in found])


@router.get(
    "/contracts/{contract_id}",
    response={200: ContractDetailOut, **ERRORS},
    summary="Un contrat et ses années",
)
def get_contract(request: HttpRequest, contract_id: Identifier) -> dict[str, Any]:
    """Un contrat de votre périmètre avec ses années contractuelles telles qu'enregistrées à leur
    premier jour (population, taille, membres, grille ; total définitif une fois close)."""
    contract = get_object_or_404(visible_contracts(caller(request)), pk=contract_id)
    years = [year_out(year) for year in contract.years.order_by("number")]
    return {**contract_out(contract, timezone.localdate()), "years": years}


def year_out(year: ContractYear) -> dict[str, Any]:
    return {
        "number": year.number,
        "start": year.start,
        "end": year.end,
        "population": year.population,
        "size_class": year.size_class,
        "members": year.members,
        "grid": year.grid,
        "recorded_at": year.recorded_at,
        "closed": year.total is not None,
        "total": amount(year.total),
    }


def _year_of(user: User, contract_id: int, number: int) -> Contract:
    """A contract in scope whose year ``number`` exists (1 to the agreement's duration), or 404
    (as the annex screen answers)."""
    contract = get_object_or_404(
        visible_contracts(user).select_related("community"), pk=contract_id
    )
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    if number > duration:
        raise Http404("Année contractuelle introuvable")
    return contract


class CloseIn(Schema):
    closed_on: dt.date = Field(
        ..., description="Date de clôture (entre le début de l'année et aujourd'hui)."
    )


@router.post(
    "/contracts/{contract_id}/years/{number}/close",
    response={200: ContractYearOut, **WRITE_ERRORS},
    summary="Clore l'évaluation d'une année",
)
def close_year(
    request: HttpRequest,
    contract_id: Identifier,
    number: YearNumber,
    body: CloseIn,
) -> dict[str, Any]:
    """La CPAM (et l'administration) clôt l'évaluation d'une année, comme à l'écran de l'annexe :
    chaque indicateur accepté ou refusé, les parts variables calculées une fois pour toutes
    (total définitif). Une année déjà close, une année qui commencerait après la fin (ou la
    résiliation) du contrat, un indicateur encore à évaluer, une date hors de l'année ou future :
    400, rien n'est écrit. Tracé au nom du jeton."""
    user = caller(request)
    contract = _year_of(user, contract_id, number)
    require(user, Action.EVALUATE, contract.community)
    services.close_evaluation(contract, number, user, body.closed_on)
    return year_out(contract.years.get(number=number))


class FillIn(Schema):
    source: Literal["claims", "sas"] = Field(
        ...,
        description="claims : les données de l'Assurance Maladie du serveur ; sas : les demandes "
        "du SAS enregistrées ici.",
    )


@router.post(
    "/contracts/{contract_id}/years/{number}/fill",
    response={200: FilledOut, **WRITE_ERRORS},
    summary="Remplir les indicateurs liés d'une année",
)
def fill_year(
    request: HttpRequest,
    contract_id: Identifier,
    number: YearNumber,
    body: FillIn,
) -> dict[str, Any]:
    """Les valeurs mesurées des indicateurs liés, calculées comme aux boutons de l'annexe : depuis
    les données de l'Assurance Maladie (``claims``) ou les demandes du SAS (``sas``). Pour la CPTS,
    la CPAM et l'administration ; une valeur qui change revient à la décision de la CPAM ; une
    année close ou pas encore commencée : 400 ; un paiement ou un autre calcul en cours : 409.
    Tracé au nom du jeton."""
    user = caller(request)
    contract = _year_of(user, contract_id, number)
    require(user, Action.COMPUTE, contract.community)
    if body.source == "claims":
        filled = measures.fill_measured_values(contract, number, user)
        changed, summary = filled.changed, filled.summary()
    else:
        changed = measures.fill_sas_values(contract, number, user)
        summary = f"Demandes du SAS comptées : {len(changed)} valeur(s) modifiée(s)."
    return {"changed": sorted(item.pk for item in changed), "summary": summary}


class PaymentFilters(Schema):
    community: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant de la CPTS.")
    finess: str | None = Field(None, pattern=FINESS, description="FINESS de la CPTS.")
    contract: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant du contrat.")
    contract_year: int | None = Field(None, ge=1, le=99, description="Année contractuelle.")
    kind: PaymentKind | None = Field(None, description="Nature de l'écriture.")
    status: Payment.Status | None = Field(None, description="due (à verser) ou paid (versé).")
    due_from: dt.date | None = Field(None, description="Échéance à partir du (inclus).")
    due_to: dt.date | None = Field(None, description="Échéance jusqu'au (inclus).")


@router.get("/payments", response={200: PaymentPage, **ERRORS}, summary="Écritures de versement")
def list_payments(
    request: HttpRequest, filters: Query[PaymentFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Les écritures du grand livre des CPTS de votre périmètre, par échéance ; montants signés
    en chaînes à deux décimales (une reprise est négative)."""
    in_order(filters.due_from, filters.due_to, "due_from", "due_to")
    rows = narrow(
        visible_payments(caller(request)).order_by("due_on", "pk"),
        community_id=filters.community,
        community__finess=filters.finess,
        contract_id=filters.contract,
        contract_year=filters.contract_year,
        kind=filters.kind,
        status=filters.status,
        due_on__gte=filters.due_from,
        due_on__lte=filters.due_to,
    )
    count, found = page_of(rows, page)
    items = [
        {
            "id": payment.pk,
            "community": payment.community_id,
            "contract": payment.contract_id,
            "contract_year": payment.contract_year,
            "kind": payment.kind,
            "label": payment.label,
            "amount": amount(payment.amount),
            "due_on": payment.due_on,
            "paid_on": payment.paid_on,
            "status": payment.status,
            "corrects": payment.corrects_id,
        }
        for payment in found
    ]
    return paged(count, page, items)
