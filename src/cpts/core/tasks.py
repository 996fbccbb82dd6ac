"""A small durable task queue on PostgreSQL (no Redis, no extra service).

- :func:`enqueue` writes a :class:`~cpts.core.models.Task` row in the caller's transaction: the
  task exists if and only if the write that caused it commits (the outbox pattern).
- :func:`register` binds a ``kind`` to its handler; the apps above register theirs in their
  ``AppConfig.ready()`` (this module imports none of them).
- :func:`run_due` runs the tasks that are due, each in its own transaction that holds the task's
  row lock (``SELECT ... FOR UPDATE SKIP LOCKED``) while its handler runs: several workers never
  run the same task, and a worker that dies mid-task leaves nothing behind but a rolled back
  transaction, so the task is pending again (at-least-once: a handler whose effect is outside the
  database, an e-mail, may run twice if the worker dies between the effect and the commit).
  A failure rolls back the handler's own writes (a savepoint), records the error, and retries with
  an exponential backoff (capped) until ``max_attempts``; then the task is *failed*, for good.
  A handler that knows it will never succeed raises :class:`PermanentFailure`: the task is
  *refused* at once (its ``on_error`` hook told ``gave_up``), counted as failed, never retried,
  and it does not hold its ordered key.
- Tasks of the same non-empty ``ordered_key`` run in creation order, each once: a task waits while
  an older task of its key is not done (nor refused), so a key whose head task failed for good is *blocked*
  (:func:`blocked_keys`) until someone retries that task (:func:`retry`).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import Task, TaskStatus

logger = logging.getLogger(__name__)

#: Retries wait BACKOFF_BASE * 2 ** (attempts - 1), at most BACKOFF_CAP.
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 5

#: Statuses after which a task never runs again and no longer holds its ordered key.
FINISHED = (TaskStatus.DONE, TaskStatus.REFUSED)


class PermanentFailure(Exception):
    """Raised by a handler when the task can never succeed (e.g. the recipient refused it for
    good): no retry; the task is refused, and counted as failed."""


Handler = Callable[[dict[str, Any]], None]
#: Called in the worker's transaction after a failed attempt: (task, error text, gave up, the
#: exception the handler raised — None when no handler is registered), so that a handler's own
#: exceptions can carry what the hook records, instead of the hook reading it back from the text.
ErrorHook = Callable[[Task, str, bool, BaseException | None], None]


@dataclass(frozen=True)
class Registered:
    handler: Handler
    on_error: ErrorHook | None = None


_REGISTRY: dict[str, Registered] = {}


def register(kind: str, *, on_error: ErrorHook | None = None) -> Callable[[Handler], Handler]:
    """Decorator: ``handler(payload)`` runs the tasks of ``kind``. ``on_error(task, error,
    gave_up, exception)`` runs after each failed attempt, in the same transaction (e.g. to write a delivery
    status that the handler's rolled back writes could not keep)."""

    def decorate(handler: Handler) -> Handler:
        _REGISTRY[kind] = Registered(handler, on_error)
        return handler

    return decorate


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    ordered_key: str = "",
    run_after: dt.datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Task:
    """Add a task, in the caller's transaction (committed with it, or not at all).

    With an ``ordered_key``, the caller's transaction first takes a transaction-level advisory
    lock on the key, so that concurrent writers of one key commit in the order of their ids (the
    order the worker follows)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if ordered_key:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [ordered_key])
    now = timezone.now()
    return Task.objects.create(
        kind=kind,
        payload=payload or {},
        ordered_key=ordered_key,
        run_after=run_after or now,
        max_attempts=max_attempts,
        created_at=now,
    )


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try, after ``attempts`` failed attempts (1, 2, ...)."""
    wait: dt.timedelta = BACKOFF_BASE * 2 ** (attempts - 1)
    return min(wait, BACKOFF_CAP)


@dataclass
class RunSummary:
    """What one :func:`run_due` did: ``done`` tasks, ``retried`` (failed, to be tried again),
    ``failed`` (gave up this time, or refused for good by their handler), and ``pending`` (still
    waiting in the queue afterwards)."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def ran(self) -> int:
        return self.done + self.retried + self.failed


def _due(now: dt.datetime) -> QuerySet[Task]:
    older_open = Task.objects.filter(
        ordered_key=OuterRef("ordered_key"), id__lt=OuterRef("id")
    ).exclude(status__in=FINISHED)
    return (
        Task.objects.filter(status=TaskStatus.PENDING, run_after__lte=now)
        .filter(Q(ordered_key="") | ~Exists(older_open))
        .order_by("run_after", "id")
    )


def _pick(now: dt.datetime) -> Task | None:
    task: Task | None = _due(now).select_for_update(skip_locked=True, of=("self",)).first()
    return task


def _run_one(task: Task, now: dt.datetime) -> str:
    """Run ``task`` (locked by the caller's transaction); answer its new status."""
    task.status = TaskStatus.RUNNING
    task.save(update_fields=["status"])
    registered = _REGISTRY.get(task.kind)
    error = ""
    raised: BaseException | None = None
    permanent = False
    try:
        if registered is None:
            # Retried like any error: during a deployment an older worker may meet a newer kind.
            raise LookupError(f"aucun traitement enregistré pour le type de tâche « {task.kind} »")
        with transaction.atomic():  # the handler's writes are undone if it fails
            registered.handler(task.payload)
    except PermanentFailure as exc:
        permanent, raised = True, exc
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("task %s (%s) refused for good: %s", task.pk, task.kind, error)
    except Exception as exc:
        raised = exc if registered is not None else None
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("task %s (%s) failed: %s", task.pk, task.kind, error)
        logger.debug("%s", traceback.format_exc())
    task.attempts += 1
    if not error:
        task.status = TaskStatus.DONE
        task.done_at = now
        task.last_error = ""
    else:
        task.last_error = error
        if permanent:
            task.status = TaskStatus.REFUSED
            task.done_at = now
        elif task.attempts >= task.max_attempts:
            task.status = TaskStatus.FAILED
        else:
            task.status = TaskStatus.PENDING
            task.run_after = now + backoff(task.attempts)
    task.save(update_fields=["status", "attempts", "done_at", "last_error", "run_after"])
    if error and registered is not None and registered.on_error is not None:
        try:
            with transaction.atomic():
                gave_up = task.status in (TaskStatus.FAILED, TaskStatus.REFUSED)
                registered.on_error(task, error, gave_up, raised)
        except Exception:  # the attempt is recorded even if the hook fails
            logger.exception("error hook of task %s (%s) failed", task.pk, task.kind)
    return task.status


def run_due(
    limit: int = 100, now: dt.datetime | None = None, stop: Callable[[], bool] | None = None
) -> RunSummary:
    """Run at most ``limit`` due tasks (due at ``now``, the current time by default), one
    transaction each; stop early when ``stop()`` answers true (checked between tasks)."""
    summary = RunSummary()
    for _ in range(limit):
        if stop is not None and stop():
            break
        at = now or timezone.now()
        with transaction.atomic():
            task = _pick(at)
            if task is None:
                break
            status = _run_one(task, at)
        if status == TaskStatus.DONE:
            summary.done += 1
        elif status in (TaskStatus.FAILED, TaskStatus.REFUSED):
            summary.failed += 1
        else:
            summary.retried += 1
    summary.pending = Task.objects.filter(status=TaskStatus.PENDING).count()
    return summary


def blocked_keys() -> list[str]:
    """The ordered keys whose oldest unfinished task failed for good: nothing after it runs."""
    heads = (
        Task.objects.exclude(ordered_key="")
        .exclude(status__in=FINISHED)
        .order_by("ordered_key", "id")
        .distinct("ordered_key")
        .values_list("ordered_key", "status")
    )
    return [key for key, status in heads if status == TaskStatus.FAILED]


def retry(task: Task) -> Task:
    """Give a failed task a new series of attempts, now (it unblocks its key when it succeeds);
    a task that is not failed is left as it is."""
    Task.objects.filter(pk=task.pk, status=TaskStatus.FAILED).update(
        status=TaskStatus.PENDING, attempts=0, run_after=timezone.now()
    )
    task.refresh_from_db()
    return task
