"""The ledger of each community: payment runs, corrections, balances and recoveries.

Payments are kept like accounts (ACI art. 9.1; contrat type art. 6.1 and 6.2):

* an entry is never edited once paid (a PostgreSQL trigger refuses it): a correction is a new
  ``adjustment`` entry, positive or negative, with its reason and author;
* every total adds entries, so totals always reconcile;
* a year is settled once, by a balance or, when the advances exceed its final total, by a
  recovery (a negative entry owed by the community);
* a run pays what is due on or before its date, in the scope of its author, all or nothing per
  contract: a faulty contract is skipped, with its reason, and does not block the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet, Sum

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.aci import InvalidInput, contract_year, default_tree, grid_maximum, payment_schedule
from cpts.aci.money import euros, euros_fr
from cpts.aci.settlement import settle_year
from cpts.communities.models import Community
from cpts.communities.scope import payable_communities
from cpts.contracts import engine
from cpts.contracts.locks import Busy, lock_money
from cpts.contracts.models import Contract, Payment, PaymentKind, PaymentRun
from cpts.contracts.services import record_year
from cpts.core import dates
from cpts.core.audit import save_audited
from cpts.core.errors import RuleError


class PaymentRunError(RuleError):
    """A run is refused as a whole; the message is for the user, in French."""


class SkipContract(Exception):
    """One contract cannot be paid in this run; the others go on."""


@dataclass
class Totals:
    """What a set of entries adds up to: paid (net of recoveries booked), still due, owed back."""

    paid: Decimal = Decimal(0)  # every booked entry, recoveries included (net)
    due: Decimal = Decimal(0)  # positive entries not yet paid
    to_recover: Decimal = Decimal(0)  # negative entries not yet booked (a positive figure)
    recovered: Decimal = Decimal(0)  # negative entries booked (a positive figure)

    @property
    def net(self) -> Decimal:
        """What the community keeps once everything due is paid and recovered."""
        return self.paid + self.due - self.to_recover


def totals(entries: QuerySet[Payment]) -> Totals:
    """Totals of ``entries``, computed by the database from every entry."""
    from django.db.models import Q

    row = entries.aggregate(
        paid=Sum("amount", filter=Q(status=Payment.Status.PAID)),
        due=Sum("amount", filter=Q(status=Payment.Status.DUE, amount__gt=0)),
        to_recover=Sum("amount", filter=Q(status=Payment.Status.DUE, amount__lt=0)),
        recovered=Sum("amount", filter=Q(status=Payment.Status.PAID, amount__lt=0)),
    )
    return Totals(
        paid=row["paid"] or Decimal(0),
        due=row["due"] or Decimal(0),
        to_recover=-(row["to_recover"] or Decimal(0)),
        recovered=-(row["recovered"] or Decimal(0)),
    )


def entry_amount(payment: Payment) -> Decimal:
    """An entry with its adjustments: what it finally amounts to."""
    adjustments = payment.adjustments.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return payment.amount + adjustments


def correct_payment(
    payment: Payment, user: User, amount: Decimal, reason: str, on: dt.date | None = None
) -> Payment:
    """Correct an entry: a new adjusting entry, dated ``on`` (today by default), brings it to
    ``amount``; it is paid (or recovered) by the next run dated on or after ``on``. The entry
    itself never changes."""
    require(user, Action.PAY, payment.community)
    now = dates.today()
    on = on or now
    if on > now or on < payment.due_on:
        raise RuleError("La date d'une correction suit l'échéance de l'écriture, sans être future.")
    if not reason.strip():
        raise RuleError("Une correction manuelle doit être motivée.")
    if payment.kind == PaymentKind.ADJUSTMENT:
        raise RuleError("Corrigez l'écriture d'origine, pas une régularisation.")
    if amount < 0 and payment.kind not in (PaymentKind.RECOVERY, PaymentKind.TERMINATION):
        raise RuleError(
            "Ce versement ne peut pas devenir négatif : une reprise est une écriture à part."
        )
    ceiling = _ceiling(payment)
    if abs(amount) > ceiling:
        raise RuleError(
            f"Le montant dépasse ce que l'accord permet pour cette écriture ({euros_fr(ceiling)}) : "
            "vérifiez la saisie."
        )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        delta = amount - entry_amount(locked)
        if delta == 0:
            raise RuleError("Le montant indiqué est celui de l'écriture : rien à régulariser.")
        return save_audited(
            Payment(
                community=payment.community,
                contract=payment.contract,
                contract_year=payment.contract_year,
                kind=PaymentKind.ADJUSTMENT,
                label=f"Régularisation de « {payment.label} »"[:300],
                amount=delta,
                reason=reason.strip(),
                corrects=payment,
                created_by=user,
                due_on=on,
                explanation={
                    "corrects": payment.pk,
                    "before": euros(entry_amount(locked)),
                    "after": euros(amount),
                    "delta": euros(delta),
                },
            ),
            user,
        )


def _ceiling(payment: Payment) -> Decimal:
    """The most an entry can amount to: a year's maximum under the grid (its size class, grid
    and members as recorded) for an entry of a contract year; the accélérateur as granted."""
    if payment.contract_id is None or payment.contract_year is None:
        return payment.amount  # the accélérateur: a fixed amount, corrected downwards only
    facts = engine.year_facts(payment.contract, payment.contract_year)  # type: ignore[arg-type]
    return grid_maximum(facts.size_class, facts.start, facts.members)


@dataclass
class RunReport:
    run: PaymentRun
    paid: list[Payment] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.pk,
            "run_on": self.run.run_on.isoformat(),
            "paid": [
                {
                    "community": payment.community.name,
                    "contract_year": payment.contract_year,
                    "kind": payment.kind,
                    "amount": euros(payment.amount),
                }
                for payment in self.paid
            ],
            "skipped": self.skipped,
            "total": euros(self.run.total),
        }


def check_run_date(run_on: dt.date, today: dt.date | None = None) -> None:
    today = today or dates.today()
    if run_on > today:
        raise PaymentRunError(
            f"La date de la campagne ({run_on:%d/%m/%Y}) ne peut pas être postérieure à "
            f"aujourd'hui ({today:%d/%m/%Y})."
        )
    first = default_tree().parameter("agreement.grid_version").dates[0]
    if run_on < first:
        raise PaymentRunError(
            f"La date de la campagne ({run_on:%d/%m/%Y}) précède l'entrée en vigueur de l'ACI "
            f"CPTS ({first:%d/%m/%Y})."
        )


def run_payments(
    user: User,
    run_on: dt.date,
    communities: QuerySet[Community] | None = None,
    *,
    today: dt.date | None = None,
) -> RunReport:
    """Pay everything due on or before ``run_on`` in the scope of ``user`` (optionally narrowed
    to ``communities``): all or nothing per contract, each skipped contract reported with why."""
    require(user, Action.PAY)
    check_run_date(run_on, today)
    scope = payable_communities(user)
    if communities is not None:
        scope = scope.filter(pk__in=communities.values("pk"))
    try:
        with transaction.atomic():
            try:
                lock_money()  # one run (or termination) at a time
            except Busy as error:
                raise PaymentRunError(str(error)) from error
            run = save_audited(
                PaymentRun(run_on=run_on, created_by=user, scope=_scope_label(user)), user
            )
            report = RunReport(run)
            contracts = (
                Contract.objects.filter(community__in=scope, signed_on__lte=run_on)
                .select_related("community__departement")
                .prefetch_related("missions", "years")
                .order_by("community__name", "signed_on")
            )
            for contract in contracts:
                try:
                    with transaction.atomic():
                        report.paid += _pay_contract(contract, run, run_on)
                except SkipContract as error:
                    report.skipped.append(_skip(contract.community, str(error)))
                except InvalidInput as error:
                    report.skipped.append(_skip(contract.community, error.message))
                except IntegrityError:
                    report.skipped.append(
                        _skip(contract.community, "écriture déjà enregistrée par ailleurs")
                    )
            report.paid += _book_due_entries(scope, run, run_on, report)
            run.payments_count = len(report.paid)
            run.total = sum((payment.amount for payment in report.paid), Decimal(0))
            run.skipped = report.skipped
            save_audited(run, user)
    except DatabaseError as error:  # lock timeout, serialisation failure: never a 500
        raise PaymentRunError(
            "La campagne n'a pas pu être enregistrée (base de données occupée) ; rien n'a été "
            "versé. Réessayez dans quelques instants."
        ) from error
    return report


def _skip(community: Community, reason: str) -> dict[str, str]:
    return {
        "community": community.name,
        "reason": f"{reason} Aucun versement n'a été enregistré pour ce contrat.",
    }


def _scope_label(user: User) -> str:
    from cpts.accounts.models import Role

    if user.role == Role.CPAM:
        codes = ", ".join(sorted(user.departements.values_list("code", flat=True)))
        return f"CPAM — départements {codes}"[:300]
    return "national"


def _pay_contract(contract: Contract, run: PaymentRun, run_on: dt.date) -> list[Payment]:
    """Everything due for ``contract`` on or before ``run_on`` (inside the caller's savepoint)."""
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    created: list[Payment] = []
    for number in range(1, duration + 1):
        year = contract_year(contract.signed_on, number)
        if year.start > run_on or year.start >= contract.period_end:
            break
        record_year(contract, number, run.created_by)
        if contract.terminated_on is not None and year.end > contract.terminated_on:
            # the year of the termination: its advances are recovered (services.terminate_contract)
            continue
        facts = engine.year_facts(_fresh(contract), number)
        plan = payment_schedule(engine.engine_input(_fresh(contract), number))
        existing = list(contract.payments.filter(contract_year=number))
        for scheduled in plan.payments:
            if scheduled.due > run_on:
                continue
            if scheduled.kind == "balance":
                if facts.total is None:
                    continue  # the evaluation is not closed: no balance yet
                if any(p.kind in (PaymentKind.BALANCE, PaymentKind.RECOVERY) for p in existing):
                    continue
                advanced = sum((p.amount for p in existing), Decimal(0))
                settlement = settle_year(facts.total, advanced, year.end)
                if settlement.amount == 0:
                    continue
                payment = _book(
                    contract,
                    run,
                    number,
                    settlement.kind,
                    scheduled.label  # from the parameters (payment.balance_due)
                    if settlement.kind == "balance"
                    else "Reprise sur avances : le total définitif est inférieur aux avances",
                    settlement.amount,
                    scheduled.due,
                    {"settlement": settlement.to_dict(), "year": facts.result},
                )
            else:
                if any(
                    p.kind == scheduled.kind
                    and (scheduled.kind != PaymentKind.MISSION_START or p.due_on == scheduled.due)
                    for p in existing
                ):
                    continue
                payment = _book(
                    contract,
                    run,
                    number,
                    scheduled.kind,
                    scheduled.label,
                    scheduled.amount,
                    scheduled.due,
                    {"payment": scheduled.to_dict(), "year": plan.result.to_dict()},
                )
            existing.append(payment)
            created.append(payment)
    return created


def _fresh(contract: Contract) -> Contract:
    """The contract with its recorded years reloaded (a year may just have been recorded)."""
    if hasattr(contract, "_prefetched_objects_cache"):
        contract._prefetched_objects_cache.pop("years", None)
    return contract


def _book(
    contract: Contract,
    run: PaymentRun,
    number: int,
    kind: str,
    label: str,
    amount: Decimal,
    due: dt.date,
    explanation: dict[str, Any],
) -> Payment:
    return save_audited(
        Payment(
            community=contract.community,
            contract=contract,
            contract_year=number,
            kind=kind,
            label=label,
            amount=amount,
            due_on=due,
            paid_on=run.run_on,
            status=Payment.Status.PAID,
            run=run,
            explanation=explanation,
        ),
        run.created_by,
    )


def _book_due_entries(
    scope: QuerySet[Community], run: PaymentRun, run_on: dt.date, report: RunReport
) -> list[Payment]:
    """Entries recorded as due (accélérateur, crisis part, adjustments, recoveries after a
    termination) whose date has come: paid, or booked as recovered, by this run."""
    skipped = {row["community"] for row in report.skipped}
    booked = []
    for payment in (
        Payment.objects.select_for_update()
        .filter(community__in=scope, status=Payment.Status.DUE, due_on__lte=run_on)
        .select_related("community")
        .order_by("community__name", "due_on", "pk")
    ):
        if payment.community.name in skipped:
            continue
        payment.status = Payment.Status.PAID
        payment.paid_on = run_on
        payment.run = run
        save_audited(payment, run.created_by)
        booked.append(payment)
    return booked


def describe(report: RunReport) -> str:
    """One French sentence for the screen and the command line."""
    count = len(report.paid)
    text = (
        f"Campagne enregistrée (au {report.run.run_on:%d/%m/%Y}) : {count} écriture(s), "
        f"net {euros_fr(report.run.total)}."
    )
    if report.skipped:
        text += f" {len(report.skipped)} contrat(s) écarté(s)."
    return text
