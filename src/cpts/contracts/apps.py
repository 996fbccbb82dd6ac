from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "cpts.contracts"
    verbose_name = "Contrats"

    def ready(self) -> None:
        from cpts.communities.signals import members_changed, perimeter_changed

        from . import receivers

        perimeter_changed.connect(receivers.perimeter_changed, dispatch_uid="contracts-perimeter")
        members_changed.connect(receivers.members_changed, dispatch_uid="contracts-members")
