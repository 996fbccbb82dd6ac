"""The parameters of a Slot search (``GET /fhir/Slot``), checked: a refusal names the parameter,
in French (the view answers it as a 400 OperationOutcome)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.http import QueryDict
from django.utils import timezone

from cpts.unscheduled_care.fhir import RPPS_SYSTEM, rpps_of

#: The longest window of one search: the SAS platform asks a few days ahead; a week is plenty
#: and keeps an answer small.
MAX_WINDOW = dt.timedelta(days=7)
DEFAULT_COUNT = 100
MAX_COUNT = 500
MAX_PRACTITIONERS = 25  # the profile's cardinality of the identifiers searched

INCLUDES = {"Slot:schedule", "Slot:service-type-reference"}
ITERATE_INCLUDES = {"Schedule:actor", "HealthcareService:organization"}
PRACTITIONER_PARAMETER = "schedule.actor:Practitioner.identifier"
KNOWN = {
    "start",
    "status",
    "_include",
    "_include:iterate",
    "_count",
    "_offset",
    "_format",
    PRACTITIONER_PARAMETER,
}

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$")


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class SlotSearch:
    start_from: dt.datetime
    start_to: dt.datetime
    includes: frozenset[str]
    rpps: tuple[str, ...] | None
    count: int
    offset: int


def _moment(value: str, end_of_day: bool) -> dt.datetime:
    """A FHIR date or dateTime; a day alone is its first (or last) moment, an hour without an
    offset is French time. ValueError when malformed."""
    value = value.strip().replace(" ", "+")  # an unencoded « + » of an offset reads as a space
    day = _DATE.match(value)
    if day:
        date = dt.date(int(day[1]), int(day[2]), int(day[3]))
        moment = dt.datetime.combine(date, dt.time.max if end_of_day else dt.time.min)
        return timezone.make_aware(moment)
    if not _DATETIME.match(value):
        raise ValueError(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _integer(query: QueryDict, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name} : indiquez un entier de {low} à {high}.")
    return int(raw)


def parse(query: QueryDict) -> SlotSearch:
    start_from: dt.datetime | None = None
    start_to: dt.datetime | None = None
    for raw in query.getlist("start"):
        prefix, value = raw[:2], raw[2:]
        if prefix not in {"ge", "gt", "le", "lt"}:
            raise BadParameter(
                "start",
                "start : indiquez les bornes avec les préfixes ge et le (start=ge…&start=le…).",
            )
        try:
            moment = _moment(value, end_of_day=prefix in {"gt", "le"})
            if not 2000 <= moment.year <= 2200:
                raise ValueError(value)
            if prefix == "gt":
                moment += dt.timedelta(microseconds=1)
            elif prefix == "lt":
                moment -= dt.timedelta(microseconds=1)
        except (ValueError, OverflowError):
            raise BadParameter(
                "start",
                f"start : date « {value[:40]} » mal formée (attendu : 2026-06-12T16:20:00+02:00).",
            ) from None
        if prefix in {"ge", "gt"}:
            if start_from is not None:
                raise BadParameter("start", "start : une seule borne de début (ge) est permise.")
            start_from = moment
        else:
            if start_to is not None:
                raise BadParameter("start", "start : une seule borne de fin (le) est permise.")
            start_to = moment
    if start_from is None or start_to is None:
        raise BadParameter(
            "start", "start : les deux bornes sont obligatoires (start=ge…&start=le…)."
        )
    if start_to < start_from:
        raise BadParameter("start", "start : la borne de fin précède la borne de début.")
    if start_to - start_from > MAX_WINDOW:
        raise BadParameter("start", f"start : la recherche couvre au plus {MAX_WINDOW.days} jours.")
    for status in ",".join(query.getlist("status")).split(","):
        if status.strip() and status.strip() != "free":
            raise BadParameter(
                "status", "status : seuls les créneaux libres (free) sont publiés au SAS."
            )
    includes: set[str] = set()
    for name, _allowed in (("_include", INCLUDES), ("_include:iterate", ITERATE_INCLUDES)):
        for value in query.getlist(name):
            if value not in INCLUDES | ITERATE_INCLUDES:
                raise BadParameter(
                    name,
                    f"{name} : « {value[:60]} » n'est pas servi (valeurs possibles : "
                    f"{', '.join(sorted(INCLUDES | ITERATE_INCLUDES))}).",
                )
            includes.add(value)
    rpps: tuple[str, ...] | None = None
    if PRACTITIONER_PARAMETER in query:
        tokens = [
            token.strip()
            for value in query.getlist(PRACTITIONER_PARAMETER)
            for token in value.split(",")
            if token.strip()
        ]
        numbers = []
        for token in tokens:
            system, _, value = token.rpartition("|")
            number = rpps_of(value)
            if system not in {"", RPPS_SYSTEM} or number is None:
                raise BadParameter(
                    PRACTITIONER_PARAMETER,
                    f"{PRACTITIONER_PARAMETER} : « {token[:60]} » n'est pas un identifiant "
                    f"national de professionnel ({RPPS_SYSTEM}|8 suivi du numéro RPPS).",
                )
            numbers.append(number)
        if not numbers or len(numbers) > MAX_PRACTITIONERS:
            raise BadParameter(
                PRACTITIONER_PARAMETER,
                f"{PRACTITIONER_PARAMETER} : de 1 à {MAX_PRACTITIONERS} identifiants.",
            )
        rpps = tuple(numbers)
    fmt = (query.get("_format") or "").replace(" ", "+") or None
    if fmt is not None and fmt not in {"json", "application/json", "application/fhir+json"}:
        raise BadParameter("_format", "_format : seul le format JSON est servi.")
    return SlotSearch(
        start_from=start_from,
        start_to=start_to,
        includes=frozenset(includes),
        rpps=rpps,
        count=_integer(query, "_count", DEFAULT_COUNT, 1, MAX_COUNT),
        offset=_integer(query, "_offset", 0, 0, 10_000_000),
    )
