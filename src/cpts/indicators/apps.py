from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "cpts.indicators"
    verbose_name = "Indicateurs calculés"
