"""``cpts sas``: batch jobs of unscheduled care with the SAS: ``purge`` erases the patient's
commune of old requests; ``send-outbox`` sends the declarations of appointments that are due to
the SAS platform, once, in booking order, and says what came of them (the worker does the same
on its own; this command is for a server without it, or to see where the outbox stands)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from .territory import _fail, django_setup
from .worker import log_tasks_to_console

sas_app = typer.Typer(name="sas", help="Soins non programmés avec le SAS.", no_args_is_help=True)


@sas_app.command("purge")
def purge(
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="Date et heure de référence (AAAA-MM-JJTHH:MM, défaut : maintenant)"
        ),
    ] = None,
) -> None:
    """Efface la commune du patient des demandes plus anciennes que la durée de conservation
    (réglage CPTS_SAS_REQUEST_RETENTION_DAYS) ; les comptes restent."""
    django_setup()
    from django.conf import settings
    from django.utils import timezone

    from cpts.core.errors import RuleError
    from cpts.unscheduled_care.services import erase_expired

    moment = timezone.now()
    if now is not None:
        try:
            moment = dt.datetime.fromisoformat(now)
        except ValueError:
            raise _fail(f"date invalide « {now} » (attendu AAAA-MM-JJTHH:MM).") from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    try:
        erased = erase_expired(moment)
    except RuleError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"{erased} demande(s) du SAS : commune du patient effacée "
        f"(reçues il y a plus de {settings.SAS_REQUEST_RETENTION_DAYS} jours)."
    )


@sas_app.command("send-outbox")
def send_outbox() -> None:
    """Envoie à la plateforme SAS les déclarations de rendez-vous en attente (une fois)."""
    django_setup()
    from cpts.unscheduled_care import declarations

    log_tasks_to_console()
    typer.echo(declarations.send_outbox().french())


def register(app: typer.Typer) -> None:
    app.add_typer(sas_app)
