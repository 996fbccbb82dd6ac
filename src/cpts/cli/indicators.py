"""Indicators computed from claims shaped like the SNDS: ``cpts indicators list`` and
``cpts indicators compute``.

The territory is a community's perimeter in force on ``--to`` (``--community``, read with the scope of the
user named by ``--as``, an administrator without it) or a CSV file of INSEE codes
(``--communes``, a header ``code`` and one code a line), read as the annex's fill reads a
perimeter (``territory.communes.territory_codes``): a city listed whole covers its
arrondissements and its residents coded as the city; an arrondissement alone covers only
itself. Progress goes to stderr; stdout carries the result only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .territory import _date, _fail, _format, _print_json, django_setup
from .territory_args import communes_from_csv, community_codes

if TYPE_CHECKING:
    from cpts.claims.indicators import Computation

console = Console()
errors = Console(stderr=True)
indicators_app = typer.Typer(
    help="Indicateurs calculés sur les données de l'Assurance maladie (format SNDS).",
    no_args_is_help=True,
)


@indicators_app.command("list")
def list_indicators(
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Les indicateurs : code, libellé, référence."""
    from cpts.claims.indicators import definitions

    rows = [
        {"code": item.code, "label": item.label, "reference": item.reference}
        for item in definitions()
    ]
    if _format(output) == "json":
        _print_json(rows)
        return
    table = Table(title="Indicateurs")
    for column in ("Code", "Libellé", "Référence"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["code"], escape(row["label"]), escape(row["reference"]))
    console.print(table)


def _print_text(computation: Computation) -> None:
    table = Table(
        title=f"Indicateurs du {computation.start:%d/%m/%Y} au {computation.end:%d/%m/%Y} "
        f"({computation.engine}) — {computation.communes} codes INSEE, "
        f"{computation.population} bénéficiaires, {computation.unknown_residence} de résidence "
        "inconnue"
    )
    for column in ("Code", "Libellé", "Numérateur", "Dénominateur", "Valeur"):
        table.add_column(column)
    for result in computation.results:
        value = "—" if result.value is None else str(result.value)
        if result.value is not None and result.denominator is not None:
            value = f"{result.value * 100:.2f} %"
        table.add_row(
            result.code,
            escape(result.label),
            str(result.numerator),
            "" if result.denominator is None else str(result.denominator),
            value,
        )
    console.print(table)


@indicators_app.command("compute")
def compute_indicators(
    claims: Annotated[
        Path, typer.Option("--claims", help="Dossier des données (DOSSIER/<TABLE>/*.parquet).")
    ],
    start: Annotated[str, typer.Option("--from", help="Début de la période (AAAA-MM-JJ).")],
    end: Annotated[str, typer.Option("--to", help="Fin de la période, date D (AAAA-MM-JJ).")],
    community: Annotated[
        str | None, typer.Option("--community", help="Nom exact ou identifiant de la CPTS.")
    ] = None,
    communes: Annotated[
        Path | None,
        typer.Option("--communes", help="Fichier CSV : en-tête « code », un code INSEE par ligne."),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (défaut) ou spark")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="URL du maître Spark (défaut : CPTS_SPARK_MASTER, sinon local[*]).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Lire la CPTS en tant que cet utilisateur (son périmètre)."),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Calcule les indicateurs d'un territoire (une CPTS ou une liste de communes) sur une période."""
    from cpts.claims.engines import ENGINES

    output = _format(output)
    if (community is None) == (communes is None):
        raise _fail("indiquez soit --community, soit --communes (l'un des deux, pas les deux).")
    if engine not in ENGINES:
        raise _fail(f"moteur « {engine} » inconnu (attendu : {', '.join(ENGINES)}).")
    if spark_master and engine != "spark":
        raise _fail("--spark-master ne s'utilise qu'avec --engine spark.")
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise _fail(
            f"période vide : la fin ({last.isoformat()}) précède le début ({first.isoformat()})."
        )
    django_setup()
    from django.conf import settings

    from cpts.claims.errors import ClaimsError
    from cpts.claims.indicators import compute
    from cpts.claims.reader import check_claims
    from cpts.territory.communes import territory_codes
    from cpts.territory.models import Commune

    try:
        check_claims(claims)  # before the database: a wrong folder is told at once
    except ClaimsError as error:
        raise _fail(str(error)) from None
    codes = (
        communes_from_csv(communes)
        if communes
        else community_codes(str(community), as_user, last)[1]
    )
    territory = territory_codes(codes)  # the annex's rule (cpts indicators fill)
    known = set(Commune.objects.values_list("code", flat=True))
    try:
        computation = compute(
            claims,
            territory,
            known,
            first,
            last,
            engine=engine,
            spark_master=spark_master or settings.SPARK_MASTER,
            progress=lambda message: errors.print(escape(message), highlight=False),
        )
    except ClaimsError as error:
        raise _fail(str(error)) from None
    if output == "json":
        _print_json(computation.as_json())
    else:
        _print_text(computation)


def register(app: typer.Typer) -> None:
    app.add_typer(indicators_app, name="indicators")
