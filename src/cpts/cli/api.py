"""``cpts api schema``: the OpenAPI schema of the REST API (``/api/v1/openapi.json``), as the
server publishes it, printed on stdout (to give a CPAM's or an ARS's developers, or to generate a
client)."""

from __future__ import annotations

import json

import typer

from .territory import django_setup

api_app = typer.Typer(name="api", help="API REST (/api/v1).", no_args_is_help=True)


@api_app.command("schema")
def schema() -> None:
    """Affiche le schéma OpenAPI de l'API REST (JSON), celui que publie /api/v1/openapi.json."""
    django_setup()
    from cpts.api.rest import api

    typer.echo(json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(api_app)
