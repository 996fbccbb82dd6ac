from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "cpts.contracts"
    verbose_name = "Contrats"
