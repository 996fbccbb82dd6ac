"""The ``cpts`` command line (typer + rich)."""

from __future__ import annotations

import typer

from . import aci, indicators_fill, lifecycle, territory

app = typer.Typer(
    name="cpts",
    help="CPTS Pilote : l'ACI CPTS en code, et le système d'information des CPTS.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
aci.register(app)
territory.register(app)
lifecycle.register(app)
# TO RECONCILE AT MERGE: ``cli/indicators.py`` (list, compute) owns the ``indicators`` group;
# until it lands, a group of its own holds ``fill``.
indicators_app = typer.Typer(
    help="Indicateurs calculés à partir des données de l'Assurance Maladie.", no_args_is_help=True
)
indicators_fill.register(indicators_app)
app.add_typer(indicators_app, name="indicators")

__all__ = ["app"]
