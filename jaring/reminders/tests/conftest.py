"""Self-payers with dues, set up through the services, for the reminders' tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from jaring.contributions.services import billing_run, payment_record
from jaring.membership.services import membership_enrol

_kpjs = itertools.count(1)


@pytest.fixture
def bill(personas: dict[str, Any]):  # type: ignore[no-untyped-def]
    def run(first: dt.date, last: dt.date) -> None:
        period = first
        while period <= last:
            billing_run(actor=personas["operator_sorong"], period=period)
            period = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    return run


@pytest.fixture
def self_payer(personas: dict[str, Any], payers: dict[str, Any], register_person: Any):  # type: ignore[no-untyped-def]
    """A self-payer enrolled from January 2026 (a market trader: no transport discount before April),
    with a recorded lawful basis and a mobile number unless told otherwise; ``paid`` months paid on
    the 10th of each."""

    def make(name: str = "Yohanes Kalami", *, paid: int = 0, payer: str = "self", **person: Any):  # type: ignore[no-untyped-def]
        operator = personas["operator_sorong"]
        values = {"full_name": name, "occupation": "market_trader", "consent_basis": "consent",
                  "birth_date": dt.date(1980, 1, 1) + dt.timedelta(days=next(_kpjs) * 37)}
        values.update(person)
        someone = register_person(**values)
        membership = membership_enrol(actor=operator, person=someone, payer=payers[payer], programs="JKK,JKM",
                                      declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1),
                                      kpj=f"2601{next(_kpjs):07d}")
        someone.refresh_from_db()
        return someone, membership

    return make


def pay(actor: Any, membership: Any, months: int, *, paid_on: dt.date) -> None:
    """Pay ``months`` months from the oldest open one (the amount of the dues billed, plus whole
    months ahead when the dues run out)."""
    from jaring.contributions.models import Due

    amounts = list(Due.objects.filter(membership=membership, status="open").order_by("period")
                   .values_list("amount_idr", flat=True)[:months])
    total = sum(amounts) + 16_800 * (months - len(amounts))
    payment_record(actor=actor, membership=membership, amount_idr=total, paid_on=paid_on)
