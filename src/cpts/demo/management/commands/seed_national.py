import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cpts.demo.national import NationalError, Summary, seed_national
from cpts.demo.seed import PASSWORD


class _Bar:
    """The generator's steps as rich progress bars (one line per step)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = False

    def step(self, label: str, total: int) -> Callable[[int], None]:
        if not self.started:  # shown from the first step only: a refusal prints no blank lines
            self.progress.start()
            self.started = True
        task = self.progress.add_task(label, total=total)

        def advance(done: int = 1) -> None:
            self.progress.advance(task, done)

        return advance


def _lines(summary: Summary, seconds: float) -> list[str]:
    stages = ", ".join(f"{stage} {count}" for stage, count in sorted(summary.stages.items()))
    return [
        f"Démonstration nationale créée en {seconds:.0f} s :",
        f"  {summary.communities} CPTS ({stages}), {summary.perimeters} versions de périmètre,",
        f"  {summary.members} membres, {summary.contracts} contrats, "
        f"{summary.contract_years} années contractuelles,",
        f"  {summary.indicators} indicateurs d'annexe, {summary.evaluations} évaluations closes,",
        f"  {summary.crises} crises déclarées, {summary.activations} activations de plan,",
        f"  {summary.payment_runs} campagnes de paiement, {summary.payments} écritures, "
        f"{summary.users} comptes.",
        f"Comptes : national, admin, ars-<région> (ars-32), cpam-<département> (cpam-59), "
        f"mot de passe {PASSWORD}.",
    ]


class Command(BaseCommand):
    help = (
        "Crée une démonstration nationale : environ 1 000 CPTS sur des intercommunalités réelles "
        "de toutes les régions, 100 000 membres et cinq ans de contrats, d'évaluations, de crises "
        "et de paiements (pour la charge et le pilotage national)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--communities", type=int, default=1000, help="Nombre de CPTS.")
        parser.add_argument("--seed", type=int, default=2026, help="Graine (déterministe).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Vider d'abord la base (tout sauf le territoire de référence).",
        )
        parser.add_argument("--quiet", action="store_true", help="Sans barre de progression.")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        console = Console(file=self.stdout, stderr=False)  # type: ignore[arg-type]
        columns = (
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        bar = _Bar(Progress(*columns, console=console, disable=options["quiet"]))
        try:
            summary = seed_national(
                options["communities"], options["seed"], progress=bar, wipe=options["reset"]
            )
        except NationalError as error:
            raise CommandError(str(error)) from None
        finally:
            if bar.started:
                bar.progress.stop()
        # Fresh statistics for the planner: after a bulk load of this size, the estimates of
        # the tables it filled are off by a factor of ten until autovacuum comes round.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        for line in _lines(summary, time.monotonic() - began):
            self.stdout.write(line)
