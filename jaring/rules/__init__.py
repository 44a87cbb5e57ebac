"""Jaring's pure regulation engine: parameter data and calculators. Imports nothing from Django.

Regulation values live in ``params/*.toml`` with effective dates and citations; a deployment may
add files (``load_parameters(extra_paths)``) and pass the result as ``params=`` to a calculator.
"""

from jaring.rules.benefits import calculate_benefits
from jaring.rules.calendar import due_date, is_working_day, next_working_day
from jaring.rules.contributions import calculate_contribution
from jaring.rules.coverage import (
    PROTECTED_STATUSES,
    ArrearsStanding,
    CoverageResult,
    MonthStatus,
    arrears_run,
    arrears_standing,
    check_coverage,
    consecutive_past_due_unpaid,
    due_status,
    lapse_date,
    month_statuses,
)
from jaring.rules.discounts import Discount, DiscountRule
from jaring.rules.errors import ParameterError, RulesInputError
from jaring.rules.parameters import (
    Parameters,
    ParameterSet,
    Snapshot,
    default_parameters,
    load_parameters,
    parameters_on,
)
from jaring.rules.registration import protection_start, registration_age_problems
from jaring.rules.result import Item, Result
from jaring.rules.schema import FUNDING_CLASSES, PAYER_ALIASES, PAYERS, PROGRAMMES, SECTORS, ParamValue
from jaring.rules.text import Message

__all__ = [
    "FUNDING_CLASSES",
    "PAYERS",
    "PAYER_ALIASES",
    "PROGRAMMES",
    "PROTECTED_STATUSES",
    "SECTORS",
    "ArrearsStanding",
    "CoverageResult",
    "Discount",
    "DiscountRule",
    "Item",
    "Message",
    "MonthStatus",
    "ParamValue",
    "ParameterError",
    "ParameterSet",
    "Parameters",
    "Result",
    "RulesInputError",
    "Snapshot",
    "arrears_run",
    "arrears_standing",
    "calculate_benefits",
    "calculate_contribution",
    "check_coverage",
    "consecutive_past_due_unpaid",
    "default_parameters",
    "due_date",
    "due_status",
    "is_working_day",
    "lapse_date",
    "load_parameters",
    "month_statuses",
    "next_working_day",
    "parameters_on",
    "protection_start",
    "registration_age_problems",
]
