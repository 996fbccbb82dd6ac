from django.apps import AppConfig


class UnscheduledCareConfig(AppConfig):
    name = "cpts.unscheduled_care"
    label = "unscheduled_care"
    verbose_name = "Soins non programmés et SAS"
