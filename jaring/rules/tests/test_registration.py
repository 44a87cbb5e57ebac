"""Registration: protection start (never backdated) and age limits."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules import RulesInputError, protection_start, registration_age_problems

D = dt.date


def test_protection_starts_when_registration_is_received():
    assert protection_start(received_on=D(2026, 2, 3)) == D(2026, 2, 3)


def test_agreed_later_start_is_kept():
    assert protection_start(received_on=D(2026, 2, 3), agreed_start=D(2026, 3, 1)) == D(2026, 3, 1)


def test_protection_is_never_backdated():
    with pytest.raises(RulesInputError) as info:
        protection_start(received_on=D(2026, 2, 3), agreed_start=D(2026, 1, 1))
    assert info.value.field == "agreed_start"
    assert "surut" in info.value.message


@pytest.mark.parametrize(
    ("birth", "local", "codes"),
    [
        (D(1990, 1, 1), True, []),
        (D(2008, 2, 4), True, []),  # 18 today
        (D(2008, 2, 5), True, ["age_outside_local_window"]),  # 17
        (D(2008, 2, 5), False, []),  # the national rule has no lower limit here
        (D(1961, 2, 5), True, []),  # 64
        (D(1961, 2, 4), True, ["age_not_below_limit"]),  # 65: local 18–65 allows, BPU does not
        (D(1950, 1, 1), True, ["age_not_below_limit", "age_outside_local_window"]),
    ],
)
def test_age_limits(birth, local, codes):
    problems = registration_age_problems(birth_date=birth, on=D(2026, 2, 4), local_programme=local)
    assert [p.code for p in problems] == codes


def test_birth_after_registration_is_an_error():
    with pytest.raises(RulesInputError):
        registration_age_problems(birth_date=D(2027, 1, 1), on=D(2026, 1, 1))
