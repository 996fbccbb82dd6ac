"""When the amounts of a contract year are paid (ACI art. 9.1; contrat type art. 6.1 and 6.2;
avenant 2 for the crisis part). Every share, delay and label comes from the ``payment``
parameters:

* Year 1: the functioning is paid in full at the signature (once the file is complete).
* Year 2 and later: at the start of the year (the contract's anniversary), an advance
  (``payment.advance_share``) of the functioning and of the fixed parts of the missions already
  started.
* On the start date of a mission started during the year: the same advance of its fixed part,
  pro rata of the time to the next anniversary.
* The crisis variable part: within ``payment.crisis_delay_months`` after the ARS declares the
  crisis.
* At the end of the year (the next anniversary, after the evaluation): the balance, i.e. the
  year's total less everything paid before (fixed balance and variable parts).

The increase of size 4 follows the lines it increases: each line's share of it
(:meth:`~.financing.ContractYearResult.increase_on`) is advanced with the line, the rest is paid
with the balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .calendar import add_months
from .crisis import VARIABLE as CRISIS_VARIABLE
from .errors import ParameterError
from .financing import ContractYearInput, ContractYearResult, compute_contract_year
from .functioning import ADDITIONAL_FUNCTIONING, FUNCTIONING
from .lines import Line
from .missions import UNSCHEDULED_CARE, Mission, mission_label
from .money import ZERO, apply_ratio, euros, percent_fr
from .parameters import ParameterTree, ParameterValue, default_tree

ADVANCE_KINDS = ("functioning", "advance", "mission_start", "crisis", "balance")


@dataclass(frozen=True, slots=True)
class ScheduledPayment:
    """One payment of the contract year: when, what, how much, why."""

    due: dt.date
    kind: str  # functioning | advance | mission_start | crisis | balance
    label: str
    amount: Decimal
    lines: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat(),
            "kind": self.kind,
            "label": self.label,
            "amount": euros(self.amount),
            "lines": list(self.lines),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class PaymentSchedule:
    result: ContractYearResult
    payments: tuple[ScheduledPayment, ...]

    @property
    def total(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), ZERO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_year": self.result.year.number,
            "size_class": self.result.size_class,
            "grid": self.result.grid,
            "total": euros(self.total),
            "payments": [payment.to_dict() for payment in self.payments],
        }


def _is_fixed(line: Line) -> bool:
    return line.code.endswith(".fixed") or line.code == UNSCHEDULED_CARE


def _mission_of(line: Line) -> Mission | None:
    head = line.code.split(".", 1)[0]
    return Mission(head) if head in Mission._value2member_map_ else None


def _detail(*parameters: ParameterValue) -> str:
    """What a payment rests on: the parameters' descriptions and their references."""
    return " ; ".join(
        f"{parameter.description.strip()} ({parameter.reference_text})" for parameter in parameters
    )


def payment_schedule(
    inputs: ContractYearInput, tree: ParameterTree | None = None
) -> PaymentSchedule:
    """The payments of one contract year, in order, adding up to the year's total (ACI art. 9.1;
    contrat type art. 6.1 and 6.2; avenant 2 for the crisis part)."""
    tree = tree or default_tree()
    result = compute_contract_year(inputs, tree)
    year = result.year
    advance_share = tree.at("payment.advance_share", year.start)
    share = Fraction(advance_share.decimal())
    starts = {
        mission_input.mission: mission_input.started or year.start
        for mission_input in inputs.missions
    }
    payments: list[ScheduledPayment] = []

    functioning = [
        line for line in result.lines if line.code in (FUNCTIONING, ADDITIONAL_FUNCTIONING)
    ]
    in_full = tree.at("payment.functioning_in_full_at_signature", year.start)
    if year.number == 1 and in_full.boolean():
        payments.append(
            ScheduledPayment(
                due=inputs.signed,
                kind="functioning",
                label=tree.label(in_full.path),
                amount=sum((result.with_increase(line) for line in functioning), ZERO),
                lines=tuple(line.code for line in functioning),
                detail=_detail(in_full),
            )
        )
        anniversary_lines: list[Line] = []
    else:
        anniversary_lines = list(functioning)

    # Fixed parts of missions running at the start of the year: advanced at the anniversary
    # (year 2 and later); missions starting later get their own advance on their start date.
    by_start: dict[dt.date, list[Line]] = {}
    for line in result.lines:
        mission = _mission_of(line)
        if mission is None or not _is_fixed(line) or line.amount == ZERO:
            continue
        started = starts[mission]
        if year.number > 1 and started <= year.start:
            anniversary_lines.append(line)
        else:
            by_start.setdefault(max(started, year.start), []).append(line)

    def advance(lines: list[Line]) -> Decimal:
        return apply_ratio(sum((result.with_increase(line) for line in lines), ZERO), share)

    advance_label = f"{tree.label(advance_share.path)} de {percent_fr(share)}"
    if anniversary_lines:
        payments.append(
            ScheduledPayment(
                due=year.start,
                kind="advance",
                label=f"{advance_label} au début de l'année contractuelle",
                amount=advance(anniversary_lines),
                lines=tuple(line.code for line in anniversary_lines),
                detail=_detail(advance_share),
            )
        )
    proration = tree.at("missions.proration.fixed_part", year.start)
    for day in sorted(by_start):
        lines = by_start[day]
        payments.append(
            ScheduledPayment(
                due=day,
                kind="mission_start",
                label=f"{advance_label} au démarrage : "
                + ", ".join(
                    sorted(
                        {mission_label(_mission_of(line) or Mission.ACCESS, tree) for line in lines}
                    )
                ),
                amount=advance(lines),
                lines=tuple(line.code for line in lines),
                detail=_detail(advance_share, proration),
            )
        )

    crisis = [line for line in result.lines if line.code == CRISIS_VARIABLE and line.amount > ZERO]
    for line in crisis:
        declared = _crisis_date(line)
        delay = tree.at("payment.crisis_delay_months", declared)
        covered = tree.at("missions.crisis.retrigger_months", declared)
        payments.append(
            ScheduledPayment(
                due=add_months(declared, delay.integer()),
                kind="crisis",
                label=f"{tree.label(delay.path)} ({delay.integer()} mois au plus)",
                amount=result.with_increase(line),
                lines=(CRISIS_VARIABLE,),
                detail=f"Crise caractérisée le {declared:%d/%m/%Y}, versée pour les "
                f"{covered.integer()} mois à venir ({covered.reference_text})",
            )
        )

    balance = tree.at("payment.balance_due", year.start)
    if balance.text() != "next_anniversary":  # pragma: no cover - the only rule of the texts
        raise ParameterError(f"{balance.path}: unknown rule {balance.text()!r}")
    paid = sum((payment.amount for payment in payments), ZERO)
    payments.append(
        ScheduledPayment(
            due=year.end,
            kind="balance",
            label=tree.label(balance.path),
            amount=result.total - paid,
            lines=tuple(line.code for line in result.lines),
            detail=_detail(balance),
        )
    )
    payments.sort(key=lambda payment: (payment.due, ADVANCE_KINDS.index(payment.kind)))
    return PaymentSchedule(result=result, payments=tuple(payments))


def _crisis_date(line: Line) -> dt.date:
    if line.crisis_declared is None:  # pragma: no cover - a paid crisis line always has its date
        raise ValueError(f"{line.code} has no crisis date")
    return line.crisis_declared
