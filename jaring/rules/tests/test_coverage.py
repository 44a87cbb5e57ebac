"""Coverage: protection per month, arrears and the end of membership."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules import (
    MonthStatus,
    RulesInputError,
    check_coverage,
    consecutive_past_due_unpaid,
    lapse_date,
    month_statuses,
)

D = dt.date
START = D(2026, 1, 1)
JAN_TO_MAY_ON_TIME = {D(2026, m, 1): D(2026, m, 10) for m in range(1, 6)}


def test_acceptance_membership_ends_after_more_than_three_past_due_months():
    # Paid Jan–May on time, nothing after. On 14 Sep Jun, Jul and Aug are past due (3): still a
    # member. On 16 Sep September is past due too (4): the membership has ended.
    paid = JAN_TO_MAY_ON_TIME
    assert consecutive_past_due_unpaid(START, paid, D(2026, 9, 14)) == 3
    assert lapse_date(START, paid, D(2026, 9, 14)) is None
    assert consecutive_past_due_unpaid(START, paid, D(2026, 9, 15)) == 3  # due day itself
    assert lapse_date(START, paid, D(2026, 9, 15)) is None
    assert consecutive_past_due_unpaid(START, paid, D(2026, 9, 16)) == 4
    assert lapse_date(START, paid, D(2026, 9, 16)) == D(2026, 9, 16)
    assert lapse_date(START, paid, D(2027, 1, 1)) == D(2026, 9, 16)


def test_month_statuses():
    paid = {**JAN_TO_MAY_ON_TIME, D(2026, 6, 1): D(2026, 7, 2)}
    statuses = dict(month_statuses(START, paid, D(2026, 11, 20)))
    assert statuses[D(2026, 1, 1)] == MonthStatus.PAID_ON_TIME
    assert statuses[D(2026, 6, 1)] == MonthStatus.PAID_LATE
    assert statuses[D(2026, 7, 1)] == MonthStatus.UNPAID
    assert statuses[D(2026, 10, 1)] == MonthStatus.UNPAID  # Jul–Oct: 4 past due on 16 Oct
    assert statuses[D(2026, 11, 1)] == MonthStatus.NOT_MEMBER
    assert list(statuses) == [D(2026, m, 1) for m in range(1, 12)]
    assert statuses[D(2026, 1, 1)] == "paid_on_time"  # plain strings for templates and JSON


def test_month_statuses_before_start_after_end_and_future_payments():
    paid = {
        D(2025, 12, 1): D(2025, 12, 1),
        D(2026, 1, 1): D(2026, 1, 5),
        D(2026, 2, 1): D(2026, 3, 30),
    }
    statuses = dict(month_statuses(START, paid, D(2026, 3, 20), end=D(2026, 2, 28)))
    assert statuses == {
        D(2025, 12, 1): MonthStatus.NOT_MEMBER,  # paid, but before the start
        D(2026, 1, 1): MonthStatus.PAID_ON_TIME,
        D(2026, 2, 1): MonthStatus.UNPAID,  # the payment is after as_of: not known yet
        D(2026, 3, 1): MonthStatus.NOT_MEMBER,  # after the end
    }


def test_joining_after_the_due_day_is_not_late():
    start = D(2026, 1, 20)
    statuses = dict(month_statuses(start, {D(2026, 1, 1): D(2026, 1, 20)}, D(2026, 1, 31)))
    assert statuses[D(2026, 1, 1)] == MonthStatus.PAID_ON_TIME


def test_arrears_paid_within_the_limit_keep_the_membership():
    paid = {
        **JAN_TO_MAY_ON_TIME,
        **{D(2026, m, 1): D(2026, 9, 10) for m in (6, 7, 8, 9)},
    }  # caught up on 10 Sep
    assert lapse_date(START, paid, D(2027, 1, 1)) is None  # Oct–Dec past due: only 3
    assert consecutive_past_due_unpaid(START, paid, D(2026, 9, 20)) == 0


def test_late_payment_after_lapse_does_not_revive():
    paid = {
        **JAN_TO_MAY_ON_TIME,
        **{D(2026, m, 1): D(2026, 9, 20) for m in (6, 7, 8, 9)},
    }  # four days too late
    assert lapse_date(START, paid, D(2026, 12, 1)) == D(2026, 9, 16)


# --- check_coverage -------------------------------------------------------------------------


def codes(result) -> list[str]:
    return [reason.code for reason in result.reasons]


@pytest.mark.parametrize(
    ("paid", "event", "protected", "expected"),
    [
        ({D(2026, 3, 1): D(2026, 3, 1)}, D(2026, 3, 20), True, ["paid_before_event"]),
        # Paid after the event but by the due date: counts. 15 March 2026 is a Sunday, so the
        # March contribution is due on Monday 16 March.
        ({D(2026, 3, 1): D(2026, 3, 15)}, D(2026, 3, 2), True, ["paid_after_event_before_due"]),
        ({D(2026, 3, 1): D(2026, 3, 16)}, D(2026, 3, 2), True, ["paid_after_event_before_due"]),
        # Paid after the event and after the due date: not protected.
        ({D(2026, 3, 1): D(2026, 3, 25)}, D(2026, 3, 20), False, ["paid_after_event_late"]),
        ({D(2026, 3, 1): D(2026, 3, 17)}, D(2026, 3, 2), False, ["paid_after_event_late"]),
        ({D(2026, 4, 1): D(2026, 4, 16)}, D(2026, 4, 2), False, ["paid_after_event_late"]),
        # A late payment made before the event still protects the month.
        ({D(2026, 3, 1): D(2026, 3, 18)}, D(2026, 3, 20), True, ["paid_before_event"]),
        ({}, D(2026, 3, 20), False, ["month_unpaid"]),
        ({D(2026, 2, 1): D(2026, 2, 1)}, D(2026, 3, 20), False, ["month_unpaid"]),
    ],
)
def test_event_month_payment(paid, event, protected, expected):
    result = check_coverage(start=START, paid=paid, event_date=event)
    assert result.protected is protected
    assert codes(result) == expected


def test_event_before_start_is_never_covered():
    result = check_coverage(
        start=D(2026, 3, 10), paid={D(2026, 3, 1): D(2026, 3, 1)}, event_date=D(2026, 3, 9)
    )
    assert not result.protected and codes(result) == ["before_start"]
    assert "tidak berlaku surut" in result.to_dict()["reasons"][0]["text"]


def test_event_after_end():
    result = check_coverage(
        start=START,
        end=D(2026, 3, 10),
        paid={D(2026, 3, 1): D(2026, 3, 1)},
        event_date=D(2026, 3, 20),
    )
    assert not result.protected and codes(result) == ["after_end", "paid_before_event"]


def test_event_after_lapse_even_if_event_month_was_paid():
    paid = {**JAN_TO_MAY_ON_TIME, D(2026, 10, 1): D(2026, 10, 1)}
    result = check_coverage(start=START, paid=paid, event_date=D(2026, 10, 5))
    assert not result.protected
    assert codes(result) == ["lapsed", "paid_before_event"]
    assert result.lapse_date == D(2026, 9, 16)


def test_event_with_three_past_due_months_is_still_covered_if_month_paid():
    paid = {**JAN_TO_MAY_ON_TIME, D(2026, 9, 1): D(2026, 9, 14)}
    result = check_coverage(start=START, paid=paid, event_date=D(2026, 9, 14))
    assert result.protected and result.lapse_date is None


def test_coverage_dict_in_both_languages():
    result = check_coverage(start=START, paid={}, event_date=D(2026, 2, 3))
    assert result.to_dict() == {
        "protected": False,
        "reasons": [
            {
                "code": "month_unpaid",
                # 15 Feb 2026 is a Sunday, 16 Feb cuti bersama, 17 Feb Imlek.
                "text": "Iuran bulan 2026-02 belum dibayar (jatuh tempo 2026-02-18).",
            }
        ],
        "month": "2026-02",
        "lapse_date": None,
    }
    assert result.to_dict("en")["reasons"][0]["text"].startswith("The contribution for 2026-02")


def test_plain_string_inputs():
    result = check_coverage(
        start="2026-01-01", paid={"2026-03": "2026-03-01"}, event_date="2026-03-20"
    )
    assert result.protected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"paid": {"2026-13": "2026-03-01"}}, "paid.2026-13"),
        ({"paid": {D(2026, 3, 5): D(2026, 3, 1)}}, "paid.2026-03-05"),
        ({"paid": {"2026-03": "01/03/2026"}}, "paid.2026-03"),
        ({"paid": {"2026-03": "2026-03-01", D(2026, 3, 1): D(2026, 3, 1)}}, "paid.2026-03-01"),
        ({"paid": [1, 2]}, "paid"),
        ({"start": "2026-1-1"}, "start"),
        ({"event_date": "tomorrow"}, "event_date"),
        ({"start": D(2010, 1, 1)}, "start"),  # before the first parameter set
    ],
)
def test_bad_input(kwargs, field):
    arguments = {"start": START, "paid": {}, "event_date": D(2026, 3, 1), **kwargs}
    with pytest.raises(RulesInputError) as info:
        check_coverage(**arguments)
    assert info.value.field == field
