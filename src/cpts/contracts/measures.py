"""Measured values of the annex taken from the claims: an indicator of the annex bound to a
computed indicator (``Indicator.computed_code``) gets its measured value from the computation of
its contract year, with its provenance (data period, engine, when, by whom); the CPAM still
accepts or refuses it.

What the annex receives (``Indicator.computed_measure``, chosen with the binding): the demo's
objectives and thresholds, like those of real contracts, are numbers of patients (« 57 343
patients de plus de 16 ans ayant un médecin traitant », « 182 patients en ALD sans médecin
traitant »), so a share can give its numerator (``number``); an objective written as a rate takes
the share as a percentage with 2 decimals (``percent``: 0.4567 -> 45.67), rounded half up once.
A share over no patient at all measures nothing (no value).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.core.dates import today
from cpts.indicators import services as computations
from cpts.indicators.models import ComputedIndicator, Engine
from cpts.unscheduled_care import selectors as sas

from . import engine as year_engine
from .locks import Busy, lock_money
from .models import Contract, Evaluation, Indicator
from .services import (
    RuleError,
    _back_to_decision,
    _open_year,
    check_binding,
    check_contract_year,
    clear_provenance,
    save_audited,
)

CENT = Decimal("0.01")


def measured_value(result: ComputedIndicator, measure: str) -> Decimal | None:
    """The value an annex indicator takes from ``result``."""
    if measure == Indicator.Measure.PERCENT:
        if not result.denominator or result.value is None:
            return None
        return (result.value * 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(result.numerator).quantize(CENT)


def bind_indicator(indicator: Indicator, user: User, code: str, measure: str) -> None:
    """Bind an indicator of the annex to a computed indicator (``code`` empty: typed by hand)."""
    require(user, Action.ANNEX, indicator.contract.community)
    code, measure = check_binding(code, measure, indicator.kind)
    with transaction.atomic():
        _open_year(indicator.contract, indicator.contract_year)
        indicator.refresh_from_db()
        if (code, measure) == (indicator.computed_code, indicator.computed_measure):
            return
        indicator.computed_code, indicator.computed_measure = code, measure
        clear_provenance(indicator)  # the value, if any, no longer comes from this binding
        save_audited(indicator, user)


@dataclass
class Filled:
    """What a computation of a contract year did to its annex."""

    stored: computations.Stored
    changed: list[Indicator] = field(default_factory=list)
    unchanged: list[Indicator] = field(default_factory=list)

    #: The year's last day, when the computation stops earlier: a year in progress (D is today),
    #: or claims that stop before the year's end (D is their last day of care).
    year_end: dt.date | None = None

    def summary(self) -> str:
        sent_back = sum(1 for item in self.changed if item.verdict == Indicator.Verdict.PENDING)
        partial = (
            f" (calcul partiel : l'année va jusqu'au {self.year_end:%d/%m/%Y})"
            if self.year_end
            else ""
        )
        text = (
            f"{len(self.changed) + len(self.unchanged)} indicateur(s) calculé(s) sur les données "
            f"du {self.stored.community.start:%d/%m/%Y} au {self.stored.community.end:%d/%m/%Y}"
            f"{partial} : {len(self.changed)} valeur(s) modifiée(s)"
        )
        return text + (f", à décider par la CPAM : {sent_back}." if self.changed else ".")


def _fillable_year(contract: Contract, number: int, user: User | None) -> year_engine.YearFacts:
    """The facts of contract year ``number`` once ``user`` may fill it (``None``: the command
    line without ``--as``) and the year exists, has begun, within the contract, and is open."""
    if user is not None:
        require(user, Action.COMPUTE, contract.community)
    check_contract_year(contract, number)
    facts = year_engine.year_facts(contract, number)
    if facts.start > today():
        raise RuleError(f"L'année contractuelle {number} n'a pas commencé.")
    _open(contract, number)
    return facts


def fill_measured_values(
    contract: Contract,
    number: int,
    user: User | None,
    claims_dir: Path | str | None = None,
    engine: str = Engine.DUCKDB,
    spark_master: str | None = None,
) -> Filled:
    """Compute the indicators over contract year ``number`` and fill every bound indicator of its
    annex; a value that changes goes back to the CPAM's decision. The period runs from the
    year's first day to D, its last day, or today for a year in progress (the CPAM follows the
    year as it goes; the stored period and the provenance say where it stopped).

    The claims are read first, without holding anything; then the results, the values and
    their provenance are written in one transaction, under the money lock (measured values
    drive the variable parts) and the contract's row, which closing the evaluation locks too:
    the year is checked open again under them, so that a fill and a closing never cross (all
    or nothing). ``user`` None: the command line without
    ``--as`` (an administrator). ``spark_master``: with Spark, the cluster to run on (default:
    the ``SPARK_MASTER`` setting, else ``local[*]``)."""
    community = contract.community
    facts = _fillable_year(contract, number, user)
    if not _bound(contract, number).exists():
        raise RuleError(
            f"Aucun indicateur de l'annexe de l'année {number} n'est relié à un indicateur "
            "calculé : reliez-en un depuis sa page, puis recommencez."
        )
    last_day = facts.end - dt.timedelta(days=1)
    # D: a year in progress is computed up to today, and never past the claims' last day of
    # care (an extract runs months behind: computations.compute stops there)
    day = min(last_day, today())
    pending = computations.compute(
        community, facts.start, day, user, claims_dir, engine, spark_master,
        in_progress=day < last_day,
    )  # fmt: skip
    try:
        with transaction.atomic():
            lock_money()
            Contract.objects.select_for_update().filter(pk=contract.pk).first()
            _open(contract, number)
            stored = computations.store(pending, user)
            results = {item.code: item for item in stored.community.results.all()}
            filled = Filled(stored, year_end=last_day if pending.end < last_day else None)
            for indicator in _bound(contract, number).select_for_update():
                result = results.get(indicator.computed_code)
                if result is None:
                    raise RuleError(
                        f"L'indicateur calculé « {indicator.computed_code} » n'est pas défini "
                        f"pour l'année {number} : reliez « {indicator.label} » à un autre."
                    )
                value = measured_value(result, indicator.computed_measure)
                changed = indicator.measured_value != value
                indicator.measured_value = value
                indicator.computed_result = result
                indicator.computed_start, indicator.computed_end = pending.start, pending.end
                indicator.computed_engine = pending.engine
                indicator.computed_at = stored.community.computed_at
                indicator.computed_by = user
                if changed:
                    _back_to_decision(indicator)
                save_audited(indicator, user)
                (filled.changed if changed else filled.unchanged).append(indicator)
            return filled
    except Busy as error:
        raise RuleError(
            "Un calcul des indicateurs ou une autre opération sur les montants (campagne de "
            "paiement, résiliation) est en cours : recommencez dans un instant."
        ) from error


def _bound(contract: Contract, number: int) -> QuerySet[Indicator]:
    """The indicators of the year bound to an indicator computed from the claims."""
    return (
        contract.indicators.filter(contract_year=number)
        .exclude(computed_code="")
        .exclude(computed_code=sas.INDICATOR_CODE)
    )


def _bound_to_sas(contract: Contract, number: int) -> QuerySet[Indicator]:
    return contract.indicators.filter(contract_year=number, computed_code=sas.INDICATOR_CODE)


def fill_sas_values(
    contract: Contract, number: int, user: User | None, now: dt.datetime | None = None
) -> list[Indicator]:
    """Fill the indicators of contract year ``number`` bound to « demandes du SAS ayant abouti à
    un rendez-vous » with the count of the SAS requests recorded here
    (:func:`cpts.unscheduled_care.selectors.appointments_count`: requests received in the year,
    French time, whose live appointment is in one of the community's slots), like a measured
    value: the provenance says the source (``computed_engine`` « sas »), the period (the year's
    first day to its last, or today for a year in progress), when and by whom; a value that
    changes goes back to the CPAM's decision. Same path as :func:`fill_measured_values`: under
    the money lock and the contract's row, the year checked open again under them; a closed
    year never moves (and the database refuses it anyway). Returns the indicators whose value
    changed."""
    community = contract.community
    facts = _fillable_year(contract, number, user)
    if not _bound_to_sas(contract, number).exists():
        raise RuleError(
            f"Aucun indicateur de l'annexe de l'année {number} n'est relié aux demandes du SAS : "
            "reliez-en un depuis sa page, puis recommencez."
        )
    last_day = min(facts.end - dt.timedelta(days=1), today())
    now = now or timezone.now()
    try:
        with transaction.atomic():
            lock_money()
            Contract.objects.select_for_update().filter(pk=contract.pk).first()
            _open(contract, number)
            count = sas.appointments_count(community, facts.start, last_day + dt.timedelta(days=1))
            value = Decimal(count).quantize(CENT)
            changed = []
            for indicator in _bound_to_sas(contract, number).select_for_update():
                moved = indicator.measured_value != value
                indicator.measured_value = value
                indicator.computed_result = None
                indicator.computed_start, indicator.computed_end = facts.start, last_day
                indicator.computed_engine = sas.INDICATOR_SOURCE
                indicator.computed_at = now
                indicator.computed_by = user
                if moved:
                    _back_to_decision(indicator)
                    changed.append(indicator)
                save_audited(indicator, user)
            return changed
    except Busy as error:
        raise RuleError(
            "Un calcul des indicateurs ou une autre opération sur les montants (campagne de "
            "paiement, résiliation) est en cours : recommencez dans un instant."
        ) from error


def _open(contract: Contract, number: int) -> None:
    """Refuse a year whose evaluation is closed (under the contract's row lock, it stays open
    until the commit: closing takes that lock first)."""
    evaluations = Evaluation.objects.filter(contract=contract, contract_year=number)
    if any(evaluation.status == Evaluation.Status.CLOSED for evaluation in evaluations):
        raise RuleError(
            f"L'évaluation de l'année {number} est close : ses valeurs ne se recalculent plus."
        )
