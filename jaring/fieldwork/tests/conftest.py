"""Members in arrears for the field-work tests, set up through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from jaring.contributions.services import billing_run
from jaring.core.money import add_months, month_start
from jaring.membership.services import membership_enrol

_kpjs = itertools.count(1)


def kpj() -> str:
    return f"2612{next(_kpjs):07d}"


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def enrol(personas: dict[str, Any], payers: dict[str, Any]) -> Any:
    """Enrol ``person`` from ``months_back`` months before the running month, through the services."""

    def make(person: Any, *, months_back: int = 0, payer: str = "self", actor: Any = None) -> Any:
        start = add_months(month_start(timezone.localdate()), -months_back)
        return membership_enrol(actor=actor or personas["operator_sorong"], person=person, payer=payers[payer],
                                programs="JKK,JKM", declared_income_idr=1_000_000, start_date=start, kpj=kpj())

    return make


@pytest.fixture
def bill(personas: dict[str, Any]) -> Any:
    """Bill the ``n`` months before the running month (their due dates have passed): nobody pays."""

    def run(n: int = 2) -> None:
        running = month_start(timezone.localdate())
        for back in range(n, 0, -1):
            billing_run(actor=personas["operator_sorong"], period=add_months(running, -back))

    return run


@pytest.fixture
def behind(register_person: Any, enrol: Any, bill: Any) -> dict[str, Any]:
    """Members in arrears: two self-payers of Remu two months behind, one of Remu one month behind,
    a city-paid one of Remu, and a self-payer of Klawasi (outside facilitator_remu's area)."""
    from conftest import KLAWASI

    people = {}
    for key, months_back, payer, kelurahan in (("two_a", 2, "self", None), ("two_b", 2, "self", None),
                                               ("one", 1, "self", None), ("city", 2, "city", None),
                                               ("far", 2, "self", KLAWASI)):
        extra = {"kelurahan": kelurahan} if kelurahan else {}
        person = register_person(full_name=f"Peserta {key}", **extra)
        enrol(person, months_back=months_back, payer=payer)
        people[key] = person
    bill(2)
    return people
