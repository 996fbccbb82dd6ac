from django.apps import AppConfig


class CrisesConfig(AppConfig):
    name = "cpts.crises"
    verbose_name = "Crises sanitaires"
