"""Working days and the contribution due date (DOMAIN §2.1).

A BPU contribution is due on ``due_day`` of the month covered (``due_month_offset`` months later
under the other reading); when that day is a Sunday or a day off, on the next working day.
Days off are data, not code: Indonesian national holidays and *cuti bersama* from the maintained
``holidays`` package, plus and minus the days of the ``working_days`` parameters (the yearly
SKB), and Saturdays only if ``saturday_is_day_off`` says so.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays

from jaring.core.money import add_months
from jaring.rules.errors import ParameterError
from jaring.rules.inputs import date_value, month_value
from jaring.rules.parameters import Parameters, Snapshot, default_parameters

COUNTRY = "ID"
SUNDAY, SATURDAY = 6, 5
# More days off in a row than this means broken parameter data, not a long holiday.
_MAX_DAYS_OFF_IN_A_ROW = 31


def due_date(period: dt.date | str, params: Parameters | None = None) -> dt.date:
    """The due date of the contribution for ``period`` (a month: the 1st, or ``YYYY-MM``): the
    ``due_day`` of the month covered (plus ``due_month_offset``), or the next working day."""
    params = params or default_parameters()
    month = month_value(period, "period")
    snapshot = params.on(month, field="period")
    snapshot.require("membership", field="period")
    target = add_months(month, snapshot.value("membership", "due_month_offset"))
    return next_working_day(target.replace(day=snapshot.value("membership", "due_day")), params)


def next_working_day(day: dt.date, params: Parameters | None = None) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    params = params or default_parameters()
    day = date_value(day, "day")
    for _ in range(_MAX_DAYS_OFF_IN_A_ROW + 1):
        if is_working_day(day, params):
            return day
        day += dt.timedelta(days=1)
    raise ParameterError(
        f"no working day in the {_MAX_DAYS_OFF_IN_A_ROW} days before {day.isoformat()}; check "
        "the working_days parameters"
    )


def is_working_day(day: dt.date, params: Parameters | None = None) -> bool:
    """Not a Sunday, not a Saturday if those are days off, and not a day off of its year."""
    params = params or default_parameters()
    day = date_value(day, "day")
    if day.weekday() == SUNDAY:
        return False
    snapshot = _working_days(params, day)
    if day.weekday() == SATURDAY and snapshot.value("working_days", "saturday_is_day_off"):
        return False
    return day_off_name(day, params) is None


def day_off_name(day: dt.date, params: Parameters | None = None) -> str | None:
    """The name of the holiday or *cuti bersama* on ``day`` (weekends aside), or ``None``."""
    params = params or default_parameters()
    day = date_value(day, "day")
    snapshot = _working_days(params, day)
    if day in snapshot.value("working_days", "removed_days_off"):
        return None
    extra = snapshot.param("working_days", "extra_days_off")
    if day in extra.value:
        return next(entry.label for entry in extra.entries if entry.value == day)
    categories = snapshot.value("working_days", "holiday_categories")
    return _library_days(day.year, tuple(categories)).get(day)


def _working_days(params: Parameters, day: dt.date) -> Snapshot:
    snapshot = params.on(day, field="day")
    snapshot.require("working_days", field="day")
    return snapshot


@functools.lru_cache(maxsize=64)
def _library_days(year: int, categories: tuple[str, ...]) -> dict[dt.date, str]:
    if not categories:
        return {}
    found = holidays.country_holidays(COUNTRY, years=year, categories=categories, language="id")
    return {day: str(name) for day, name in found.items()}
