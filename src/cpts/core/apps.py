from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cpts.core"
    verbose_name = "Socle commun"
