"""Due dates: the 15th of the month covered, or the next working day (DOMAIN §2.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules import (
    ParameterError,
    RulesInputError,
    check_coverage,
    due_date,
    is_working_day,
    load_parameters,
    next_working_day,
)
from jaring.rules.calendar import day_off_name

from .conftest import WriteToml

D = dt.date
WORKING_DAYS = """
id = "w"
family = "working_days"
title = "test"
effective_from = 2015-07-01
replaces = ["working-days-id"]

[values.saturday_is_day_off]
value = {saturday}
citation = "test"

[values.holiday_categories]
value = {categories}
citation = "test"

[values.extra_days_off]
value = {extra}
citation = "test"

[values.removed_days_off]
value = {removed}
citation = "test"
"""


def working_days(
    write_toml: WriteToml,
    *,
    saturday: str = "false",
    categories: str = '["public", "government"]',
    extra: str = "[]",
    removed: str = "[]",
):
    text = WORKING_DAYS.format(saturday=saturday, categories=categories, extra=extra, removed=removed)
    return load_parameters([write_toml("w.toml", text)])


@pytest.mark.parametrize(
    ("period", "expected", "why"),
    [
        ("2026-11", D(2026, 11, 16), "15 Nov 2026 is a Sunday"),
        ("2026-03", D(2026, 3, 16), "15 Mar 2026 is a Sunday"),
        ("2026-02", D(2026, 2, 18), "Sunday, then cuti bersama Imlek (16), then Imlek (17)"),
        ("2025-06", D(2025, 6, 16), "15 Jun 2025 is a Sunday"),
        ("2026-08", D(2026, 8, 15), "a Saturday is a working day"),
        ("2026-04", D(2026, 4, 15), "a Wednesday"),
        ("2026-09", D(2026, 9, 15), "a Tuesday"),
    ],
)
def test_due_date(period, expected, why):
    assert due_date(period) == expected, why
    assert due_date(D.fromisoformat(period + "-01")) == expected


def test_due_date_is_always_a_working_day_on_or_after_the_15th():
    for year in (2024, 2025, 2026, 2027):
        for month in range(1, 13):
            due = due_date(D(year, month, 1))
            assert due.day >= 15 and due.month == month and is_working_day(due)
            assert due.weekday() != 6
            between = [D(year, month, day) for day in range(15, due.day)]
            assert not any(is_working_day(day) for day in between)


def test_holidays_and_cuti_bersama_are_days_off():
    assert not is_working_day(D(2026, 8, 17))  # Hari Kemerdekaan, from the holidays package
    assert not is_working_day(D(2026, 3, 20))  # cuti bersama Idul Fitri, SKB 2026
    assert day_off_name(D(2026, 3, 20)) == "Cuti bersama Idul Fitri 1447 H"
    assert day_off_name(D(2026, 8, 17))
    assert is_working_day(D(2026, 8, 18)) and day_off_name(D(2026, 8, 18)) is None
    assert not is_working_day(D(2026, 11, 15))  # Sunday
    assert is_working_day(D(2026, 8, 15))  # Saturday
    assert next_working_day(D(2026, 3, 19)) == D(2026, 3, 25)  # Nyepi to Idul Fitri leave


def test_saturday_is_a_parameter(write_toml):
    params = working_days(write_toml, saturday="true")
    assert not is_working_day(D(2026, 8, 15), params)
    assert due_date("2026-08", params) == D(2026, 8, 18)  # Sat, Sun, then 17 August


def test_extra_and_removed_days(write_toml):
    params = working_days(
        write_toml,
        extra='[{ date = 2026-04-15, name = "Pemilu", citation = "Keppres X" }]',
        removed='[{ date = 2026-08-17, name = "test" }]',
    )
    assert is_working_day(D(2026, 8, 17), params)
    assert day_off_name(D(2026, 4, 15), params) == "Pemilu"
    assert due_date("2026-04", params) == D(2026, 4, 16)
    assert due_date("2026-08", params) == D(2026, 8, 15)


def test_cuti_bersama_is_a_parameter(write_toml):
    public_only = working_days(write_toml, categories='["public"]')
    assert is_working_day(D(2026, 3, 24), public_only)  # cuti bersama Idul Fitri
    assert not is_working_day(D(2026, 3, 24), working_days(write_toml))
    assert not is_working_day(D(2026, 8, 17), public_only)
    assert due_date("2026-02", public_only) == D(2026, 2, 16)  # Sunday only; 17 is Imlek
    nothing = working_days(write_toml, categories="[]")
    assert is_working_day(D(2026, 8, 17), nothing)


def test_shipped_2026_cuti_bersama_are_cited(params):
    extra = params.on(D(2026, 1, 1)).param("working_days", "extra_days_off")
    assert len(extra.value) == 8 and all(day.year == 2026 for day in extra.value)
    assert "1497" in extra.citation and "[UNVERIFIED]" in extra.note


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"extra": '[{ date = 2026-08-17, name = "x" }]', "removed": '[{ date = 2026-08-17, name = "x" }]'},
         "values.removed_days_off"),
        ({"removed": '[{ date = "2026-08-17", name = "x" }]'}, "values.removed_days_off.value[0].date"),
        ({"removed": "[{ date = 2026-08-17 }]"}, "values.removed_days_off.value[0].name"),
        ({"removed": '[{ date = 2026-08-17, name = "x", verified = false }]'},
         "values.removed_days_off.value[0].note"),
        ({"removed": '[{ date = 2026-08-17, name = "x" }, { date = 2026-08-17, name = "y" }]'},
         "values.removed_days_off.value"),
        ({"removed": "[2026-08-17]"}, "values.removed_days_off.value[0]"),
        ({"categories": '["religious"]'}, "values.holiday_categories.value"),
        ({"saturday": '"no"'}, "values.saturday_is_day_off.value"),
    ],
)
def test_invalid_working_days_are_refused(write_toml, change, key):
    with pytest.raises(ParameterError) as info:
        working_days(write_toml, **change)
    assert info.value.key == key


def test_the_first_month_is_due_no_earlier_than_the_start():
    # Joined on Tuesday 17 November 2026: November is due that day, not on the 16th.
    result = check_coverage(
        start=D(2026, 11, 17), paid={D(2026, 11, 1): D(2026, 11, 17)}, event_date=D(2026, 11, 17)
    )
    assert result.protected
    late = check_coverage(
        start=D(2026, 11, 10), paid={D(2026, 11, 1): D(2026, 11, 16)}, event_date=D(2026, 11, 12)
    )
    assert late.protected and late.reasons[0].code == "paid_after_event_before_due"


def test_bad_period():
    with pytest.raises(RulesInputError) as info:
        due_date("2026-13")
    assert info.value.field == "period"
