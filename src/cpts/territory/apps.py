from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "cpts.territory"
    verbose_name = "Territoire"
