import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from cpts.accounts.models import User
from cpts.communities.models import Community
from cpts.demo.claims import ensure_claims
from cpts.demo.sas import seed_sas
from cpts.demo.seed import PASSWORD, claims_plan, seed_demo


class Command(BaseCommand):
    help = (
        "Crée les données de démonstration (une fois), avec leurs données de remboursement "
        "synthétiques (settings.CLAIMS_DIR), et affiche les identifiants."
    )

    def handle(self, *args: object, **options: object) -> None:
        today = timezone.localdate()
        claims_dir = None
        plan = claims_plan(today)
        if plan is not None:
            began = time.monotonic()
            state = ensure_claims(settings.CLAIMS_DIR, plan)
            if state == "foreign":
                self.stdout.write(
                    f"{settings.CLAIMS_DIR} contient d'autres données que celles de la démo : "
                    "laissées telles quelles, aucune valeur mesurée n'en est tirée."
                )
            else:
                claims_dir = settings.CLAIMS_DIR
                done = "générées" if state == "generated" else "déjà présentes"
                people = f"{plan.beneficiaries:,}".replace(",", "\u202f")
                self.stdout.write(
                    f"Données de remboursement de la démo {done} ({claims_dir}, {people} "
                    f"bénéficiaires, départements {', '.join(plan.departements)}, du "
                    f"{plan.start:%d/%m/%Y} au {plan.end:%d/%m/%Y}) en "
                    f"{time.monotonic() - began:.1f} s."
                )
        if Community.objects.exists():
            self.stdout.write("Données de démonstration déjà présentes.")
            seed_sas(timezone.now(), PASSWORD)  # the SAS's slots topped up to a week ahead
            logins = {
                user.username: user.get_role_display() for user in User.objects.order_by("pk")
            }
        else:
            began = time.monotonic()
            logins = seed_demo(today, claims_dir)
            self.stdout.write(
                f"Données de démonstration créées en {time.monotonic() - began:.1f} s."
            )
        self.stdout.write(f"\nComptes de démonstration (mot de passe pour tous : {PASSWORD}) :")
        machines = {
            user.username
            for user in User.objects.filter(username__in=list(logins))
            if not user.has_usable_password()
        }
        for username, role in logins.items():
            note = (
                f" — compte machine, sans mot de passe : cpts token --user {username}"
                if username in machines
                else ""
            )
            self.stdout.write(f"  {username:<16} {role}{note}")
