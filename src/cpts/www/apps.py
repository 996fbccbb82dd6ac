from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "cpts.www"
    label = "www"
    verbose_name = "Écrans"
