"""Selectors: what a community's dashboard shows (read-only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cpts.aci import InvalidInput, Status, contract_year, default_tree
from cpts.aci.calendar import year_of
from cpts.communities.models import Community
from cpts.contracts import engine, workflow
from cpts.contracts.models import Contract, Payment
from cpts.contracts.reminders import crisis_plan_reminder
from cpts.crises.selectors import PlanReminder


@dataclass
class Dashboard:
    community: Community
    stage: int  # 1..4 (steps done + 1), 5 when every mission is deployed
    stage_label: str
    letter: Any = None
    project: Any = None
    contract: Contract | None = None
    accelerator: Any = None
    current_year: int | None = None
    year_start: dt.date | None = None
    year_end: dt.date | None = None
    expected: Decimal | None = None
    paid: Decimal = Decimal(0)
    due: Decimal = Decimal(0)
    to_recover: Decimal = Decimal(0)
    contracts: list[Contract] = field(default_factory=list)
    contract_status: str = ""
    size_class: int | None = None
    grid: str | None = None
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    error: str | None = None
    crisis_plan: PlanReminder | None = None  # the crisis plan to write or update, due soon or late


def community_state(community: Community) -> str:
    """A short label of where the community stands (for lists)."""
    return workflow.stage_of(community).label


def dashboard(community: Community, today: dt.date) -> Dashboard:
    letter = community.letterofintents.first()
    project = community.healthprojects.first()
    # its recorded years and missions read once: the facts of each year and the deadlines of
    # each mission come from them (a query per year and per mission otherwise)
    contract = (
        community.contracts.order_by("-signed_on").prefetch_related("years", "missions").first()
    )
    grant = getattr(community, "accelerator", None)
    current = workflow.stage_of(community, today)
    stage = workflow.STEP[current]
    board = Dashboard(
        community=community,
        stage=stage,
        stage_label=current.label,
        letter=letter,
        project=project,
        accelerator=grant,
    )
    from cpts.payments.ledger import totals

    money = totals(Payment.objects.filter(community=community))
    board.paid, board.due, board.to_recover = money.paid, money.due, money.to_recover
    board.contracts = list(community.contracts.order_by("-signed_on"))

    if current in workflow.NEXT_STEP:
        board.todo.append(workflow.NEXT_STEP[current])
    if contract is not None and contract.amendments.filter(status="proposed").exists():
        board.todo.append("Un avenant au contrat est à signer (voir la page du contrat).")
    if grant and not project:
        board.deadlines.append(
            {
                "label": "Dépôt du projet de santé (accélérateur)",
                "due": grant.health_project_due,
                "status": _status(grant.health_project_due, None, today),
            }
        )
    if contract is None:
        return board

    board.contract = contract
    board.contract_status = contract.status_label_on(today)
    board.crisis_plan = crisis_plan_reminder(community, today)
    for deadline in engine.open_deadlines(contract, today):
        what = deadline.step.capitalize()
        board.deadlines.append(
            {
                "label": f"{what} : {deadline.mission.label}",
                "due": deadline.due,
                "status": deadline.status.label,
            }
        )
        if deadline.status is Status.OVERDUE:
            board.todo.append(
                f"{what} de la mission « {deadline.mission.label} » en retard (échéance {deadline.due:%d/%m/%Y})."
            )
    board.deadlines.sort(key=lambda item: item["due"])
    if contract.signed_on <= today < contract.period_end:
        number = year_of(contract.signed_on, today)
        duration = (
            default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
        )
        if number <= duration:
            year = contract_year(contract.signed_on, number)
            board.current_year, board.year_start, board.year_end = number, year.start, year.last_day
            facts = engine.year_facts(contract, number)
            board.size_class, board.grid = facts.size_class, facts.grid
            try:
                board.expected = engine.year_total(contract, number)
            except InvalidInput as error:
                board.error = error.message
    return board


def _status(due: dt.date, done: dt.date | None, today: dt.date) -> str:
    if done:
        return "fait"
    return "en retard" if today > due else "à faire"
