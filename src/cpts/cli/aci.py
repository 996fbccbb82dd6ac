"""Commands of the rules engine: simulate, schedule, deadlines, accelerator, rules, demo."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cpts.aci import (
    Achievement,
    ContractYearInput,
    ContractYearResult,
    InvalidInput,
    Mission,
    MissionInput,
    accelerator,
    compute_contract_year,
    contract_year,
    core_missions,
    mission_deadlines,
    payment_schedule,
)
from cpts.aci.money import euros_fr
from cpts.aci.rules_doc import render_rules, rule_rows

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
errors = Console(stderr=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def paris_today() -> dt.date:
    """Today's date in metropolitan France, where the contracts are signed and paid."""
    return dt.datetime.now(tz=ZoneInfo("Europe/Paris")).date()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def friendly_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Turn an :class:`InvalidInput` into one clear French message and exit code 2."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except InvalidInput as error:
            errors.print(
                f"[bold red]Erreur[/] sur « {error.field} » : {error.message} [dim](règle {error.rule})[/]",
                soft_wrap=True,
            )
            raise typer.Exit(code=2) from None

    return wrapper


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, "date.iso_format", f"Date invalide « {value} » : attendu AAAA-MM-JJ."
        ) from None


def parse_mission(value: str, field: str) -> Mission:
    try:
        return Mission(value.strip())
    except ValueError:
        known = ", ".join(mission.value for mission in Mission)
        raise InvalidInput(
            field, "mission.known", f"Mission inconnue « {value} » ; missions possibles : {known}."
        ) from None


def parse_mission_dates(values: list[str] | None, field: str) -> dict[Mission, dt.date]:
    result: dict[Mission, dt.date] = {}
    for value in values or []:
        if "=" not in value:
            raise InvalidInput(
                field, "mission_date.format", f"« {value} » : attendu MISSION=AAAA-MM-JJ."
            )
        name, day = value.split("=", 1)
        result[parse_mission(name, field)] = parse_date(day.strip(), field)
    return result


def build_input(
    population: int,
    members: int,
    signed: str,
    contract_year_number: int,
    missions: str | None,
    achievement: str,
    crisis: bool,
    crisis_dates: list[str] | None,
    started: list[str] | None,
) -> ContractYearInput:
    """The engine's input from the command line's flags."""
    signed_day = parse_date(signed, "signed")
    try:
        ratio = Decimal(achievement)
    except InvalidOperation:
        raise InvalidInput(
            "achievement", "achievement.number", f"« {achievement} » n'est pas un nombre."
        ) from None
    if not Decimal(0) <= ratio <= Decimal(1):
        raise InvalidInput(
            "achievement",
            "achievement.between_0_and_1",
            f"L'atteinte des objectifs doit être comprise entre 0 et 1 (reçu : {achievement}).",
        )
    start_dates = parse_mission_dates(started, "started")
    if contract_year_number < 1:
        raise InvalidInput(
            "contract_year", "contract_year.within_contract", "L'année contractuelle commence à 1."
        )
    year = contract_year(signed_day, contract_year_number)
    if missions is None:
        chosen = list(core_missions(year.start))
    else:
        chosen = [parse_mission(name, "missions") for name in missions.split(",") if name.strip()]
    for mission in start_dates:
        if mission not in chosen:
            raise InvalidInput(
                "started",
                "started.listed_mission",
                f"La mission « {mission.value} » n'est pas dans --missions.",
            )
    inputs = [
        MissionInput(
            mission=mission,
            started=start_dates.get(mission),
            achievement=Achievement() if mission is Mission.CRISIS else Achievement.of(ratio),
        )
        for mission in chosen
    ]
    crises = [parse_date(day, "crisis-date") for day in crisis_dates or []]
    if crisis and not crises:
        crisis_start = start_dates.get(Mission.CRISIS, year.start)
        crises.append(max(year.start, crisis_start))
    return ContractYearInput(
        population=population,
        members=members,
        signed=signed_day,
        contract_year=contract_year_number,
        missions=tuple(inputs),
        crises=tuple(crises),
    )


Population = Annotated[
    int, typer.Option("--population", help="Population du territoire (habitants).")
]
Members = Annotated[int, typer.Option("--members", help="Nombre de membres (adhérents).")]
Signed = Annotated[str, typer.Option("--signed", help="Date de signature du contrat (AAAA-MM-JJ).")]
YearOption = Annotated[
    int,
    typer.Option(
        "--contract-year", help="Année contractuelle (1 = les douze mois après la signature)."
    ),
]
Missions = Annotated[
    str | None,
    typer.Option(
        "--missions",
        help="Missions (access, pathways, prevention, crisis, quality, support), séparées par des virgules ; "
        "vide : aucune ; par défaut : les missions socles en vigueur.",
    ),
]
AchievementOption = Annotated[
    str, typer.Option("--achievement", help="Atteinte des objectifs (0 à 1), sauf pour la crise.")
]
CrisisFlag = Annotated[
    bool, typer.Option("--crisis", help="Une crise a été caractérisée par l'ARS pendant l'année.")
]
CrisisDates = Annotated[
    list[str] | None,
    typer.Option("--crisis-date", help="Date d'une crise caractérisée par l'ARS (répétable)."),
]
Started = Annotated[
    list[str] | None,
    typer.Option("--started", help="Démarrage d'une mission : MISSION=AAAA-MM-JJ (répétable)."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="table (lisible) ou json.")]


def _result_table(result: ContractYearResult) -> Table:
    year = result.year
    table = Table(
        title=(
            f"Année contractuelle {year.number} ({year.start:%d/%m/%Y} – {year.last_day:%d/%m/%Y}) · "
            f"taille {result.size_class} · grille {result.grid}"
        ),
        caption=result.size.explanation(),
        show_lines=True,
    )
    table.add_column("Code", style="cyan", no_wrap=True)
    table.add_column("Ligne")
    table.add_column("Montant", justify="right", no_wrap=True)
    table.add_column("Calcul")
    table.add_column("Référence", style="dim")
    for line in result.lines:
        table.add_row(
            line.code, line.label, euros_fr(line.amount), line.explanation(), line.reference
        )
    table.add_row("total", "Total de l'année", f"[bold]{euros_fr(result.total)}[/]", "", "")
    return table


def simulate(
    population: Population,
    signed: Signed,
    members: Members = 0,
    contract_year_number: YearOption = 1,
    missions: Missions = None,
    achievement: AchievementOption = "1",
    crisis: CrisisFlag = False,
    crisis_date: CrisisDates = None,
    started: Started = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """Calcule une année contractuelle : chaque ligne, son montant, son calcul et sa référence."""
    inputs = build_input(
        population,
        members,
        signed,
        contract_year_number,
        missions,
        achievement,
        crisis,
        crisis_date,
        started,
    )
    result = compute_contract_year(inputs)
    if output is Format.JSON:
        _print_json(result.to_dict())
    else:
        console.print(_result_table(result))


def schedule(
    population: Population,
    signed: Signed,
    members: Members = 0,
    contract_year_number: YearOption = 1,
    missions: Missions = None,
    achievement: AchievementOption = "1",
    crisis: CrisisFlag = False,
    crisis_date: CrisisDates = None,
    started: Started = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """Calendrier des versements d'une année contractuelle (avances, démarrages, crise, solde)."""
    inputs = build_input(
        population,
        members,
        signed,
        contract_year_number,
        missions,
        achievement,
        crisis,
        crisis_date,
        started,
    )
    plan = payment_schedule(inputs)
    if output is Format.JSON:
        _print_json(plan.to_dict())
        return
    table = Table(
        title=f"Versements de l'année contractuelle {plan.result.year.number} · grille {plan.result.grid}"
    )
    for column in ("Échéance", "Nature", "Montant", "Lignes", "Fondement"):
        table.add_column(column, justify="right" if column == "Montant" else "left")
    for payment in plan.payments:
        table.add_row(
            f"{payment.due:%d/%m/%Y}",
            payment.label,
            euros_fr(payment.amount),
            ", ".join(payment.lines),
            payment.detail,
        )
    table.add_row("", "[bold]Total[/]", f"[bold]{euros_fr(plan.total)}[/]", "", "")
    console.print(table)


def deadlines(
    signed: Signed,
    on: Annotated[
        str | None, typer.Option("--on", help="Jour de référence (par défaut : aujourd'hui).")
    ] = None,
    started: Started = None,
    deployed: Annotated[
        list[str] | None,
        typer.Option("--deployed", help="Déploiement d'une mission : MISSION=AAAA-MM-JJ."),
    ] = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """Échéances de démarrage et de déploiement des missions socles, et leur état à une date."""
    signed_day = parse_date(signed, "signed")
    on_day = parse_date(on, "on") if on else paris_today()
    items = mission_deadlines(
        signed_day,
        on_day,
        parse_mission_dates(started, "started"),
        parse_mission_dates(deployed, "deployed"),
    )
    if output is Format.JSON:
        _print_json(
            {
                "signed": signed_day.isoformat(),
                "on": on_day.isoformat(),
                "missions": [item.to_dict() for item in items],
            }
        )
        return
    table = Table(
        title=f"Échéances des missions au {on_day:%d/%m/%Y} (contrat signé le {signed_day:%d/%m/%Y})"
    )
    for column in ("Mission", "Démarrage dû", "État", "Déploiement dû", "État"):
        table.add_column(column)
    for item in items:
        table.add_row(
            item.mission.label,
            f"{item.start_due:%d/%m/%Y}",
            item.start_status.label,
            f"{item.deployment_due:%d/%m/%Y}",
            item.deployment_status.label,
        )
    console.print(table)


def accelerator_command(
    population: Population,
    on: Annotated[
        str | None, typer.Option("--on", help="Date d'octroi (par défaut : aujourd'hui).")
    ] = None,
    association: Annotated[
        bool, typer.Option("--association/--no-association", help="Constitué en association.")
    ] = True,
    letter_validated: Annotated[
        bool,
        typer.Option(
            "--letter-validated/--letter-not-validated",
            help="Lettre d'intention validée par l'ARS.",
        ),
    ] = True,
    contracted: Annotated[
        bool, typer.Option("--contracted", help="A déjà signé le contrat.")
    ] = False,
    core_started: Annotated[
        bool,
        typer.Option(
            "--core-mission-started/--no-core-mission-started",
            help="Actions d'une mission socle démarrées.",
        ),
    ] = True,
    output: FormatOption = Format.TABLE,
) -> None:
    """Éligibilité et montant de l'accélérateur, et échéance du projet de santé."""
    on_day = parse_date(on, "on") if on else paris_today()
    result = accelerator(
        population,
        on_day,
        association=association,
        letter_of_intent_validated=letter_validated,
        contract_signed=contracted,
        core_mission_started=core_started,
    )
    if output is Format.JSON:
        _print_json(result.to_dict())
        return
    verdict = "[green]éligible[/]" if result.eligible else "[red]non éligible[/]"
    console.print(f"Taille {result.size_class} · {verdict} · montant {euros_fr(result.amount)}")
    for reason in result.reasons:
        console.print(f"  • {reason}")
    if result.health_project_due:
        console.print(
            f"Projet de santé à déposer au plus tard le {result.health_project_due:%d/%m/%Y}."
        )
    if result.references:
        console.print(f"[dim]{result.references[0].title}[/]")


class RulesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def rules(output: Annotated[RulesFormat, typer.Option("--format")] = RulesFormat.TABLE) -> None:
    """Toute la grille : chaque paramètre, sa valeur, sa date d'effet, sa référence."""
    if output is RulesFormat.MARKDOWN:
        sys.stdout.write(render_rules())
        return
    rows = rule_rows()
    if output is RulesFormat.JSON:
        _print_json(
            [
                {
                    "parameter": row.path,
                    "description": row.description,
                    "effective_from": row.effective_from.isoformat(),
                    "value": row.value,
                    "unit": row.unit,
                    "confidence": row.confidence,
                    "reference": row.reference,
                }
                for row in rows
            ]
        )
        return
    table = Table(title="Paramètres de l'ACI CPTS", show_lines=False)
    for column in ("Paramètre", "Date d'effet", "Valeur", "Confiance", "Référence"):
        table.add_column(column, style="cyan" if column == "Paramètre" else None)
    for row in rows:
        table.add_row(
            row.path, row.effective_from.isoformat(), row.value, row.confidence, row.reference
        )
    console.print(table)


def demo() -> None:
    """Simulation guidée : trois communautés, leurs montants et leurs versements."""
    cases: list[tuple[str, dict[str, Any]]] = [
        (
            "Une CPTS de 35 000 habitants signée en 2020, première année (grille 2019)",
            {
                "population": 35_000,
                "signed": "2020-02-01",
                "missions": "access,pathways,prevention",
                "achievement": "0.8",
            },
        ),
        (
            "Une CPTS de 120 000 habitants signée le 1er juin 2022, deuxième année, crise déclarée",
            {
                "population": 120_000,
                "signed": "2022-06-01",
                "contract_year_number": 2,
                "crisis": True,
            },
        ),
        (
            "Une CPTS de 180 000 habitants et 120 membres (majoration de 10 %), toutes missions",
            {
                "population": 180_000,
                "members": 120,
                "signed": "2023-01-15",
                "contract_year_number": 2,
                "missions": "access,pathways,prevention,crisis,quality,support",
                "started": ["crisis=2023-01-15"],
            },
        ),
    ]
    console.rule("[bold]CPTS Pilote — simulation guidée de l'ACI CPTS")
    console.print(
        "Chaque montant vient des paramètres datés de l'accord (src/cpts/aci/parameters), "
        "avec sa référence. Essayez : [cyan]cpts simulate --help[/]\n"
    )
    for title, case in cases:
        console.rule(title)
        defaults: dict[str, Any] = {
            "members": 0,
            "contract_year_number": 1,
            "missions": None,
            "achievement": "1",
            "crisis": False,
            "crisis_dates": None,
            "started": None,
        }
        inputs = build_input(**{**defaults, **case})
        console.print(_result_table(compute_contract_year(inputs)))
    console.print("\nAccélérateur pour un projet de 60 000 habitants (octroi le 01/03/2024) :")
    accelerator_command(60_000, on="2024-03-01")
    console.print("\nÉchéances d'un contrat signé le 01/06/2022, au 01/01/2024 :")
    deadlines("2022-06-01", on="2024-01-01", started=["access=2022-10-01"])


def register(app: typer.Typer) -> None:
    app.command("simulate")(friendly_errors(simulate))
    app.command("schedule")(friendly_errors(schedule))
    app.command("deadlines")(friendly_errors(deadlines))
    app.command("accelerator")(friendly_errors(accelerator_command))
    app.command("rules")(friendly_errors(rules))
