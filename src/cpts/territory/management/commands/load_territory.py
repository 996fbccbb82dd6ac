from django.core.management.base import BaseCommand

from cpts.territory.reference import load_reference_data


class Command(BaseCommand):
    help = (
        "Charge les régions, départements, communes et arrondissements de référence (idempotent)."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = load_reference_data()
        self.stdout.write(
            f"{report.regions} régions, {report.departements} départements, {report.communes} communes, "
            f"{report.arrondissements} arrondissements municipaux, {report.former_codes} anciens codes, "
            f"{report.epcis} intercommunalités."
        )
