"""Claims: when each report is due, when the right lapses, when BPJSTK must pay, and the documents
each claim type needs (DOMAIN §2.2). Pure: dates and parameter data in, dates and items out.

- Stage I report: ``stage1_report_days`` × 24 hours after the event (2 × 24 h: the event day + 2).
- Stage II report: ``stage2_report_days`` × 24 hours after recovery, disability or death.
- The right lapses ``jkk_benefits.claim_window_years`` after the event (5 years).
- BPJSTK pays within ``payment_working_days`` working days of a complete claim (``rules.calendar``).
- A scholarship is applied for again every ``scholarship_reapply_months``.
A deadline is a day: a report made on it is on time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jaring.core.money import add_months
from jaring.rules.calendar import is_working_day
from jaring.rules.inputs import date_value, input_error
from jaring.rules.parameters import Parameters, default_parameters
from jaring.rules.schema import CLAIM_TYPES, Document

ChecklistItem = Document


@dataclass(frozen=True)
class ClaimDeadlines:
    stage1_report: dt.date
    lapses_on: dt.date
    stage2_report: dt.date | None = None
    payment_due: dt.date | None = None
    scholarship_reapply: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: (value.isoformat() if value else None) for key, value in (
            ("stage1_report", self.stage1_report), ("stage2_report", self.stage2_report),
            ("lapses_on", self.lapses_on), ("payment_due", self.payment_due),
            ("scholarship_reapply", self.scholarship_reapply))}


def _claim_type(claim_type: str) -> str:
    if claim_type not in CLAIM_TYPES:
        raise input_error("claim_type", f"Jenis klaim tidak dikenal; pilihan: {', '.join(CLAIM_TYPES)}.",
                          f"Unknown claim type; choose one of {', '.join(CLAIM_TYPES)}.")
    return claim_type


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_working_days(day: dt.date, days: int, params: Parameters | None = None) -> dt.date:
    """The ``days``-th working day after ``day`` (``rules.calendar``: Sundays, holidays, cuti bersama)."""
    params = params or default_parameters()
    current, left = date_value(day, "day"), days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, params):
            left -= 1
    return current


def claim_deadlines(claim_type: str, event_date: dt.date, *, outcome_date: dt.date | None = None,
                    complete_on: dt.date | None = None, params: Parameters | None = None) -> ClaimDeadlines:
    """The deadlines of a claim for an event on ``event_date`` (an accident, a diagnosis or a death);
    ``outcome_date`` is the day of recovery, disability or death (stage II), ``complete_on`` the day
    the claim was complete at BPJSTK (its payment promise runs from there)."""
    params = params or default_parameters()
    _claim_type(claim_type)
    event = date_value(event_date, "event_date")
    snapshot = params.on(event, field="event_date")
    snapshot.require("claims", "jkk_benefits", field="event_date")
    stage1 = event + dt.timedelta(days=snapshot.value("claims", "stage1_report_days"))
    stage2 = None
    if outcome_date is not None:
        outcome = date_value(outcome_date, "outcome_date")
        stage2 = outcome + dt.timedelta(days=snapshot.value("claims", "stage2_report_days"))
    payment = None
    if complete_on is not None:
        payment = add_working_days(complete_on, snapshot.value("claims", "payment_working_days"), params)
    reapply = None
    if claim_type == "scholarship":
        reapply = add_months(event, snapshot.value("claims", "scholarship_reapply_months"))
    lapses = add_years(event, snapshot.value("jkk_benefits", "claim_window_years"))
    return ClaimDeadlines(stage1_report=stage1, lapses_on=lapses, stage2_report=stage2, payment_due=payment,
                          scholarship_reapply=reapply)


def document_checklist(claim_type: str, *, on: dt.date | None = None,
                       params: Parameters | None = None) -> list[ChecklistItem]:
    """The documents a claim of ``claim_type`` needs (``required`` false: only in some cases)."""
    params = params or default_parameters()
    _claim_type(claim_type)
    day = on or dt.datetime.now(dt.UTC).date()  # the set in force today, unless asked for another day
    documents: tuple[Document, ...] = params.on(day, field="on").value("claims", "documents")
    return [d for d in documents if claim_type in d.types]
