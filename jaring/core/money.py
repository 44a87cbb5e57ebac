"""Money and month helpers. Pure Python: importable by ``jaring.rules`` without Django.

Money is always integer rupiah (``int``); rates are ``Decimal``. Months are ``date`` objects
on the first day of the month.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def round_idr(amount: Decimal | int) -> int:
    """Round a rupiah amount to a whole rupiah, half up. The one rounding helper."""
    if isinstance(amount, int):
        return amount
    if not isinstance(amount, Decimal):
        raise TypeError("round_idr takes Decimal or int, never float")
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_idr(amount: int | None) -> str:
    """Indonesian display: ``Rp16.800``."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """Whole months from ``first`` to ``last`` (both month starts); negative if last is earlier."""
    return (last.year - first.year) * 12 + (last.month - first.month)


def month_range(first: dt.date, count: int) -> list[dt.date]:
    start = month_start(first)
    return [add_months(start, i) for i in range(count)]


def parse_month(text: str) -> dt.date:
    """Parse ``YYYY-MM`` into the first day of that month; ``ValueError`` otherwise."""
    match = _MONTH_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {text!r}")
    return dt.date(year, month, 1)


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for 29 February): born on or before it means
    at least that age on ``day``."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Age in whole years on a date."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
