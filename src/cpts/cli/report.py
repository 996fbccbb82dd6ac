"""``cpts report annual``: the annual report of a community for a contract year, as a PDF file.

Reads with the scope of the user named by ``--as`` (every community without it, as an
administrator would); a community out of that scope is « introuvable », as a 404 is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .territory import _fail, _user, django_setup

errors = Console(stderr=True)
report_app = typer.Typer(help="Rapports des CPTS.", no_args_is_help=True)


@report_app.command("annual")
def annual(
    community: Annotated[
        str, typer.Option("--community", help="FINESS, identifiant ou nom exact de la CPTS")
    ],
    year: Annotated[int, typer.Option("--year", help="Numéro de l'année contractuelle (1 à 5)")],
    output: Annotated[Path, typer.Option("--output", help="Fichier PDF à écrire")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Lire en tant que cet utilisateur (son périmètre)")
    ] = None,
) -> None:
    """Rapport annuel d'une CPTS pour une année contractuelle, en PDF."""
    django_setup()
    from django.utils import timezone

    from cpts.steering.annual_report import NoContractYear, annual_report
    from cpts.steering.annual_report_pdf import render_pdf

    from .territory_args import find_community

    found = find_community(_user(as_user), community)
    try:
        report = annual_report(found, year, timezone.localdate())
    except NoContractYear as refusal:
        raise _fail(refusal.message) from None
    try:
        output.write_bytes(render_pdf(report))
    except OSError as error:
        raise _fail(f"impossible d'écrire « {output} » : {error.strerror}.") from None
    errors.print(f"Rapport annuel écrit : {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
