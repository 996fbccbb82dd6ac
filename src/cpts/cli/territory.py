"""Commands of the territory and of the database: ``cpts setup``, ``cpts territory ...``.

They work on the database named by ``DATABASE_URL`` (with ``DEBUG=1`` and no ``DATABASE_URL``:
the demo's embedded server, :mod:`cpts.devdb`). The imports take ``--as USERNAME``: that user's scope applies, exactly as in the browser
(:mod:`cpts.accounts.access`), and the audit trail records that user as the author; without it,
the command acts as an administrator.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cpts.accounts.models import User

console = Console()
errors = Console(stderr=True)
territory_app = typer.Typer(
    help="Communes, périmètres des CPTS, couverture de la population.", no_args_is_help=True
)


def django_setup() -> None:
    """Load the Django settings; a missing setting is one French message and exit code 2."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except (ImproperlyConfigured, RuntimeError) as error:
        errors.print(
            f"[red]Erreur[/] configuration incomplète : {escape(str(error))}. Sur la base de démonstration, "
            "préfixez la commande par DEBUG=1 ; en production, définissez SECRET_KEY et "
            "DATABASE_URL (voir le README).",
            soft_wrap=True,
            highlight=False,
            markup=True,
        )
        raise typer.Exit(2) from None


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(tz=ZoneInfo("Europe/Paris")).date()


def _date(value: str | None, name: str) -> dt.date:
    if value is None:
        return _today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"sur « {name} » : date invalide « {value} » (attendu AAAA-MM-JJ).") from None


def _number(value: int) -> str:
    """An integer with the French thousands separator, a narrow no-break space: 12 345."""
    return f"{value:,}".replace(",", "\u202f")


#: The formats of the commands that print a result.
FORMATS = ("text", "json")


def _format(output: str) -> str:
    """``--format``, checked before anything is computed or written."""
    if output not in FORMATS:
        raise _fail(f"format « {output} » inconnu (attendu : {', '.join(FORMATS)}).")
    return output


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def setup() -> None:
    """Crée ou met à jour le schéma de la base et charge les communes de référence (idempotent)."""
    django_setup()
    from django.core.management import call_command

    from cpts.territory.reference import load_reference_data

    call_command("migrate", interactive=False, verbosity=0)
    report = load_reference_data()
    console.print(
        f"Base à jour. {report.regions} régions, {report.departements} départements, {report.communes} communes, "
        f"{report.arrondissements} arrondissements municipaux, {report.former_codes} anciens codes, "
        f"{report.epcis} intercommunalités (INSEE, COG 2026, populations légales 2023)."
    )


def _fail(message: str) -> typer.Exit:
    """Print one French message on stderr; the caller raises the exit (code 2)."""
    errors.print(f"[red]Erreur[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _user(username: str | None) -> User | None:
    """The active user named by ``--as`` (``None`` without it: the command acts as an
    administrator)."""
    if username is None:
        return None
    from cpts.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _fail(f"utilisateur « {username} » inconnu ou désactivé (option --as).")
    return user


@contextmanager
def _author(user: User | None) -> Iterator[None]:
    """Record ``user`` as the author of every audited change made meanwhile (django-simple-history
    reads the user of the current request; on the command line there is none, so we give one).
    Refusals of :mod:`cpts.accounts.access` become one French message and exit code 2."""
    from types import SimpleNamespace

    from django.core.exceptions import PermissionDenied
    from simple_history.models import HistoricalRecords

    previous = getattr(HistoricalRecords.context, "request", None)
    if user is not None:
        HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    except PermissionDenied as error:
        raise _fail(f"{error} ({user.username if user else 'administration'}).") from None
    finally:
        if user is not None:
            if previous is None:
                del HistoricalRecords.context.request
            else:
                HistoricalRecords.context.request = previous


def _report(report: Any, output: str) -> None:
    if output == "json":
        _print_json(report.to_dict())
    else:
        for problem in report.errors:
            errors.print(f"[red]Erreur[/] {escape(str(problem))}", soft_wrap=True)
        for problem in report.warnings:
            console.print(f"[yellow]Avertissement[/] {escape(str(problem))}", soft_wrap=True)
        for text in report.amendments:
            console.print(f"[bold]Avenant[/] {escape(text)}", soft_wrap=True)
    if not report.ok:
        if output != "json":
            errors.print(f"{len(report.errors)} erreur(s) : rien n'a été enregistré.")
        raise typer.Exit(2)


@territory_app.command("import-perimeters")
def import_perimeters(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Fichier .csv ou .geojson"),
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--date", help="Date d'effet des périmètres (AAAA-MM-JJ), aujourd'hui par défaut."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Vérifier sans rien enregistrer.")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Importer au nom de cet utilisateur (identifiant) : son périmètre d'action "
            "s'applique, comme dans le navigateur, et il est l'auteur des modifications.",
        ),
    ] = None,
) -> None:
    """Importe les périmètres d'une liste régionale (CSV community,code[,finess] ou GeoJSON)."""
    django_setup()
    from cpts.communities.perimeter_imports import import_perimeters as run

    day = _date(on, "date")
    user = _user(as_user)
    with _author(user):
        report = run(file, day, dry_run=dry_run, user=user)
    _report(report, output)
    if output != "json":
        verb = "vérifiées" if dry_run else "importées"
        console.print(
            f"{report.communities} communauté(s) {verb}, {report.codes} codes : {report.created} créée(s), "
            f"{report.changed} périmètre(s) modifié(s), {report.unchanged} inchangé(s)."
        )


@territory_app.command("import-populations")
def import_populations(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    year: Annotated[
        int, typer.Option("--year", help="Millésime des populations légales (ex. 2022).")
    ],
    in_force: Annotated[
        str | None,
        typer.Option(
            "--in-force", help="Date d'entrée en vigueur (par défaut : 1er janvier de l'année + 3)."
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format")] = "text",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Importer au nom de cet utilisateur (identifiant) : son périmètre d'action "
            "s'applique, comme dans le navigateur, et il est l'auteur des modifications.",
        ),
    ] = None,
) -> None:
    """Importe un fichier INSEE de populations légales (colonnes CODGEO ou DEP+CODCOM, et PMUN)."""
    django_setup()
    from cpts.communities.population_imports import YEARS, default_in_force
    from cpts.communities.population_imports import import_populations as run

    if year not in YEARS:
        raise _fail(f"millésime {year} invalide (entre {YEARS[0]} et {YEARS[-1]}).")
    in_force_from = _date(in_force, "in-force") if in_force else default_in_force(year)
    user = _user(as_user)
    with _author(user):
        report = run(file, year, in_force_from, user=user)
    _report(report, output)
    if output != "json":
        console.print(
            f"Populations légales {year} (en vigueur le {in_force_from:%d/%m/%Y}) : {report.codes} communes."
        )


@territory_app.command("stats")
def stats(
    region: Annotated[str | None, typer.Option("--region", help="Code INSEE de la région.")] = None,
    departement: Annotated[
        str | None, typer.Option("--departement", help="Code du département.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Date (AAAA-MM-JJ), aujourd'hui par défaut.")
    ] = None,
    output: Annotated[str, typer.Option("--format")] = "text",
) -> None:
    """Couverture de la population : communes, population couverte, zones blanches, chevauchements."""
    django_setup()
    from cpts.communities.perimeters import coverage

    data = coverage(_date(on, "date"), region=region, departement=departement)
    if output == "json":
        _print_json(data)
        return
    table = Table(title=f"Couverture au {data['date']}")
    table.add_column("Indicateur")
    table.add_column("Valeur", justify="right")
    for key, label in (
        ("communes", "Communes"),
        ("population", "Population"),
        ("communities", "CPTS"),
        ("covered_population", "Population couverte"),
        ("covered_share", "Part couverte"),
        ("uncovered_communes", "Communes non couvertes"),
        ("overlaps", "Communes ou arrondissements en chevauchement"),
    ):
        value = data[key]
        table.add_row(label, f"{value:.1%}" if key == "covered_share" else _number(value))
    console.print(table)


@territory_app.command("communities")
def communities(
    region: Annotated[str | None, typer.Option("--region")] = None,
    on: Annotated[str | None, typer.Option("--date")] = None,
    output: Annotated[str, typer.Option("--format")] = "text",
) -> None:
    """Chaque CPTS ayant un périmètre : population, taille, nombre de codes."""
    django_setup()
    from cpts.communities.perimeters import communities_summary

    rows = communities_summary(_date(on, "date"), region=region)
    if output == "json":
        _print_json(rows)
        return
    table = Table(title="CPTS et périmètres")
    for column in ("CPTS", "Population", "Taille", "Codes"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            escape(row["name"]),
            _number(row["population"]),
            str(row["size_class"]),
            str(row["codes"]),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.add_typer(territory_app, name="territory")
