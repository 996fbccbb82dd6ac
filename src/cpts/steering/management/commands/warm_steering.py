"""``manage.py warm_steering``: compute the national facts of the steering dashboards for the
current data version (``dashboards.warm``), so that the first reader after a write does not pay
for them. Run after an import, a payment run, or from the task worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cpts.core.dates import today as today_
from cpts.steering import dashboards


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Date invalide : « {text} » (attendu : AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = (
        "Calcule à l'avance les faits nationaux des tableaux de bord de pilotage pour la version "
        "courante des données (aujourd'hui et le 31 décembre de chaque année passée), afin que "
        "le premier lecteur après une écriture n'attende pas."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", default=None, help="Jour de référence (AAAA-MM-JJ ; par défaut aujourd'hui)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = _day(options["today"]) if options["today"] else today_()
        warmed = dashboards.warm(today)
        if warmed.version is None:
            self.stdout.write("Transaction en écriture : rien n'a été mis en cache.")
        days = ", ".join(day.isoformat() for day in warmed.days)
        self.stdout.write(
            f"Faits nationaux du pilotage calculés (version des données {warmed.version}) "
            f"pour {len(warmed.days)} jour(s) : {days}, en {warmed.seconds * 1000:.0f} ms."
        )
