"""Deadlines of the core missions: start and deployment, counted from the contract signature.

The calendar of the ACI gives, for each core mission, a number of months after the signature to
start it and to deploy it; the optional missions are at the community's choice (no deadline).
A mission that did not exist at the signature (the crisis mission, for contracts signed before
avenant 2) counts from the date it came into force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .calendar import add_months
from .errors import InvalidInput
from .missions import MISSION_ORDER, Mission
from .parameters import ParameterTree, Reference, default_tree


class Status(StrEnum):
    DONE = "done"  # done on time
    DONE_LATE = "done_late"  # done, after the due date
    PENDING = "pending"  # not done, due date not passed
    OVERDUE = "overdue"  # not done, due date passed

    @property
    def label(self) -> str:
        return {
            Status.DONE: "fait dans le délai",
            Status.DONE_LATE: "fait en retard",
            Status.PENDING: "à faire",
            Status.OVERDUE: "en retard",
        }[self]


def _status(due: dt.date, done: dt.date | None, on: dt.date) -> Status:
    if done is not None and done <= on:
        return Status.DONE if done <= due else Status.DONE_LATE
    return Status.OVERDUE if on > due else Status.PENDING


@dataclass(frozen=True, slots=True)
class MissionDeadline:
    mission: Mission
    counted_from: dt.date
    start_due: dt.date
    deployment_due: dt.date
    started: dt.date | None
    deployed: dt.date | None
    start_status: Status
    deployment_status: Status
    references: tuple[Reference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission": self.mission.value,
            "label": self.mission.label,
            "counted_from": self.counted_from.isoformat(),
            "start_due": self.start_due.isoformat(),
            "deployment_due": self.deployment_due.isoformat(),
            "started": self.started.isoformat() if self.started else None,
            "deployed": self.deployed.isoformat() if self.deployed else None,
            "start_status": self.start_status.value,
            "deployment_status": self.deployment_status.value,
            "reference": " ; ".join(reference.title for reference in self.references),
        }


def mission_deadlines(
    signed: dt.date,
    on: dt.date,
    started: Mapping[Mission, dt.date] | None = None,
    deployed: Mapping[Mission, dt.date] | None = None,
    tree: ParameterTree | None = None,
) -> tuple[MissionDeadline, ...]:
    """Due dates and status on ``on`` of every core mission that has a deadline (ACI, calendar of
    deployment of the missions; ``missions.deadlines``)."""
    tree = tree or default_tree()
    started = dict(started or {})
    deployed = dict(deployed or {})
    for mission, day in started.items():
        if day < signed:
            raise InvalidInput(
                f"missions.{mission.value}.started",
                "mission.started_after_signature",
                f"La mission « {mission.label} » ne peut pas démarrer avant la signature du contrat.",
            )
        if mission in deployed and deployed[mission] < day:
            raise InvalidInput(
                f"missions.{mission.value}.deployed",
                "mission.deployed_after_start",
                f"La mission « {mission.label} » ne peut pas être déployée avant d'avoir démarré.",
            )
    result = []
    for mission in MISSION_ORDER:
        path = f"missions.deadlines.{mission.value}"
        if f"{path}.start_months" not in tree:
            continue
        first = tree.parameter(f"{path}.start_months").dates[0]
        counted_from = max(signed, first)
        start_months = tree.at(f"{path}.start_months", counted_from)
        deployment_months = tree.at(f"{path}.deployment_months", counted_from)
        start_due = add_months(counted_from, start_months.integer())
        deployment_due = add_months(counted_from, deployment_months.integer())
        result.append(
            MissionDeadline(
                mission=mission,
                counted_from=counted_from,
                start_due=start_due,
                deployment_due=deployment_due,
                started=started.get(mission),
                deployed=deployed.get(mission),
                start_status=_status(start_due, started.get(mission), on),
                deployment_status=_status(deployment_due, deployed.get(mission), on),
                references=start_months.references,
            )
        )
    return tuple(result)
