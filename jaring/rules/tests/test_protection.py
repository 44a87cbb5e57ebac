"""The one definition of "protected on a day" (rules.protection)."""

from __future__ import annotations

import datetime as dt

from jaring.rules.protection import DueFacts, MembershipFacts, ProtectionReason, protection_on

D = dt.date
ACTIVE = MembershipFacts(status="active", start=D(2026, 1, 10))


def due(month: int, paid_on: dt.date | None = None, *, year: int = 2026, day: int = 15) -> DueFacts:
    return DueFacts(D(year, month, 1), D(year, month, day), paid_on)


def test_first_of_the_month_is_protected_when_nothing_is_owed():
    # The complaint: on 1 December the dashboard showed 0 protected. November paid, December billed
    # and not yet due: protected.
    dues = [due(11, D(2026, 11, 10)), due(12)]
    result = protection_on(D(2026, 12, 1), membership=ACTIVE, dues=dues)
    assert result.protected and result.reason == ProtectionReason.NOT_YET_DUE
    assert result.date == D(2026, 12, 15)


def test_running_month_not_billed_yet_is_not_yet_due():
    result = protection_on(D(2026, 12, 1), membership=ACTIVE, dues=[due(11, D(2026, 11, 2))])
    assert result.protected and result.reason == ProtectionReason.NOT_YET_DUE and result.date is None


def test_paid_running_month():
    result = protection_on(D(2026, 12, 20), membership=ACTIVE, dues=[due(11, D(2026, 11, 2)), due(12, D(2026, 12, 3))])
    assert result.protected and result.reason == ProtectionReason.PAID


def test_due_day_itself_is_still_on_time_and_the_next_day_is_a_gap():
    dues = [due(11, D(2026, 11, 2)), due(12)]
    assert protection_on(D(2026, 12, 15), membership=ACTIVE, dues=dues).protected
    after = protection_on(D(2026, 12, 16), membership=ACTIVE, dues=dues)
    assert not after.protected and after.reason == ProtectionReason.IN_ARREARS
    assert after.months_in_arrears == 1 and after.oldest_unpaid == D(2026, 12, 1)


def test_a_due_date_moved_past_a_holiday_is_honoured():
    # 15 Nov 2026 is a Sunday: the month is due on Monday the 16th (the due date is the billing's).
    dues = [due(10, D(2026, 10, 1)), due(11, day=16)]
    assert protection_on(D(2026, 11, 16), membership=ACTIVE, dues=dues).protected
    assert not protection_on(D(2026, 11, 17), membership=ACTIVE, dues=dues).protected


def test_arrears_before_the_running_month_make_it_unprotected_even_before_its_due_date():
    dues = [due(10, D(2026, 10, 1)), due(11), due(12)]
    result = protection_on(D(2026, 12, 2), membership=ACTIVE, dues=dues)
    assert not result.protected and result.months_in_arrears == 1 and result.oldest_unpaid == D(2026, 11, 1)
    assert "menunggak 1 bulan" in result.message.text("id")
    assert "in arrears" in result.message.text("en")


def test_a_payment_dated_after_the_day_is_not_known_on_the_day():
    dues = [due(10, D(2026, 10, 1)), due(11, D(2026, 11, 20))]
    assert not protection_on(D(2026, 11, 18), membership=ACTIVE, dues=dues).protected
    assert protection_on(D(2026, 11, 20), membership=ACTIVE, dues=dues).protected


def test_an_older_gap_a_government_paid_late_does_not_unprotect_today():
    # September never paid (a real gap in September), October and November paid: protected now.
    dues = [due(9), due(10, D(2026, 10, 5)), due(11, D(2026, 11, 5))]
    assert protection_on(D(2026, 11, 20), membership=ACTIVE, dues=dues).protected


def test_no_membership_pending_not_started_and_ended():
    assert protection_on(D(2026, 12, 1), membership=None, dues=[]).reason == ProtectionReason.NO_MEMBERSHIP
    for status in ("draft", "submitted"):
        pending = protection_on(D(2026, 12, 1), membership=MembershipFacts(status, D(2026, 11, 1)), dues=[])
        assert pending.reason == ProtectionReason.PENDING and not pending.protected
    later = protection_on(D(2026, 1, 9), membership=ACTIVE, dues=[])
    assert later.reason == ProtectionReason.NOT_STARTED and later.date == D(2026, 1, 10)
    ended = MembershipFacts("ended", D(2026, 1, 10), ended_on=D(2026, 6, 16), end_reason="arrears")
    assert protection_on(D(2026, 6, 17), membership=ended, dues=[]).reason == ProtectionReason.ENDED
    # On the day of a death the member was still covered (a claim for that day is valid).
    died = MembershipFacts("ended", D(2026, 1, 10), ended_on=D(2026, 6, 3), end_reason="death")
    assert protection_on(D(2026, 6, 3), membership=died, dues=[due(5, D(2026, 5, 1)), due(6, D(2026, 6, 1))]).protected


def test_to_dict_speaks_both_languages():
    result = protection_on(D(2026, 12, 1), membership=ACTIVE, dues=[due(11, D(2026, 11, 1))])
    assert result.to_dict("id")["protected"] is True
    assert result.to_dict("id")["protected_reason"] == "not_yet_due"
    assert result.to_dict("en")["protected_text"].startswith("Protected")
