"""The ``cpts`` command line (typer + rich)."""

from __future__ import annotations

import typer

from . import (
    aci,
    api,
    claims,
    demo,
    indicators,
    indicators_fill,
    lifecycle,
    report,
    sas,
    territory,
    tokens,
    worker,
)

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
claims.register(app)
tokens.register(app)
worker.register(app)
api.register(app)
sas.register(app)
demo.register(app)  # cpts demo, cpts demo national
indicators_fill.register(indicators.indicators_app)  # cpts indicators fill
indicators.register(app)
report.register(app)

__all__ = ["app"]
