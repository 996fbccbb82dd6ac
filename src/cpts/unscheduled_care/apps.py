from django.apps import AppConfig


class UnscheduledCareConfig(AppConfig):
    name = "cpts.unscheduled_care"
    label = "unscheduled_care"
    verbose_name = "Soins non programmés et SAS"

    def ready(self) -> None:
        # registers the handler of the declarations to the SAS platform (cpts.core.tasks)
        from . import declarations  # noqa: F401
