"""Money and month helpers (jaring.core.money): pure functions, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaring.core.money import (
    add_months,
    age_on,
    format_idr,
    format_month,
    month_range,
    month_start,
    months_between,
    parse_month,
    round_idr,
)

# --- round_idr ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, expected", [
    (Decimal("0.5"), 1),
    (Decimal("1.5"), 2),
    (Decimal("2.5"), 3),          # half up, not banker's rounding (which gives 2)
    (Decimal("16800.5"), 16801),
    (Decimal("16800.49"), 16800),
    (Decimal("16800.4999999"), 16800),
    (Decimal("0.49"), 0),
    (Decimal("-0.5"), -1),        # half away from zero
    (Decimal("-2.5"), -3),
    (Decimal("-2.4"), -2),
    (Decimal("12000.00"), 12000),
    (Decimal("1E+3"), 1000),
    (16800, 16800),
    (0, 0),
])
def test_round_idr_rounds_half_up(amount, expected):
    result = round_idr(amount)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("amount", [0.5, 16800.0, 1e3, float("nan"), "16800", None])
def test_round_idr_refuses_floats_and_strings(amount):
    with pytest.raises(TypeError):
        round_idr(amount)  # type: ignore[arg-type]


def test_a_contribution_rate_times_an_income_rounds_half_up():
    # A rate times an income: 2,400 exactly; 3,703.701 → 3,704; 6,172.5 → 6,173.
    assert round_idr(Decimal("0.0024") * 1_000_000) == 2400
    assert round_idr(Decimal("0.003") * 1_234_567) == 3704
    assert round_idr(Decimal("0.005") * 1_234_500) == 6173


@settings(max_examples=300, deadline=None)
@given(whole=st.integers(-10**12, 10**12), cents=st.integers(0, 99))
def test_round_idr_property(whole, cents):
    amount = Decimal(whole) + Decimal(cents) / 100
    result = round_idr(amount)
    assert abs(Decimal(result) - amount) <= Decimal("0.5")
    if cents == 50:
        assert result == (whole + 1 if whole >= 0 else whole)  # ties go away from zero
    if cents == 0:
        assert result == whole


# --- format_idr -----------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, text", [
    (16800, "Rp16.800"), (0, "Rp0"), (999, "Rp999"), (1_000_000, "Rp1.000.000"),
    (-42000, "-Rp42.000"), (None, "-"),
])
def test_format_idr(amount, text):
    assert format_idr(amount) == text


# --- Months ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("day, first", [
    (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
    (dt.date(2026, 3, 31), dt.date(2026, 3, 1)),
    (dt.date(2024, 2, 29), dt.date(2024, 2, 1)),
    (dt.date(2025, 12, 15), dt.date(2025, 12, 1)),
])
def test_month_start_is_the_first_of_the_month(day, first):
    assert month_start(day) == first


@pytest.mark.parametrize("month, n, expected", [
    (dt.date(2026, 1, 1), 1, dt.date(2026, 2, 1)),
    (dt.date(2025, 11, 1), 3, dt.date(2026, 2, 1)),      # across a year end
    (dt.date(2025, 12, 1), 1, dt.date(2026, 1, 1)),
    (dt.date(2026, 1, 1), -1, dt.date(2025, 12, 1)),     # backwards across a year start
    (dt.date(2026, 3, 1), -15, dt.date(2024, 12, 1)),
    (dt.date(2026, 3, 1), 24, dt.date(2028, 3, 1)),
    (dt.date(2026, 3, 1), 0, dt.date(2026, 3, 1)),
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 1)),      # never 31 February: months are first days
    (dt.date(2026, 3, 15), 0, dt.date(2026, 3, 1)),
])
def test_add_months(month, n, expected):
    assert add_months(month, n) == expected


@pytest.mark.parametrize("first, last, n", [
    (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),
    (dt.date(2025, 11, 1), dt.date(2026, 2, 1), 3),
    (dt.date(2026, 2, 1), dt.date(2025, 11, 1), -3),
    (dt.date(2016, 1, 1), dt.date(2026, 1, 1), 120),
])
def test_months_between(first, last, n):
    assert months_between(first, last) == n


def test_month_range_starts_at_the_first_and_crosses_years():
    assert month_range(dt.date(2025, 11, 20), 4) == [
        dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert month_range(dt.date(2025, 11, 1), 0) == []


@pytest.mark.parametrize("text, month", [
    ("2026-03", dt.date(2026, 3, 1)), ("2025-12", dt.date(2025, 12, 1)), (" 2026-01 ", dt.date(2026, 1, 1)),
])
def test_parse_month(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "03-2026", "2026/03", "2026-03-01", "", "Maret"])
def test_parse_month_refuses_other_shapes(text):
    with pytest.raises(ValueError):
        parse_month(text)


def test_format_month():
    assert format_month(dt.date(2026, 3, 1)) == "2026-03"
    assert format_month(dt.date(999, 1, 1)) == "0999-01"


months = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 12, 31))


@settings(max_examples=300, deadline=None)
@given(day=months, n=st.integers(-600, 600))
def test_add_months_properties(day, n):
    moved = add_months(day, n)
    assert moved.day == 1
    assert months_between(month_start(day), moved) == n
    assert add_months(moved, -n) == month_start(day)
    assert add_months(add_months(day, n), 1) == add_months(day, n + 1)
    assert parse_month(format_month(moved)) == moved


# --- Age ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("born, on, age", [
    (dt.date(1985, 3, 14), dt.date(2026, 3, 13), 40),
    (dt.date(1985, 3, 14), dt.date(2026, 3, 14), 41),   # the birthday itself counts
    (dt.date(1985, 3, 14), dt.date(2026, 12, 31), 41),
    (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),   # a leap-day birthday comes on 1 March
    (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),
])
def test_age_on(born, on, age):
    assert age_on(born, on) == age
