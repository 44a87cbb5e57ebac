"""The load benchmark's bookkeeping (bench/load.py): lost and duplicate registrations are found.

No server and no locust: the accounting is given what a client heard and what the database holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bench.load import account, stored_by_nik


def sent(nik: str, *answers: tuple[int, int | None, bool]) -> dict[str, Any]:
    return {"key": f"key-{nik}", "nik": nik, "answers": [list(a) for a in answers]}


def test_acknowledged_and_stored_once_is_neither_lost_nor_duplicate() -> None:
    figures = account([sent("1", (201, 10, False)), sent("2", (201, 11, False), (201, 11, True))],
                      {"1": [10], "2": [11]})
    assert figures["lost"] == 0 and figures["duplicates"] == 0 and figures["mismatched_replays"] == 0
    assert figures["registrations_acknowledged"] == 2
    assert figures["registrations_retried"] == 1 and figures["replays"] == 1


def test_an_acknowledged_registration_missing_from_the_database_is_lost() -> None:
    figures = account([sent("1", (201, 10, False)), sent("2", (201, 11, False))], {"2": [11]})
    assert figures["lost"] == 1


def test_an_acknowledged_id_that_is_not_the_stored_one_is_lost() -> None:
    assert account([sent("1", (201, 10, False))], {"1": [12]})["lost"] == 1


def test_a_retry_that_created_a_second_person_is_a_duplicate() -> None:
    figures = account([sent("1", (201, 10, False), (201, 13, False))], {"1": [10, 13]})
    assert figures["duplicates"] == 1
    assert figures["mismatched_replays"] == 1


def test_unanswered_registrations_are_not_lost_and_stored_ones_are_counted() -> None:
    figures = account([sent("1", (409, None, False)), sent("2")], {"1": [10]})
    assert figures["lost"] == 0 and figures["registrations_acknowledged"] == 0
    assert figures["stored_unacknowledged"] == 1 and figures["registrations_sent"] == 2


@pytest.mark.django_db
def test_stored_by_nik_finds_persons_through_the_blind_index(register_person: Any) -> None:
    from jaring.registry.testing import make_nik

    nik = make_nik(birth_date=dt.date(1990, 5, 6), sex="M", serial=4321)
    person = register_person(nik=nik, birth_date=dt.date(1990, 5, 6), sex="M")
    other = make_nik(birth_date=dt.date(1990, 5, 6), sex="M", serial=4322)
    assert stored_by_nik([nik, other, nik]) == {nik: [person.pk]}
    assert account([sent(nik, (201, person.pk, False)), sent(other, (201, 99, False))],
                   stored_by_nik([nik, other]))["lost"] == 1
