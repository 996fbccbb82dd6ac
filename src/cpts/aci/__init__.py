"""The ACI CPTS as code: pure Python, no Django.

Every legal figure lives in the dated YAML files of ``parameters/``; this package computes with
them, to the cent, and explains each amount.
"""

from .accelerator import AcceleratorResult, accelerator
from .calendar import ContractYear, add_months, contract_year
from .deadlines import MissionDeadline, Status, mission_deadlines
from .errors import AciError, InvalidInput, ParameterError
from .financing import (
    ContractYearInput,
    ContractYearResult,
    Line,
    MissionInput,
    compute_contract_year,
    core_missions,
    grid_maximum,
)
from .indicators import Achievement, DoneIndicator, GradedIndicator, TargetIndicator, Tier
from .missions import Mission
from .parameters import ParameterTree, default_tree, load_tree
from .schedule import PaymentSchedule, ScheduledPayment, payment_schedule
from .size_class import SizeClass, size_class

__all__ = [
    "AcceleratorResult",
    "Achievement",
    "AciError",
    "ContractYear",
    "ContractYearInput",
    "ContractYearResult",
    "DoneIndicator",
    "GradedIndicator",
    "InvalidInput",
    "Line",
    "Mission",
    "MissionDeadline",
    "MissionInput",
    "ParameterError",
    "ParameterTree",
    "PaymentSchedule",
    "ScheduledPayment",
    "SizeClass",
    "Status",
    "TargetIndicator",
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
    "payment_schedule",
    "size_class",
]
