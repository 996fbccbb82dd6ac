from django.apps import AppConfig


class SteeringConfig(AppConfig):
    name = "cpts.steering"
    verbose_name = "Pilotage"
