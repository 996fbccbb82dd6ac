from django.core.management.base import BaseCommand
from django.utils import timezone

from cpts.communities.models import Community
from cpts.demo.seed import PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Crée les données de démonstration (une fois) et affiche les identifiants."

    def handle(self, *args: object, **options: object) -> None:
        if Community.objects.exists():
            self.stdout.write("Données de démonstration déjà présentes.")
            from cpts.accounts.models import User

            logins = {
                user.username: user.get_role_display() for user in User.objects.order_by("pk")
            }
        else:
            logins = seed_demo(timezone.localdate())
        self.stdout.write(f"\nComptes de démonstration (mot de passe pour tous : {PASSWORD}) :")
        for username, role in logins.items():
            self.stdout.write(f"  {username:<16} {role}")
