"""The collaboration with the service d'accès aux soins (SAS): the deadline within which an
unscheduled care request of a patient of the territory is taken care of, in force on the day of
the request (the dated parameter ``sas.response_deadline_hours``, changed by avenant 2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import InvalidInput
from .parameters import ParameterTree, Reference, default_tree

PARAMETER = "sas.response_deadline_hours"


@dataclass(frozen=True, slots=True)
class ResponseDeadline:
    """The deadline in force for a request received at ``received``, and where it comes from."""

    received: dt.datetime
    hours: int
    references: tuple[Reference, ...]

    @property
    def due(self) -> dt.datetime:
        """The last moment at which an appointment answers the request in time."""
        return self.received + dt.timedelta(hours=self.hours)

    def in_time(self, appointment: dt.datetime) -> bool:
        """Whether an appointment starting at ``appointment`` answers the request in time (not
        before the request itself)."""
        return self.received <= appointment <= self.due


def response_deadline(received: dt.datetime, tree: ParameterTree | None = None) -> ResponseDeadline:
    """The deadline for a request received at ``received`` (the parameter in force on its day:
    give the moment in French time). A moment before the agreement is an ``InvalidInput``."""
    tree = tree or default_tree()
    value = tree.maybe_at(PARAMETER, received.date())
    if value is None:
        raise InvalidInput(
            "received",
            PARAMETER,
            f"aucun délai de prise en charge n'est en vigueur le {received:%d/%m/%Y}",
        )
    return ResponseDeadline(received, value.integer(), value.references)
