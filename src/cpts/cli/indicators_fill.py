"""``cpts indicators fill``: fill the bound indicators of a contract year's annex from the claims,
as a named user (``--as``) with that user's rights, exactly as the annex's button does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .lifecycle import _community, _fail, _user
from .territory import _format, _print_json, django_setup

console = Console()


def fill(
    community: Annotated[
        str, typer.Option("--community", help="Nom exact ou identifiant de la CPTS")
    ],
    year: Annotated[int, typer.Option("--year", help="Année contractuelle (1 à 5)")],
    as_user: Annotated[
        str, typer.Option("--as", help="L'agent de la CPAM ou le coordinateur qui calcule")
    ],
    claims: Annotated[
        Path | None,
        typer.Option("--claims", help="Dossier des données (défaut : CPTS_CLAIMS_DIR)"),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb ou spark")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="URL du maître Spark, avec --engine spark (défaut : CPTS_SPARK_MASTER, sinon local[*])",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Calcule les indicateurs d'une année contractuelle et remplit les valeurs mesurées de son
    annexe (contrat en cours, sinon le dernier), avec leur provenance."""
    _format(output)  # before anything is computed or written
    if spark_master and engine != "spark":
        raise _fail("--spark-master ne s'utilise qu'avec --engine spark.")
    django_setup()
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from cpts.contracts.measures import fill_measured_values
    from cpts.contracts.services import RuleError, current_contract

    user = _user(as_user)
    found = _community(user, community)
    contract = current_contract(found) or found.contracts.order_by("-signed_on").first()
    if contract is None:
        raise _fail(f"{found.name} n'a pas de contrat.")
    try:
        filled = fill_measured_values(contract, year, user, claims, engine, spark_master)
    except RuleError as error:
        raise _fail(str(error)) from None
    except (PermissionDenied, Http404):
        raise _fail(f"{user.username} n'a pas le droit de calculer les indicateurs.") from None
    if output == "json":
        _print_json(report(filled))
        return
    console.print(filled.summary(), soft_wrap=True)
    table = Table(title=f"{found.name} — année {year}")
    for column in ("Indicateur de l'annexe", "Indicateur calculé", "Valeur mesurée", "Décision"):
        table.add_column(column)
    for indicator in [*filled.changed, *filled.unchanged]:
        table.add_row(
            indicator.label,
            indicator.computed_code,
            "—"
            if indicator.measured_value is None
            else f"{indicator.measured_value}".replace(".", ","),
            indicator.get_verdict_display(),
        )
    console.print(table)


def report(filled: Any) -> dict[str, Any]:
    """What ``--format json`` prints: the period, the three territories' values, the annex.
    Values as ``cpts indicators compute`` prints them (a share as a number rounded to four
    decimals, a count as an integer); measured values of the annex as decimal strings, as every
    amount the application stores."""
    stored = filled.stored

    def number(item: Any) -> float | int | None:
        if item.value is None:
            return None
        return int(item.value) if item.denominator is None else float(item.value)

    def values(computation: Any) -> dict[str, Any]:
        return {
            item.code: {
                "numerator": item.numerator,
                "denominator": item.denominator,
                "value": number(item),
            }
            for item in computation.results.all()
        }

    return {
        "community": stored.community.community.name,
        "start": stored.community.start.isoformat(),
        "end": stored.community.end.isoformat(),
        "year_end": (filled.year_end or stored.community.end).isoformat(),
        "engine": stored.community.engine,
        "departement": stored.community.departement_id,
        "results": {
            "community": values(stored.community),
            "departement": values(stored.departement),
            "national": values(stored.national),
        },
        "indicators": [
            {
                "label": indicator.label,
                "computed_code": indicator.computed_code,
                "measure": indicator.computed_measure,
                "measured_value": None
                if indicator.measured_value is None
                else str(indicator.measured_value),
                "changed": indicator in filled.changed,
                "verdict": indicator.verdict,
            }
            for indicator in [*filled.changed, *filled.unchanged]
        ],
    }


def register(indicators_app: typer.Typer) -> None:
    """Add ``fill`` to the ``indicators`` group (beside ``list`` and ``compute``)."""
    indicators_app.command("fill")(fill)
