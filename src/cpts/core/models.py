"""The durable task queue's one table (the API is :mod:`cpts.core.tasks`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class TaskStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    # Set by the worker inside the transaction that holds the row lock: other connections never
    # see it (they see the task pending, and locked); a crash rolls it back to pending.
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "En échec"  # gave up after max_attempts; stays visible, blocks its key
    # the handler raised PermanentFailure (e.g. the recipient refused it for good): never retried,
    # counted as failed, and it does not block its key (the next tasks go on)
    REFUSED = "refused", "Refusée"


class Task(models.Model):
    """One unit of background work: a registered ``kind`` and its JSON ``payload``.

    Tasks of the same non-empty ``ordered_key`` run strictly in creation (id) order: a task waits
    while an older task of its key is not done (or refused).
    """

    kind = models.CharField("type", max_length=100)
    payload = models.JSONField("données", default=dict, blank=True)
    ordered_key = models.CharField("clé d'ordre", max_length=200, blank=True, default="")
    status = models.CharField(
        "statut", max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING
    )
    attempts = models.PositiveIntegerField("tentatives", default=0)
    max_attempts = models.PositiveIntegerField("tentatives au plus", default=5)
    run_after = models.DateTimeField("à exécuter à partir de", default=timezone.now)
    last_error = models.TextField("dernière erreur", blank=True, default="")
    created_at = models.DateTimeField("créée le", default=timezone.now)
    done_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "tâche"
        ordering = ["id"]
        indexes = [
            # The worker's pick: pending tasks that are due, oldest first.
            models.Index(
                fields=["run_after", "id"],
                condition=Q(status="pending"),
                name="core_task_due",
            ),
            # The ordering test: is an older task of this key not done yet?
            models.Index(
                fields=["ordered_key", "id"],
                condition=~Q(status="done") & ~Q(ordered_key=""),
                name="core_task_open_by_key",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="core_task_max_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"
