"""Is a person protected on a day? The one definition (decision 0034).

Protected on day D means: a membership that BPJSTK has activated, whose protection has started
on or before D and has not ended before D, with **no month in arrears** on D — the latest month
whose due date has passed is paid (as known on D), so the running month is paid *or not yet due*.

"In arrears" is the run of ``rules.coverage.arrears_run``: consecutive past-due unpaid months
counted back from the latest past-due one; the SQL twin is ``contributions.selectors.ARREARS_RUN_SQL``.
A month before the latest past-due one that a government paid late leaves a gap *in that month*
(the coverage strip shows it) but does not make the person unprotected today.

Inputs are plain values so the person page, the API, the CLI and the tests ask the same function;
the dashboard's snapshot counts the same rule in SQL (``reports.services``), and
``tests/rules/test_one_copy.py`` checks the two agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jaring.core.money import format_month, month_start
from jaring.rules.text import Message, check_lang, day_name, month_name


class ProtectionReason(StrEnum):
    PAID = "paid"  # the running month is paid
    NOT_YET_DUE = "not_yet_due"  # the running month is not due yet and nothing before it is owed
    NO_MEMBERSHIP = "no_membership"
    PENDING = "pending"  # registered with BPJSTK, waiting for its KPJ and start date
    NOT_STARTED = "not_started"  # protection starts later
    ENDED = "ended"
    IN_ARREARS = "in_arrears"


PROTECTING = frozenset({ProtectionReason.PAID, ProtectionReason.NOT_YET_DUE})


@dataclass(frozen=True)
class MembershipFacts:
    status: str  # membership.Membership.Status: draft, submitted, active, ended
    start: dt.date
    ended_on: dt.date | None = None
    end_reason: str = ""


@dataclass(frozen=True)
class DueFacts:
    period: dt.date
    due_date: dt.date
    paid_on: dt.date | None  # None when unpaid (a void due is not given at all)


@dataclass(frozen=True)
class Protection:
    day: dt.date
    reason: ProtectionReason
    months_in_arrears: int = 0
    oldest_unpaid: dt.date | None = None  # the first month of the arrears run
    date: dt.date | None = None  # start (not started), end (ended) or the running month's due date

    @property
    def protected(self) -> bool:
        return self.reason in PROTECTING

    @property
    def message(self) -> Message:
        return _message(self)

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        check_lang(lang)
        return {"protected": self.protected, "protected_reason": self.reason.value,
                "protected_text": self.message.text(lang), "as_of": self.day.isoformat(),
                "months_in_arrears": self.months_in_arrears,
                "oldest_unpaid": format_month(self.oldest_unpaid) if self.oldest_unpaid else None}


def protection_on(day: dt.date, *, membership: MembershipFacts | None, dues: Iterable[DueFacts]) -> Protection:
    """Protection on ``day`` from the membership that covers it and that membership's dues.

    A payment dated after ``day`` is not known on ``day``: the month was unpaid then."""
    if membership is None:
        return Protection(day, ProtectionReason.NO_MEMBERSHIP)
    if membership.status in ("draft", "submitted"):
        return Protection(day, ProtectionReason.PENDING)
    if membership.ended_on is not None and membership.ended_on < day:
        return Protection(day, ProtectionReason.ENDED, date=membership.ended_on)
    if membership.start > day:
        return Protection(day, ProtectionReason.NOT_STARTED, date=membership.start)
    past_due = sorted((d for d in dues if d.due_date < day), key=lambda d: d.period)
    run: list[DueFacts] = []
    for due in reversed(past_due):
        if due.paid_on is not None and due.paid_on <= day:
            break
        run.append(due)
    if run:
        return Protection(day, ProtectionReason.IN_ARREARS, months_in_arrears=len(run),
                          oldest_unpaid=run[-1].period)
    running = next((d for d in dues if d.period == month_start(day)), None)
    if running is not None and running.paid_on is not None and running.paid_on <= day:
        return Protection(day, ProtectionReason.PAID)
    return Protection(day, ProtectionReason.NOT_YET_DUE, date=running.due_date if running else None)


def _message(p: Protection) -> Message:
    code = p.reason.value
    if p.reason == ProtectionReason.PAID:
        return Message(code, "Terlindungi: iuran bulan ini sudah dibayar.",
                       "Protected: this month's contribution is paid.")
    if p.reason == ProtectionReason.NOT_YET_DUE:
        due = f" (jatuh tempo {day_name(p.date)})" if p.date else ""
        due_en = f" (due {day_name(p.date, 'en')})" if p.date else ""
        return Message(code, f"Terlindungi: iuran bulan ini belum jatuh tempo{due} dan tidak ada tunggakan.",
                       f"Protected: this month's contribution is not due yet{due_en} and nothing is owed.")
    if p.reason == ProtectionReason.NO_MEMBERSHIP:
        return Message(code, "Tidak terlindungi: belum terdaftar sebagai peserta.",
                       "Not protected: not a member.")
    if p.reason == ProtectionReason.PENDING:
        return Message(code, "Belum terlindungi: pendaftaran menunggu nomor KPJ dari BPJSTK.",
                       "Not protected yet: the registration is waiting for BPJSTK's KPJ number.")
    if p.reason == ProtectionReason.NOT_STARTED:
        start, start_en = (day_name(p.date), day_name(p.date, "en")) if p.date else ("", "")
        return Message(code, f"Belum terlindungi: perlindungan mulai {start}.",
                       f"Not protected yet: protection starts on {start_en}.")
    if p.reason == ProtectionReason.ENDED:
        end, end_en = (day_name(p.date), day_name(p.date, "en")) if p.date else ("", "")
        return Message(code, f"Tidak terlindungi: kepesertaan berakhir {end}.",
                       f"Not protected: the membership ended on {end_en}.")
    unpaid = p.oldest_unpaid
    oldest, oldest_en = (month_name(unpaid), month_name(unpaid, "en")) if unpaid else ("", "")
    return Message(code, f"Tidak terlindungi: menunggak {p.months_in_arrears} bulan sejak {oldest}.",
                   f"Not protected: {p.months_in_arrears} month(s) in arrears since {oldest_en}.")
