from django.apps import AppConfig


class CrisesConfig(AppConfig):
    name = "cpts.crises"
    verbose_name = "Crises sanitaires"

    def ready(self) -> None:
        from .mailing import register_handlers

        register_handlers()  # the queue's handler of the crisis messages (cpts.core.tasks)
