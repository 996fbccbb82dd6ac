"""The Django admin: documents may be corrected there, computed amounts and recorded facts never.

Payments, contract years, evaluations, amendments and the accélérateur's amount come from the
rules engine or from the services; the admin shows them read-only (a correction of a payment
is an adjusting entry, made from the payment's page).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AcceleratorGrant,
    Amendment,
    Contract,
    ContractYear,
    Evaluation,
    Indicator,
    LetterOfIntent,
    Payment,
    PaymentRun,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """Every field read-only; no addition, no deletion."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Indicators too: a value changed behind the services would keep the CPAM's verdict.
for model in (
    Payment,
    PaymentRun,
    ContractYear,
    Evaluation,
    Amendment,
    AcceleratorGrant,
    Indicator,
    LetterOfIntent,  # the lifecycle goes through its services (workflow and log)
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    readonly_fields = (
        "community",
        "signed_on",
        "ends_on",
        "renews",
        "population",
        "size_class",
        "members",
        "perimeter",
        "terminated_on",
        "termination_reason",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
