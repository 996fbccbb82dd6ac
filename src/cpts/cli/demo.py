"""``cpts demo``: the guided simulation (bare), and ``cpts demo national``, the synthetic country
(built by the ``seed_national`` management command of ``cpts.demo``, which the command line
cannot import: layers)."""

from __future__ import annotations

from typing import Annotated

import typer

from .aci import demo as guided_simulation
from .aci import friendly_errors
from .territory import _fail, django_setup

demo_app = typer.Typer(
    help="Démonstrations : simulation guidée de l'ACI (sans sous-commande), ou pays synthétique.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode="rich",
)


@demo_app.callback()
def demo(context: typer.Context) -> None:
    """Simulation guidée : trois communautés, leurs montants et leurs versements
    (sous-commande [cyan]national[/] : une démonstration nationale en base)."""
    if context.invoked_subcommand is None:
        friendly_errors(guided_simulation)()


@demo_app.command("national")
def national(
    communities: Annotated[
        int, typer.Option("--communities", help="Nombre de CPTS (environ 1 000 pour la France).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine, même pays.")] = 2026,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help=(
                "Vider d'abord la base : efface tout (CPTS, contrats, paiements, comptes, "
                "journal d'audit) sauf le territoire de référence."
            ),
            metavar="",  # a flag: no value to type (typer would show « <bool> »)
        ),
    ] = False,
) -> None:
    """Crée en base une démonstration nationale : des CPTS sur des intercommunalités réelles de
    toutes les régions, leurs membres et cinq ans de contrats, d'évaluations, de crises et de
    paiements calculés par le moteur.

    Refuse une base qui contient déjà des CPTS : relancez avec [cyan]--reset[/] pour tout
    effacer sauf le territoire de référence, ou utilisez une autre base."""
    django_setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("seed_national", communities=communities, seed=seed, reset=reset)
    except CommandError as error:
        raise _fail(str(error)) from None


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")
