"""Commands on claims shaped like the SNDS: ``cpts claims generate``.

The communes come from a community's current perimeter (``--community``, by name or id, within
the scope of the user named by ``--as``, every community without it) or from a CSV file with a
``code`` column (``--communes``), both read by :mod:`cpts.cli.territory_args`, which sets
Django up before any model is imported; a commune listed whole stands for its municipal
arrondissements, each weighted by its legal population in force on the first day of the period.
Bad input is one French message on stderr and exit code 2, with nothing written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from .territory import _date, _fail, _format, _number, _print_json, django_setup
from .territory_args import communes_from_csv, community_codes

console = Console()
errors = Console(stderr=True)
claims_app = typer.Typer(
    help="Données de remboursement au format du SNDS (Parquet).", no_args_is_help=True
)


def _communes(codes: list[str], day: dt.date) -> list[tuple[str, int]]:
    """(code, legal population) of the leaf units of ``codes``; unknown codes are an error."""
    from cpts.territory.communes import leaf_populations, resolve_codes

    resolution = resolve_codes(codes)
    if resolution.errors:
        shown = ", ".join(resolution.errors[:5])
        more = f" (et {len(resolution.errors) - 5} autres)" if len(resolution.errors) > 5 else ""
        raise _fail(f"{shown}{more}.")
    for warning in resolution.warnings:
        errors.print(f"[yellow]Avertissement[/] {escape(warning)}", soft_wrap=True)
    populations = leaf_populations([commune.code for commune in resolution.communes], day)
    return sorted(populations.items())


@claims_app.command("generate")
def generate(
    out: Annotated[
        Path, typer.Option("--out", help="Dossier à créer (un sous-dossier par table).")
    ],
    start: Annotated[str, typer.Option("--from", help="Premier jour des soins (AAAA-MM-JJ).")],
    end: Annotated[str, typer.Option("--to", help="Dernier jour des soins (AAAA-MM-JJ).")],
    seed: Annotated[int, typer.Option("--seed", help="Graine : mêmes arguments, mêmes données.")],
    community: Annotated[
        str | None,
        typer.Option("--community", help="CPTS (nom exact ou identifiant) : son périmètre actuel."),
    ] = None,
    communes_file: Annotated[
        Path | None,
        typer.Option(
            "--communes",
            help="Fichier CSV, colonne « code » : un code INSEE par ligne.",
            dir_okay=False,
        ),
    ] = None,
    beneficiaries: Annotated[
        int | None,
        typer.Option(
            "--beneficiaries",
            help="Nombre de bénéficiaires (par défaut : la population légale, 200 000 au plus).",
        ),
    ] = None,
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows", help="Nombre exact de lignes de ER_PRS_F (au lieu des bénéficiaires)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Remplacer le dossier de sortie s'il n'est pas vide.")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Chercher la CPTS dans le périmètre de cet utilisateur."),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Génère des données de remboursement synthétiques au format du SNDS (ER_PRS_F, IR_BEN_R,
    IR_IMB_R, IR_MTT_R, DA_PRA_R), reproductibles à partir de la graine."""
    from cpts.claims.generate import GenerationError
    from cpts.claims.generate import generate as run

    first, last = _date(start, "from"), _date(end, "to")
    if (community is None) == (communes_file is None):
        raise _fail("indiquez soit --community, soit --communes (l'un des deux).")
    if beneficiaries is not None and rows is not None:
        raise _fail("indiquez --beneficiaries ou --rows, pas les deux.")
    _format(output)
    django_setup()
    if community is not None:
        source, codes = community_codes(community, as_user)
    else:
        assert communes_file is not None
        source, codes = str(communes_file), communes_from_csv(communes_file)
    communes = _communes(codes, first)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("ER_PRS_F", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            summary = run(
                out, communes, first, last, beneficiaries=beneficiaries, rows=rows, seed=seed,
                progress=progress, overwrite=force,
            )  # fmt: skip
        except GenerationError as error:
            raise _fail(str(error)) from None
        except OSError as error:
            raise _fail(f"écriture impossible dans {out} : {error.strerror or error}.") from None
    data: dict[str, Any] = {"source": source, **summary.to_dict()}
    if output == "json":
        _print_json(data)
        return
    console.print(
        f"{escape(str(out))} : {_number(summary.beneficiaries)} bénéficiaires "
        f"({_number(summary.numbers)} numéros BEN_NIR_PSA, "
        f"{_number(summary.unknown_residences)} résidences inconnues, "
        f"{_number(summary.deaths)} décès) dans {_number(summary.communes)} communes, "
        f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}, graine {seed}.",
        soft_wrap=True,
        highlight=False,
    )
    for table, count in summary.rows.items():
        files = summary.files[table]
        console.print(
            f"  {table} : {_number(count)} lignes, {_number(files)} fichier(s)", highlight=False
        )


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")
