from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cpts.accounts"
    verbose_name = "Comptes"
