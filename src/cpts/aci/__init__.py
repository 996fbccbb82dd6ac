"""The ACI CPTS as code: pure Python, no Django.

Every legal figure lives in the dated YAML files of ``parameters/``; this package computes with
them, to the cent, and explains each amount. One module per legal concept:

* :mod:`.functioning` — the functioning and the additional functioning (ACI art. 7.2 and 8;
  avenant 2, art. 4);
* :mod:`.missions` — the missions, their fixed and variable parts, pro rata temporis (ACI art. 5
  and 8; contrat type art. 6.2); :mod:`.crisis` — the crisis mission (avenant 2, art. 4);
* :mod:`.increase` — the increase of size 4 with enough members (avenant 2, art. 4);
* :mod:`.financing` — a contract year assembled from the above (:func:`compute_contract_year`);
* :mod:`.schedule` and :mod:`.settlement` — the payments: when each amount is paid, the balance,
  recoveries (ACI art. 9.1; contrat type art. 6.1 and 6.2);
* :mod:`.size_class`, :mod:`.calendar`, :mod:`.deadlines`, :mod:`.accelerator`,
  :mod:`.indicators`, :mod:`.sas` (the deadline of an unscheduled care request); :mod:`.lines`
  and :mod:`.money` for the explained amounts.
"""

from .accelerator import AcceleratorResult, accelerator
from .calendar import ContractYear, add_months, contract_year
from .deadlines import MissionDeadline, Status, mission_deadlines
from .errors import AciError, InvalidInput, ParameterError
from .financing import ContractYearInput, ContractYearResult, compute_contract_year, grid_maximum
from .functioning import ADDITIONAL_FUNCTIONING, FUNCTIONING
from .increase import INCREASE
from .indicators import Achievement, DoneIndicator, GradedIndicator, TargetIndicator, Tier
from .lines import Factor, Line, readable_explanation, readable_lines
from .missions import UNSCHEDULED_CARE, Mission, MissionInput, core_missions, mission_exists
from .parameters import ParameterTree, default_tree, load_tree
from .sas import ResponseDeadline, response_deadline
from .schedule import PaymentSchedule, ScheduledPayment, payment_schedule
from .settlement import Settlement, TerminationRecovery, settle_year, termination_recovery
from .size_class import SizeClass, size_class

__all__ = [
    "ADDITIONAL_FUNCTIONING",
    "FUNCTIONING",
    "INCREASE",
    "UNSCHEDULED_CARE",
    "AcceleratorResult",
    "Achievement",
    "AciError",
    "ContractYear",
    "ContractYearInput",
    "ContractYearResult",
    "DoneIndicator",
    "Factor",
    "GradedIndicator",
    "InvalidInput",
    "Line",
    "Mission",
    "MissionDeadline",
    "MissionInput",
    "ParameterError",
    "ParameterTree",
    "PaymentSchedule",
    "ResponseDeadline",
    "ScheduledPayment",
    "Settlement",
    "SizeClass",
    "Status",
    "TargetIndicator",
    "TerminationRecovery",
    "Tier",
    "accelerator",
    "add_months",
    "compute_contract_year",
    "contract_year",
    "core_missions",
    "default_tree",
    "grid_maximum",
    "load_tree",
    "mission_deadlines",
    "mission_exists",
    "payment_schedule",
    "readable_explanation",
    "readable_lines",
    "response_deadline",
    "settle_year",
    "size_class",
    "termination_recovery",
]
