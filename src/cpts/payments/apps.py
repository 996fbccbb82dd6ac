from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "cpts.payments"
    verbose_name = "Versements"

    def ready(self) -> None:
        from cpts.crises.signals import crisis_declared

        from . import receivers

        crisis_declared.connect(receivers.crisis_declared, dispatch_uid="payments-crisis")
