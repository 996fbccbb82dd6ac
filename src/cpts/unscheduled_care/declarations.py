"""The outbox to the SAS platform: every appointment booked (from the FHIR API or from the
screens) is declared to the platform with ``POST [SAS_PLATFORM_URL]/Appointment``, a
FrAppointmentSAS in ``application/fhir+json``, with the bearer token ``SAS_PLATFORM_TOKEN``; a
cancellation with ``PUT [SAS_PLATFORM_URL]/Appointment?identifier=<system>|<value>`` (status
``cancelled``), after the booking's declaration (:func:`target`).

* :func:`declare` writes the :class:`~.models.Declaration` and its task of the durable queue
  (:mod:`cpts.core.tasks`, kind :data:`KIND`, ordered key :data:`ORDERED_KEY`) in the booking's
  own transaction: a booking that rolls back declares nothing, one that commits is declared.
* The worker (``cpts worker``, or ``cpts sas send-outbox`` once) runs :func:`deliver`, in booking
  order, each once: a 2xx is done; a 4xx other than 401/403/408/429 is refused for good (the handler
  raises :class:`cpts.core.tasks.PermanentFailure`: the task is refused, counted as failed, the
  answer kept on the declaration, and the next declarations go on); a 5xx, a 401/403/408/429, a
  timeout or a refused connection raises, and the queue retries later (waiting longer each time)
  while the later declarations wait behind it.
* Without ``SAS_PLATFORM_URL``, declarations stay queued (:func:`outbox_state` says so): the
  task is retried, at most hourly, until the platform is configured.

A worker killed after the platform answered 2xx and before our commit sends that declaration
again: the platform keys appointments by their identifier, so a repeat changes nothing there.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from cpts.core import tasks
from cpts.core.models import Task, TaskStatus

from .fhir import CONTENT_TYPE, appointment_resource
from .models import Appointment, Declaration

KIND = "unscheduled_care.declare_appointment"
ORDERED_KEY = "sas-platform"
#: Retried for about four days at the queue's longest wait (an hour) before giving up (a
#: failed head blocks the key: see cpts.core.tasks.retry).
MAX_ATTEMPTS = 100
#: Retried, not refused: a timeout, too many requests, and our own credentials refused (401/403:
#: a wrong or expired SAS_PLATFORM_TOKEN says nothing about the declaration, which must not be lost).
RETRY_STATUSES = {401, 403, 408, 429}
KEPT_BODY = 4000  # characters of the platform's answer kept
CANCELLED = "cancelled"  # FHIR Appointment.status of a cancellation


def declare(appointment: Appointment, now: dt.datetime | None = None) -> Declaration:
    """Queue the declaration of ``appointment`` (call it inside the booking's transaction)."""
    declaration = Declaration.objects.create(
        appointment=appointment,
        resource=appointment_resource(appointment),
        created_at=now or timezone.now(),
    )
    declaration.task = tasks.enqueue(
        KIND,
        {"declaration": declaration.pk},
        ordered_key=ORDERED_KEY,
        max_attempts=MAX_ATTEMPTS,
    )
    declaration.save(update_fields=["task"])
    return declaration


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


class PlatformUnavailable(Exception):
    """No answer, or an answer to try again later: the queue retries the task. ``status``: the
    platform's HTTP status (None: no answer); ``body``: its answer, or the error."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status, self.body = status, body


class PlatformRefused(tasks.PermanentFailure):
    """The platform refused the declaration for good: its HTTP status and answer, kept."""

    def __init__(self, message: str, status: int | None, body: str) -> None:
        super().__init__(message)
        self.status, self.body = status, body


def target(resource: dict[str, Any]) -> tuple[str, str]:
    """The HTTP method and URL that declare ``resource``: a booking is created
    (``POST [SAS_PLATFORM_URL]/Appointment``); a cancellation updates the appointment the
    platform knows by its identifier, a FHIR conditional update
    (``PUT [SAS_PLATFORM_URL]/Appointment?identifier=<system>|<value>``, the resource with
    ``status`` ``cancelled``, as the IG's example « appointmentpsindivcancelled »)."""
    base = f"{settings.SAS_PLATFORM_URL}/Appointment"
    if resource.get("status") == CANCELLED:
        identifier = resource["identifier"][0]
        query = urllib.parse.urlencode(
            {"identifier": f"{identifier['system']}|{identifier['value']}"}
        )
        return "PUT", f"{base}?{query}"
    return "POST", base


def post(resource: dict[str, Any]) -> Answer:
    """Send ``resource`` as :func:`target` says, with the token and the timeout of the
    settings."""
    method, url = target(resource)
    request = urllib.request.Request(
        url,
        data=json.dumps(resource, ensure_ascii=False).encode(),
        method=method,
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


def deliver(payload: dict[str, object]) -> None:
    """The task's handler: send one declaration (see the module's docstring)."""
    declaration = Declaration.objects.select_for_update().get(pk=int(str(payload["declaration"])))
    refused = Answer(declaration.response_status, "").refused
    if declaration.status == Declaration.Status.SENT or (
        declaration.status == Declaration.Status.FAILED and refused
    ):
        return  # already received or refused by the platform: once
    # (failed because given up while the platform was down, then retried: send it now)
    if not settings.SAS_PLATFORM_URL:
        raise PlatformUnavailable("plateforme SAS non configurée (SAS_PLATFORM_URL)")
    answer = post(declaration.resource)
    now = timezone.now()
    status = f"HTTP {answer.status}" if answer.status is not None else "pas de réponse"
    if answer.refused:
        # failed for good: the queue records the task refused (counted as failed, the next
        # declarations go on) and _on_error keeps the answer on the declaration
        raise PlatformRefused(f"{status} — {answer.body}"[:KEPT_BODY], answer.status, answer.body)
    if not answer.done:
        raise PlatformUnavailable(
            f"{status} — {answer.body}"[:KEPT_BODY], answer.status, answer.body
        )
    declaration.attempts += 1
    declaration.last_attempt_at = now
    declaration.response_status = answer.status
    declaration.response_body = answer.body
    declaration.status = Declaration.Status.SENT
    declaration.sent_at = now
    declaration.save()


def _on_error(
    task: Task, error: str, gave_up: bool, exception: BaseException | None = None
) -> None:
    """After a failed attempt (the handler's writes rolled back): what the declaration shows,
    from the exception the handler raised (the platform's status and answer, when it answered)."""
    refused = exception if isinstance(exception, PlatformRefused) else None
    Declaration.objects.filter(pk=task.payload.get("declaration")).update(
        attempts=task.attempts,
        last_attempt_at=timezone.now(),
        response_status=getattr(exception, "status", None),
        # a refusal keeps the platform's answer as it came; anything else, the error
        response_body=(refused.body if refused else error)[:KEPT_BODY],
        status=Declaration.Status.FAILED if gave_up else Declaration.Status.QUEUED,
    )


tasks.register(KIND, on_error=_on_error)(deliver)


@dataclass(frozen=True)
class Summary:
    sent: int = 0
    refused: int = 0
    waiting: int = 0
    configured: bool = True

    def french(self) -> str:
        if not self.configured:
            return (
                f"Plateforme SAS non configurée (SAS_PLATFORM_URL) : {self.waiting} déclaration(s) "
                "en attente, rien n'a été envoyé."
            )
        return (
            f"Déclarations à la plateforme SAS : {self.sent} envoyée(s), {self.refused} en "
            f"échec, {self.waiting} en attente."
        )


def _counts() -> tuple[int, int, int]:
    statuses = list(Declaration.objects.values_list("status", flat=True))
    return (
        statuses.count(Declaration.Status.SENT),
        statuses.count(Declaration.Status.FAILED),
        statuses.count(Declaration.Status.QUEUED),
    )


def send_outbox(now: dt.datetime | None = None) -> Summary:
    """Send what is waiting, now, once (``cpts sas send-outbox``): the declarations waiting for
    a retry are made due, then the queue runs what is due (as one pass of the worker)."""
    if not settings.SAS_PLATFORM_URL:
        return Summary(configured=False, waiting=_counts()[2])
    now = now or timezone.now()
    Task.objects.filter(kind=KIND, status=TaskStatus.PENDING, run_after__gt=now).update(
        run_after=now
    )
    sent, refused, _ = _counts()
    tasks.run_due(limit=1000, now=now)
    after = _counts()
    return Summary(sent=after[0] - sent, refused=after[1] - refused, waiting=after[2])


@dataclass(frozen=True)
class OutboxState:
    """For the screens: is the platform configured, and how many declarations wait or failed."""

    configured: bool
    waiting: int
    failed: int
    oldest_waiting: dt.datetime | None


def outbox_state() -> OutboxState:
    waiting = Declaration.objects.filter(status=Declaration.Status.QUEUED)
    return OutboxState(
        configured=bool(settings.SAS_PLATFORM_URL),
        waiting=waiting.count(),
        failed=Declaration.objects.filter(status=Declaration.Status.FAILED).count(),
        oldest_waiting=waiting.order_by("pk").values_list("created_at", flat=True).first(),
    )
