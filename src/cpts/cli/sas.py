"""``cpts sas``: the SAS platform. ``send-outbox`` sends the declarations of appointments that
are due, once, in booking order, and says what came of them (the worker does the same on its
own; this command is for a server without it, or to see where the outbox stands)."""

from __future__ import annotations

import typer
from rich.console import Console

from .territory import django_setup

console = Console()
sas_app = typer.Typer(help="Plateforme SAS (service d'accès aux soins).", no_args_is_help=True)


@sas_app.command("send-outbox")
def send_outbox() -> None:
    """Envoie à la plateforme SAS les déclarations de rendez-vous en attente (une fois)."""
    django_setup()
    from cpts.unscheduled_care import declarations

    summary = declarations.send_outbox()
    console.print(summary.french(), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sas_app, name="sas")
