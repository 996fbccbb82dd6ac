"""Reading the contracts: the years of a contract as the screens and the command line show them,
and the contracts and ledger entries a user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, prefetch_related_objects

from cpts.accounts.models import User
from cpts.aci import InvalidInput, default_tree
from cpts.communities.scope import visible_communities

from . import engine
from .models import Contract, Payment


@dataclass(frozen=True)
class YearRow:
    """A contract year: its facts (recorded, or projected before its first day) and its total
    (kept once its evaluation is closed, computed by the engine before that; None when the engine
    refuses the facts, e.g. a mission started before the signature)."""

    facts: engine.YearFacts
    total: Decimal | None
    error: str | None

    @property
    def number(self) -> int:
        return self.facts.number

    @property
    def start(self) -> dt.date:
        return self.facts.start

    @property
    def last_day(self) -> dt.date:
        return self.facts.end - dt.timedelta(days=1)

    def is_current(self, day: dt.date) -> bool:
        return self.facts.start <= day < self.facts.end


def years_of(contract: Contract) -> list[YearRow]:
    """Every year of ``contract`` up to its end or its termination."""
    # the recorded years and the missions, read once for all the years (a query each otherwise)
    prefetch_related_objects([contract], "years", "missions")
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    rows = []
    for number in range(1, duration + 1):
        facts = engine.year_facts(contract, number)
        if facts.start >= contract.period_end:
            break
        try:
            rows.append(YearRow(facts, engine.year_total(contract, number), None))
        except InvalidInput as error:
            rows.append(YearRow(facts, None, error.message))
    return rows


def visible_contracts(user: User) -> QuerySet[Contract]:
    """The contracts of the communities ``user`` may see."""
    return Contract.objects.select_related("community__departement").filter(
        community__in=visible_communities(user)
    )


def visible_payments(user: User) -> QuerySet[Payment]:
    """The ledger entries of the communities ``user`` may see (as the ledger screen shows them)."""
    return Payment.objects.select_related("community").filter(
        community__in=visible_communities(user)
    )
