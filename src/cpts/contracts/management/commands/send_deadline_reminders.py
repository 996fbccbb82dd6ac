import datetime as dt

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cpts.contracts.reminders import send_reminders


class Command(BaseCommand):
    help = "Envoie par courriel les échéances des 30 prochains jours (à lancer chaque jour)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--on", type=dt.date.fromisoformat, default=None, help="Jour de référence (AAAA-MM-JJ)."
        )

    def handle(self, *args: object, **options: object) -> None:
        on = options["on"] or timezone.localdate()
        assert isinstance(on, dt.date)
        self.stdout.write(f"{send_reminders(on)} courriel(s) envoyé(s).")
