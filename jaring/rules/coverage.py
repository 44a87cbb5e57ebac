"""Is a person protected on a date? Month-by-month coverage from plain data.

Inputs are plain values (dates and a mapping of paid month → payment date) so the database layer
can feed this from a query and the same rules hold for one person or a whole cohort.

Rules encoded (parameters from the ``membership`` family):
- protection starts on the membership start date and is never backdated;
- a month is protected only if its contribution is paid; a payment made after the event counts
  only if it was made on or before the month's due date (``calendar.due_date``: the 15th, or the
  next working day when that is a Sunday or a day off);
- a month is *past due* from the day after its due date; when more than ``max_arrears_months``
  consecutive months are past due and unpaid, the membership ends on that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jaring.core.money import add_months, format_month, month_start, months_between
from jaring.rules.calendar import due_date
from jaring.rules.errors import RulesInputError
from jaring.rules.inputs import date_value, input_error, month_value
from jaring.rules.parameters import Parameters, default_parameters
from jaring.rules.text import Message, check_lang

Paid = Mapping[Any, Any]  # month (date on the 1st or "YYYY-MM") -> payment date
NOT_PROTECTED = frozenset(
    {"before_start", "after_end", "lapsed", "month_unpaid", "paid_after_event_late"}
)


class MonthStatus(StrEnum):
    PAID_ON_TIME = "paid_on_time"
    PAID_LATE = "paid_late"
    UNPAID = "unpaid"  # past due and not paid
    DUE = "due"  # billed, not paid, not past due yet
    NOT_MEMBER = "not_member"


# "Protected in month M": the month's contribution is paid, on time or late. The one definition the
# person's coverage strip, the membership panel and the dashboard's "protected" count read.
PROTECTED_STATUSES = frozenset({MonthStatus.PAID_ON_TIME, MonthStatus.PAID_LATE})


def due_status(*, due_date: dt.date, paid_on: dt.date | None, as_of: dt.date) -> MonthStatus:
    """A billed month as known on ``as_of``: a payment dated later is not known yet."""
    if paid_on is not None and paid_on <= as_of:
        return MonthStatus.PAID_ON_TIME if paid_on <= due_date else MonthStatus.PAID_LATE
    return MonthStatus.UNPAID if due_date < as_of else MonthStatus.DUE


class ArrearsStanding(StrEnum):
    """Where a membership stands with ``run`` consecutive past-due unpaid months (the arrears)."""

    CLEAR = "clear"
    AT_RISK = "at_risk"  # 1 up to the allowed months: one more and the membership ends
    LAPSING = "lapsing"  # more than allowed: the membership ended the day the last fell past due


def arrears_standing(run: int, max_arrears_months: int) -> ArrearsStanding:
    if run <= 0:
        return ArrearsStanding.CLEAR
    return ArrearsStanding.AT_RISK if run <= max_arrears_months else ArrearsStanding.LAPSING


def arrears_run(months: list[tuple[dt.date, MonthStatus]]) -> int:
    """Months in arrears from a month-by-month status list (oldest first): the consecutive
    ``UNPAID`` months counted back from the latest past-due one (months not yet due skipped).
    The same count as ``consecutive_past_due_unpaid`` when every month is billed."""
    statuses = [status for _month, status in months]
    while statuses and statuses[-1] == MonthStatus.DUE:
        statuses.pop()
    run = 0
    while statuses and statuses.pop() == MonthStatus.UNPAID:
        run += 1
    return run


@dataclass(frozen=True)
class CoverageResult:
    protected: bool
    reasons: tuple[Message, ...]
    month: dt.date
    lapse_date: dt.date | None

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        check_lang(lang)
        return {
            "protected": self.protected,
            "reasons": [reason.to_dict(lang) for reason in self.reasons],
            "month": format_month(self.month),
            "lapse_date": self.lapse_date.isoformat() if self.lapse_date else None,
        }


class _Calendar:
    """Due dates and payment look-ups for one membership."""

    def __init__(self, start: dt.date, paid: Paid, params: Parameters | None):
        self.params = params or default_parameters()
        self.start = date_value(start, "start")
        self.first_month = month_start(self.start)
        self.paid = normalise_paid(paid)
        self._due: dict[dt.date, dt.date] = {}

    def due(self, month: dt.date) -> dt.date:
        if month not in self._due:
            self._due[month] = self._compute_due(month)
        return self._due[month]

    def _compute_due(self, month: dt.date) -> dt.date:
        try:
            due = due_date(month, self.params)
        except RulesInputError as exc:
            raise exc.with_field("start") from None
        # Someone who joins after the due day cannot have paid "on time" before joining; the
        # first month is due no earlier than the start date.
        return max(due, self.start) if month == self.first_month else due

    def unpaid_on(self, month: dt.date, day: dt.date) -> bool:
        paid_on = self.paid.get(month)
        return paid_on is None or paid_on > day

    def max_arrears(self, day: dt.date) -> int:
        value: int = self.params.on(day, field="as_of").value("membership", "max_arrears_months")
        return value

    def past_due_run(self, as_of: dt.date) -> int:
        """Consecutive past-due unpaid months, counted back from the latest past-due month."""
        month = month_start(as_of)
        while month >= self.first_month and not as_of > self.due(month):
            month = add_months(month, -1)
        count = 0
        while month >= self.first_month and self.unpaid_on(month, as_of):
            count += 1
            month = add_months(month, -1)
        return count

    def lapse(self, as_of: dt.date) -> dt.date | None:
        month = self.first_month
        while (day := self.due(month) + dt.timedelta(days=1)) <= as_of:
            if self.past_due_run(day) > self.max_arrears(day):
                return day
            month = add_months(month, 1)
        return None


def normalise_paid(paid: Paid) -> dict[dt.date, dt.date]:
    if not isinstance(paid, Mapping):
        raise input_error(
            "paid",
            "Harus berupa pemetaan bulan → tanggal bayar.",
            "Must be a mapping of month → payment date.",
        )
    result: dict[dt.date, dt.date] = {}
    for key, value in paid.items():
        field = f"paid.{key.isoformat() if isinstance(key, dt.date) else key}"
        month = month_value(key, field)
        if month in result:
            raise input_error(field, "Bulan disebut dua kali.", "Month given twice.")
        result[month] = date_value(value, field)
    return result


def consecutive_past_due_unpaid(
    start: dt.date, paid: Paid, as_of: dt.date, *, params: Parameters | None = None
) -> int:
    """How many months in a row, up to the latest past-due month, are unpaid as of ``as_of``."""
    return _Calendar(start, paid, params).past_due_run(date_value(as_of, "as_of"))


def lapse_date(
    start: dt.date, paid: Paid, as_of: dt.date, *, params: Parameters | None = None
) -> dt.date | None:
    """The day the membership ended for arrears, if it did by ``as_of``; else ``None``."""
    return _Calendar(start, paid, params).lapse(date_value(as_of, "as_of"))


def month_statuses(
    start: dt.date,
    paid: Paid,
    as_of: dt.date,
    *,
    end: dt.date | None = None,
    params: Parameters | None = None,
) -> list[tuple[dt.date, MonthStatus]]:
    """Status of every month from the start (or an earlier paid month) to ``as_of``'s month.
    A payment dated after ``as_of`` is not known yet and so does not count."""
    calendar = _Calendar(start, paid, params)
    as_of = date_value(as_of, "as_of")
    end = None if end is None else date_value(end, "end")
    lapsed = calendar.lapse(as_of)
    first = min([calendar.first_month, *calendar.paid])
    months = [add_months(first, i) for i in range(months_between(first, month_start(as_of)) + 1)]
    return [(month, _status(calendar, month, as_of, end, lapsed)) for month in months]


def _status(
    calendar: _Calendar, month: dt.date, as_of: dt.date, end: dt.date | None, lapsed: dt.date | None
) -> MonthStatus:
    if (
        month < calendar.first_month
        or (end is not None and month > month_start(end))
        or (lapsed is not None and month >= lapsed)
    ):
        return MonthStatus.NOT_MEMBER
    if calendar.unpaid_on(month, as_of):
        return MonthStatus.UNPAID
    if calendar.paid[month] <= calendar.due(month):
        return MonthStatus.PAID_ON_TIME
    return MonthStatus.PAID_LATE


def check_coverage(
    *,
    start: dt.date,
    paid: Paid,
    event_date: dt.date,
    end: dt.date | None = None,
    params: Parameters | None = None,
) -> CoverageResult:
    """Was the person protected on ``event_date``? ``start`` is the protection start date,
    ``end`` an optional end of membership, ``paid`` maps months to payment dates."""
    calendar = _Calendar(start, paid, params)
    event = date_value(event_date, "event_date")
    end = None if end is None else date_value(end, "end")
    month = month_start(event)
    if event < calendar.start:
        return CoverageResult(False, (_before_start(calendar.start),), month, None)
    reasons: list[Message] = []
    if end is not None and event > end:
        reasons.append(
            Message(
                "after_end",
                f"Kepesertaan berakhir pada {end.isoformat()}, sebelum kejadian.",
                f"The membership ended on {end.isoformat()}, before the event.",
            )
        )
    lapsed = calendar.lapse(event)
    if lapsed is not None:
        limit = calendar.max_arrears(lapsed)
        reasons.append(
            Message(
                "lapsed",
                f"Kepesertaan berakhir pada {lapsed.isoformat()} karena lebih dari {limit} bulan "
                "berturut-turut menunggak.",
                f"The membership ended on {lapsed.isoformat()} after more than {limit} consecutive "
                "months past due and unpaid.",
            )
        )
    reasons.extend(_payment_reasons(calendar, month, event))
    protected = not any(reason.code in NOT_PROTECTED for reason in reasons)
    return CoverageResult(protected, tuple(reasons), month, lapsed)


def _before_start(start: dt.date) -> Message:
    return Message(
        "before_start",
        f"Kejadian sebelum perlindungan dimulai ({start.isoformat()}); perlindungan tidak "
        "berlaku surut.",
        f"The event was before protection started ({start.isoformat()}); protection is never "
        "backdated.",
    )


def _payment_reasons(calendar: _Calendar, month: dt.date, event: dt.date) -> list[Message]:
    name = format_month(month)
    paid_on = calendar.paid.get(month)
    due = calendar.due(month)
    if paid_on is None:
        return [
            Message(
                "month_unpaid",
                f"Iuran bulan {name} belum dibayar (jatuh tempo {due.isoformat()}).",
                f"The contribution for {name} is unpaid (due {due.isoformat()}).",
            )
        ]
    if paid_on <= event:
        return [
            Message(
                "paid_before_event",
                f"Iuran bulan {name} dibayar {paid_on.isoformat()}, sebelum kejadian.",
                f"The contribution for {name} was paid on {paid_on.isoformat()}, before the event.",
            )
        ]
    if paid_on <= due:
        return [
            Message(
                "paid_after_event_before_due",
                f"Iuran bulan {name} dibayar {paid_on.isoformat()}, setelah kejadian tetapi "
                f"sebelum jatuh tempo ({due.isoformat()}); tetap terlindungi.",
                f"The contribution for {name} was paid on {paid_on.isoformat()}, after the event "
                f"but by the due date ({due.isoformat()}); protected.",
            )
        ]
    return [
        Message(
            "paid_after_event_late",
            f"Iuran bulan {name} baru dibayar {paid_on.isoformat()}, setelah kejadian dan setelah "
            f"jatuh tempo ({due.isoformat()}); tidak terlindungi.",
            f"The contribution for {name} was only paid on {paid_on.isoformat()}, after the event "
            f"and after the due date ({due.isoformat()}); not protected.",
        )
    ]
