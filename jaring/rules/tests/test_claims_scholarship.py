"""Scholarship follow-ups per child (rules.claims): the next year's date and amount, or why none —
the end age across birthdays and 29 February, a level's years, the per-child ceiling, a child not in
school yet — and which children a claim's scholarship takes (rules.benefits' one rule)."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules.claims import (
    claim_deadlines,
    scholarship_children,
    scholarship_next,
    scholarship_reapply_on,
    scholarship_year,
)
from jaring.rules.errors import RulesInputError

D = dt.date


def year(**kw):  # type: ignore[no-untyped-def]
    kw.setdefault("years_at_level", 0)
    kw.setdefault("paid_total_idr", 0)
    return scholarship_year(**kw)


def test_the_next_year_is_the_reapply_deadline_and_pays_the_levels_amount():
    nxt = scholarship_next(birth_date=D(2015, 5, 4), level="SD", years_at_level=1, paid_total_idr=1_500_000,
                           last_date=D(2026, 7, 15))
    # One date for both: the next follow-up opens when the scholarship claim says to apply again.
    assert nxt.date == scholarship_reapply_on(D(2026, 7, 15)) == D(2027, 7, 1)
    assert nxt.date == claim_deadlines("scholarship", D(2026, 7, 15)).scholarship_reapply
    assert (nxt.amount_idr, nxt.level, nxt.reason, nxt.ends) == (1_500_000, "TK_SD", None, False)
    for level, amount in (("TK", 1_500_000), ("SMP", 2_000_000), ("SMA", 3_000_000), ("PT", 12_000_000)):
        assert year(birth_date=D(2010, 1, 1), level=level, on=D(2026, 8, 1)).amount_idr == amount
    assert nxt.to_dict()["date"] == "2027-07-01" and "citation" in nxt.to_dict()


def test_the_end_age_is_judged_on_the_day_the_year_begins_across_the_birthday():
    birth = D(2004, 8, 10)  # turns 23 on 10 August 2027
    assert year(birth_date=birth, level="PT", on=D(2027, 8, 9)).amount_idr == 12_000_000  # still 22
    ended = year(birth_date=birth, level="PT", on=D(2027, 8, 10))
    assert (ended.amount_idr, ended.ends, ended.ends_on) == (None, True, D(2027, 8, 10))
    assert ended.reason is not None and ended.reason.code == "scholarship_age_limit"
    assert "23 tahun" in ended.reason.text_id and "turned 23" in ended.reason.text_en
    # The chain: a year that began at 22 is paid; the next, on the first of August 2027, is still before
    # the birthday; the one after is not.
    assert scholarship_next(birth_date=birth, level="PT", years_at_level=1, paid_total_idr=0,
                            last_date=D(2026, 8, 20)).amount_idr == 12_000_000
    last = scholarship_next(birth_date=birth, level="PT", years_at_level=2, paid_total_idr=0,
                            last_date=D(2027, 8, 1))
    assert (last.date, last.amount_idr, last.ends_on) == (D(2028, 8, 1), None, D(2027, 8, 10))


def test_a_child_born_on_29_february_turns_23_on_1_march_in_a_common_year():
    birth = D(2004, 2, 29)
    assert year(birth_date=birth, level="PT", on=D(2027, 2, 28)).amount_idr == 12_000_000
    ended = year(birth_date=birth, level="PT", on=D(2027, 3, 1))
    assert ended.ends and ended.ends_on == D(2027, 3, 1)
    assert scholarship_next(birth_date=birth, level="PT", years_at_level=1, paid_total_idr=0,
                            last_date=D(2026, 2, 28)).amount_idr == 12_000_000  # 1 February 2027: 22
    # In a leap year the birthday is the 29th itself.
    assert year(birth_date=D(2005, 2, 28), level="PT", on=D(2028, 2, 28)).ends_on == D(2028, 2, 28)
    assert year(birth_date=D(2001, 2, 28) + dt.timedelta(days=366), level="PT",
                on=D(2028, 3, 1)).amount_idr is None  # born 1 March 2002, 26 by then


def test_a_levels_years_wait_for_the_next_level_and_the_last_level_ends():
    # TK and SD are one level of 8 years.
    assert year(birth_date=D(2014, 1, 1), level="SD", years_at_level=7, on=D(2026, 8, 1)).amount_idr == 1_500_000
    waiting = year(birth_date=D(2014, 1, 1), level="SD", years_at_level=8, on=D(2026, 8, 1))
    assert (waiting.amount_idr, waiting.ends) == (None, False)
    assert waiting.reason is not None and waiting.reason.code == "scholarship_level_years_used"
    assert "naik jenjang" in waiting.reason.text_id
    assert year(birth_date=D(2012, 1, 1), level="SMP", years_at_level=3, on=D(2026, 8, 1)).amount_idr is None
    # After three SMA years the child may still go on to university: it waits.
    assert not year(birth_date=D(2009, 1, 1), level="SMA", years_at_level=3, on=D(2026, 8, 1)).ends
    done = year(birth_date=D(2004, 9, 1), level="PT", years_at_level=5, on=D(2026, 8, 1))
    assert (done.amount_idr, done.ends) == (None, True)
    assert done.reason is not None and "beasiswa selesai" in done.reason.text_id


def test_the_per_child_ceiling_caps_the_last_year_then_ends_it():
    capped = year(birth_date=D(2005, 1, 1), level="PT", years_at_level=1, paid_total_idr=80_000_000,
                  on=D(2026, 8, 1))
    assert (capped.amount_idr, capped.capped) == (7_000_000, True)
    full = year(birth_date=D(2005, 1, 1), level="PT", years_at_level=1, paid_total_idr=87_000_000,
                on=D(2026, 8, 1))
    assert (full.amount_idr, full.ends) == (None, True)
    assert full.reason is not None and full.reason.code == "scholarship_ceiling_reached"
    assert "Rp87.000.000" in full.reason.text_id and "Rp87,000,000" in full.reason.text_en
    # The age limit is said first: it is the reason the family will recognise.
    both = year(birth_date=D(2000, 1, 1), level="PT", paid_total_idr=90_000_000, on=D(2026, 8, 1))
    assert both.reason is not None and both.reason.code == "scholarship_age_limit"


@pytest.mark.parametrize("level", ["", "belum_sekolah", "PAUD"])
def test_a_child_not_in_school_yet_waits_for_school(level):
    waiting = year(birth_date=D(2023, 3, 1), level=level, on=D(2026, 8, 1))
    assert (waiting.amount_idr, waiting.ends, waiting.level) == (None, False, "")
    assert waiting.reason is not None and waiting.reason.code == "scholarship_not_in_school"
    assert "masuk sekolah" in waiting.reason.text_id and "BELUM TERVERIFIKASI" in waiting.reason.text_id


@pytest.mark.parametrize(("kw", "field"), [
    ({"level": "S3"}, "level"),
    ({"level": 7}, "level"),
    ({"years_at_level": -1}, "years_at_level"),
    ({"years_at_level": True}, "years_at_level"),
    ({"paid_total_idr": "87000000"}, "paid_total_idr"),
    ({"birth_date": D(2027, 1, 1)}, "birth_date"),
    ({"on": "2026-13-01"}, "on"),
    ({"on": D(2010, 1, 1), "birth_date": D(2004, 1, 1)}, "on"),  # before the scholarship rules
])
def test_bad_inputs_are_refused_with_the_field(kw, field):
    args = {"birth_date": D(2015, 1, 1), "level": "SD", "years_at_level": 0, "paid_total_idr": 0,
            "on": D(2026, 8, 1), **kw}
    with pytest.raises(RulesInputError) as caught:
        scholarship_year(**args)
    assert caught.value.field == field


# --- Which children: rules.benefits' rule --------------------------------------------------------------

THREE = [{"birth_date": D(2010, 1, 1), "level": "SMP"}, {"birth_date": D(2013, 1, 1), "level": "SD"},
         {"birth_date": D(2016, 1, 1), "level": "SD", "chosen": True}]


def test_a_work_accident_death_takes_two_children_the_chosen_first_and_says_the_family_may_choose():
    taken = scholarship_children(claim_type="jkk", outcome="death", event_date=D(2026, 6, 20),
                                 contribution_months=3, children=THREE)
    assert (taken.triggered, taken.taken) == (True, (0, 2))
    assert any("Keluarga boleh memilih 2 anak" in n.text_id for n in taken.notes)
    none_chosen = scholarship_children(claim_type="jkk", outcome="total_disability", event_date=D(2026, 6, 20),
                                       contribution_months=0, children=[{**c, "chosen": False} for c in THREE])
    assert none_chosen.taken == (0, 1)


@pytest.mark.parametrize(("claim_type", "outcome", "months", "triggered", "code"), [
    ("jkm", "", 36, True, None),
    ("jkm", "", 35, False, "scholarship_min_contributions"),
    ("jkk", "partial_disability", 0, False, "scholarship_not_triggered"),
    ("jkk", "", 0, False, "scholarship_not_triggered"),  # the outcome is not known yet
])
def test_the_trigger_with_and_without_children(claim_type, outcome, months, triggered, code):
    for children in (THREE, []):
        result = scholarship_children(claim_type=claim_type, outcome=outcome, event_date=D(2026, 6, 20),
                                      contribution_months=months, children=children)
        assert result.triggered is triggered
        assert [m.code for m in result.reasons if m.code.startswith("scholarship_")] == ([code] if code else [])
        if not children:
            assert result.taken == () and result.notes == ()
    assert "36" in scholarship_children(claim_type="jkm", outcome="", event_date=D(2026, 6, 20),
                                        contribution_months=35, children=[]).reasons[0].text_id


def test_a_child_already_23_on_the_event_date_is_not_taken_and_the_next_one_is():
    children = [{"birth_date": D(2001, 1, 1), "level": "PT"}, *THREE[:2]]
    result = scholarship_children(claim_type="jkm", outcome="", event_date=D(2026, 6, 20),
                                  contribution_months=40, children=children)
    assert result.taken == (1, 2)
    assert [m.code for m in result.reasons] == ["scholarship_child_too_old"]


def test_a_follow_up_is_not_an_origin():
    with pytest.raises(RulesInputError):
        scholarship_children(claim_type="scholarship", outcome="", event_date=D(2026, 6, 20),
                             contribution_months=0, children=[])
