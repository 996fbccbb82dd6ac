"""The outbox to the SAS platform: every appointment booked (from the FHIR API or from the
screens) is declared to the platform with ``POST [SAS_PLATFORM_URL]/Appointment``, a
FrAppointmentSAS in ``application/fhir+json``, with the bearer token ``SAS_PLATFORM_TOKEN``.

* :func:`declare` writes the declaration in the booking's own transaction: a booking that rolls
  back declares nothing, a booking that commits is declared, whatever happens to the network.
* :func:`send_due` sends what is due, in booking order (one ordered key, ``sas-platform``), each
  once: a 2xx is done; a 4xx other than 408/429 is refused for good (the answer kept, the next
  one goes on); a 5xx, a 408/429, a timeout or a refused connection leaves it queued, retried
  later (waiting longer each time), and the later ones wait behind it so that the platform
  receives them in order. Two senders at once do not send twice: each run holds a PostgreSQL
  advisory lock of the key for its whole transaction.
* Without ``SAS_PLATFORM_URL``, declarations stay queued (:func:`outbox_state` says so).

A process killed after the platform answered 2xx and before our commit sends that declaration
again on the next run: the platform keys appointments by their identifier (the profile's
conditional update), so a repeat changes nothing there.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .fhir import CONTENT_TYPE, appointment_resource
from .models import Appointment, Declaration

ORDERED_KEY = "sas-platform"
KIND = "unscheduled_care.declare_appointment"
#: The advisory lock of the ordered key (a fixed 64-bit number: « sas-platform » in ASCII).
_LOCK = int.from_bytes(ORDERED_KEY.encode()[:8], "big") >> 1
RETRY_STATUSES = {408, 429}
MAX_BACKOFF = dt.timedelta(hours=1)
KEPT_BODY = 4000  # characters of the platform's answer kept


def declare(appointment: Appointment, now: dt.datetime | None = None) -> Declaration:
    """Queue the declaration of ``appointment`` (call it inside the booking's transaction)."""
    now = now or timezone.now()
    return Declaration.objects.create(
        appointment=appointment,
        resource=appointment_resource(appointment),
        created_at=now,
        next_attempt_at=now,
    )


@dataclass(frozen=True)
class Answer:
    """What came back: an HTTP status (None: no answer at all) and the body, or the error."""

    status: int | None
    body: str

    @property
    def done(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        return (
            self.status is not None
            and 400 <= self.status < 500
            and self.status not in RETRY_STATUSES
        )


def post(resource: dict[str, object]) -> Answer:
    """``POST [SAS_PLATFORM_URL]/Appointment``, with the token and the timeout of the settings."""
    request = urllib.request.Request(
        f"{settings.SAS_PLATFORM_URL}/Appointment",
        data=json.dumps(resource, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
    )
    if settings.SAS_PLATFORM_TOKEN:
        request.add_header("Authorization", f"Bearer {settings.SAS_PLATFORM_TOKEN}")
    try:
        with urllib.request.urlopen(request, timeout=settings.SAS_PLATFORM_TIMEOUT) as response:
            return Answer(response.status, response.read(KEPT_BODY).decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(KEPT_BODY).decode(errors="replace"))
    except (OSError, ValueError) as error:  # refused, unreachable, timeout, bad URL
        return Answer(None, f"{type(error).__name__}: {error}"[:KEPT_BODY])


@dataclass(frozen=True)
class Summary:
    sent: int = 0
    refused: int = 0
    waiting: int = 0
    configured: bool = True
    busy: bool = False  # another sender holds the key

    def french(self) -> str:
        if not self.configured:
            return (
                f"Plateforme SAS non configurée (SAS_PLATFORM_URL) : {self.waiting} déclaration(s) "
                "en attente, rien n'a été envoyé."
            )
        if self.busy:
            return "Un autre envoi est en cours : rien n'a été envoyé cette fois."
        return (
            f"Déclarations à la plateforme SAS : {self.sent} reçue(s), {self.refused} refusée(s), "
            f"{self.waiting} en attente."
        )


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2 ** min(attempts - 1, 10)), MAX_BACKOFF)


def send_due(now: dt.datetime | None = None, limit: int = 100) -> Summary:
    """Send the declarations that are due, in order, each once (see the module's docstring)."""
    now = now or timezone.now()
    if not settings.SAS_PLATFORM_URL:
        return Summary(configured=False, waiting=_waiting())
    sent = refused = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK])
            if not cursor.fetchone()[0]:
                return Summary(busy=True, waiting=_waiting())
        queued = Declaration.objects.filter(status=Declaration.Status.QUEUED).order_by("pk")
        for declaration in queued[:limit]:
            if declaration.next_attempt_at > now:
                break  # the head waits for its retry: the later ones wait behind it
            answer = post(declaration.resource)
            declaration.attempts += 1
            declaration.last_attempt_at = now
            declaration.response_status = answer.status
            declaration.response_body = answer.body
            if answer.done:
                declaration.status = Declaration.Status.SENT
                declaration.sent_at = now
                sent += 1
            elif answer.refused:
                declaration.status = Declaration.Status.FAILED
                refused += 1
            else:
                declaration.next_attempt_at = now + _backoff(declaration.attempts)
            declaration.save()
            if declaration.status == Declaration.Status.QUEUED:
                break
    return Summary(sent=sent, refused=refused, waiting=_waiting())


def _waiting() -> int:
    return Declaration.objects.filter(status=Declaration.Status.QUEUED).count()


@dataclass(frozen=True)
class OutboxState:
    """For the screens: is the platform configured, and how many declarations wait or failed."""

    configured: bool
    waiting: int
    failed: int
    oldest_waiting: dt.datetime | None


def outbox_state() -> OutboxState:
    waiting = Declaration.objects.filter(status=Declaration.Status.QUEUED)
    oldest = waiting.order_by("pk").values_list("created_at", flat=True).first()
    return OutboxState(
        configured=bool(settings.SAS_PLATFORM_URL),
        waiting=waiting.count(),
        failed=Declaration.objects.filter(status=Declaration.Status.FAILED).count(),
        oldest_waiting=oldest,
    )
