"""The words: one SMS segment before a due date whatever the name and amount, two at most after."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.reminders.texts import (
    due_soon_params,
    due_soon_text,
    first_name,
    mobile_number,
    overdue_params,
    overdue_text,
)


@pytest.mark.parametrize(("phone", "expected"), [
    ("081234567890", "6281234567890"), ("6281234567890", "6281234567890"), ("+6281234567890", "6281234567890"),
    ("0812345678", "62812345678"), ("0951321456", None), ("", None), ("08123", None), ("0812345678901234", None),
    ("08１２３４５６７８９０", None), ("0812-3456-7890", None),
])
def test_mobile_numbers(phone, expected):
    assert mobile_number(phone) == expected


@pytest.mark.parametrize(("name", "first"), [
    ("Mama Maria Kambu", "Maria"), ("Bapak H. Yohanes Kalami", "Yohanes"), ("Ny. Siti", "Siti"),
    ("Christophorus Abcdefghijklmnop", "Christophorus"), ("Abcdefghijklmnopqrst", "Abcdefghijklmno"),
    ("", "Bapak/Ibu"),
])
def test_first_name(name, first):
    assert first_name(name) == first


def test_worst_case_lengths():
    longest = due_soon_text(due_soon_params(full_name="Abcdefghijklmnopqrst", period=dt.date(2026, 9, 1),
                                            amount_idr=627_800, due_date=dt.date(2026, 9, 15), kpj="26010000001"))
    assert len(longest) <= 160
    overdue = overdue_text(overdue_params(full_name="Abcdefghijklmnopqrst", months=3, oldest=dt.date(2026, 9, 1),
                                          owed_idr=1_883_400, pay_by=dt.date(2026, 12, 15), kpj="26010000001"))
    assert len(overdue) <= 2 * 153
