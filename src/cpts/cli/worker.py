"""``cpts worker``: runs the background tasks of the durable queue (:mod:`cpts.core.tasks`).

E-mails to the members of a community, declarations to the national platforms: each is a task
written with the change that caused it; this loop runs them when they are due. Several workers
may run side by side (each task is locked while it runs). SIGTERM or Ctrl-C: the task under way
ends, then the worker exits.

Between two passes, when the data version has moved (a write committed), the loop also computes
the steering dashboards' national facts again (:func:`cpts.steering.dashboards.warm`, at most
once every ``--pilotage`` seconds), into the cache the server processes share: the first reader
after a write then finds them instead of computing them.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .territory import _number, django_setup

console = Console()
errors = Console(stderr=True)


def _summary(summary: Any) -> str:
    text = (
        f"{_number(summary.done)} envoyée(s), {_number(summary.failed)} en échec, "
        f"{_number(summary.pending)} en attente"
    )
    if summary.retried:
        text += f" (dont {_number(summary.retried)} à retenter)"
    return text + "."


class _ConsoleHandler(logging.Handler):
    """The queue's log lines (a task failed, refused) through the command's own stderr console,
    one line each: written by one writer, they never run into a summary line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            errors.print(escape(self.format(record)), highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


def log_tasks_to_console() -> None:
    """Send ``cpts.core.tasks``'s log to the command's stderr console (not also to the root
    logger's handler, a second writer on the same terminal)."""
    queue_logger = logging.getLogger("cpts.core.tasks")
    if not any(isinstance(handler, _ConsoleHandler) for handler in queue_logger.handlers):
        queue_logger.addHandler(_ConsoleHandler())
    queue_logger.setLevel(logging.INFO)
    queue_logger.propagate = False


def _blocked(keys: list[str]) -> None:
    """Ordered keys stuck behind a task that failed for good: nothing after it runs until it is
    retried (``cpts.core.tasks.retry``)."""
    if keys:
        errors.print(
            f"[yellow]Attention[/] {len(keys)} file(s) ordonnée(s) bloquée(s) par une tâche en "
            f"échec : {escape(', '.join(keys[:10]))}{' …' if len(keys) > 10 else ''}.",
            highlight=False,
            soft_wrap=True,
        )


@dataclass
class SteeringWarmth:
    """What the loop last warmed: the data version, and when it may warm again."""

    every: float
    version: int | None = None
    next_at: float = 0.0
    day: dt.date | None = None  # the facts are keyed on the day too: a new day warms again


def warm_steering_if_moved(state: SteeringWarmth, now: float | None = None) -> Any:
    """The steering facts computed again if the data version moved (or the day changed) since
    the last warm-up and ``state.every`` seconds have passed (``dashboards.warm``'s result), else
    None."""
    from cpts.core.dates import today
    from cpts.steering import dashboards, versions

    now = time.monotonic() if now is None else now
    if state.every <= 0 or now < state.next_at:
        return None
    state.next_at = now + state.every
    version = versions.data_version()
    day = today()
    if version is None or (version == state.version and day == state.day):
        return None
    warmed = dashboards.warm(day)
    state.version, state.day = warmed.version, day
    return warmed


def worker(
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Secondes entre deux passages.")
    ] = 2.0,
    once: Annotated[
        bool, typer.Option("--once", help="Exécuter une fois les tâches dues, puis s'arrêter.")
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Tâches au plus par passage.")] = 100,
    pilotage: Annotated[
        float,
        typer.Option(
            "--pilotage",
            min=0,
            help="Secondes au moins entre deux calculs à l'avance des tableaux de pilotage, "
            "refaits quand les données ont changé (0 : jamais).",
        ),
    ] = 30.0,
) -> None:
    """Exécute les tâches de fond (courriels, envois aux plateformes nationales)."""
    django_setup()
    from django.db import close_old_connections

    from cpts.core import tasks

    log_tasks_to_console()
    if once:
        console.print(_summary(tasks.run_due(limit=batch)), highlight=False)
        _blocked(tasks.blocked_keys())
        return

    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    errors.print(
        f"Exécuteur de tâches démarré (toutes les {interval:g} s ; types : "
        f"{', '.join(tasks.registered_kinds()) or 'aucun'}).",
        highlight=False,
    )
    _blocked(tasks.blocked_keys())
    warmth = SteeringWarmth(every=pilotage)
    while not stopping.is_set():
        close_old_connections()  # a connection lost meanwhile is reopened
        try:
            summary = tasks.run_due(limit=batch, stop=stopping.is_set)
        except Exception as error:
            errors.print(f"[red]Erreur[/] {error}", highlight=False)
        else:
            if summary.ran:
                errors.print(_summary(summary), highlight=False)
            if summary.ran == batch:
                continue  # more may be due: no pause
        try:
            warmed = warm_steering_if_moved(warmth)
        except Exception as error:  # the dashboards compute on demand instead
            errors.print(f"[red]Erreur[/] pilotage : {error}", highlight=False)
        else:
            if warmed is not None:
                errors.print(
                    f"Tableaux de pilotage calculés à l'avance (version des données "
                    f"{warmed.version}) en {warmed.seconds * 1000:.0f} ms.",
                    highlight=False,
                )
        stopping.wait(interval)
    errors.print("Exécuteur de tâches arrêté.", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
