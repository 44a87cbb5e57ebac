"""A small city whose dashboard figures are counted by hand (see ``test_snapshots.py``).

Reference month R is three months before the running month (every payment lies in the past);
the snapshot is taken "as of" day 20 of R. Six memberships from R-5:

| who | kelurahan (distrik)    | sex | occupation    | payer    | paid                                 | in R        |
|-----|------------------------|-----|---------------|----------|--------------------------------------|-------------|
| A   | Remu (Sorong)          | F   | market_trader | city     | every month, on the 10th             | protected   |
| B   | Remu (Sorong)          | M   | ojek_driver   | city     | every month, on the 10th             | protected   |
| C   | Klawasi (Sorong Barat) | F   | farmer        | province | R-5..R-2 on the 10th, R-1 on R day 5 | at risk (1) |
| D   | Remu (Sorong)          | M   | ojek_driver   | self     | R-5..R-3                             | at risk (3) |
| E   | Klawasi (Sorong Barat) | M   | market_trader | self     | R-5..R-4                             | lapsed R 16 |
| F   | Remu (Sorong)          | F   | fisher        | self     | R-1 and R (member from R-1)          | protected   |

Households of decile 1: H1 in Remu (A: protected) and H2 in Klawasi (C and G, nobody protected).
B is in H3, decile 5. F was registered and enrolled by facilitator_remu.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import KLAWASI, REMU
from jaring.core.money import add_months, month_start


@pytest.fixture
def small_city(personas: dict[str, Any], register_person: Any) -> dict[str, Any]:
    from django.utils import timezone

    from jaring.contributions.models import Due
    from jaring.contributions.services import billing_close, billing_run, invoice_pay, payment_record
    from jaring.membership.services import membership_enrol, payer_create
    from jaring.registry.services import HouseholdInput, household_create
    from jaring.registry.testing import make_kk

    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    facilitator = personas["facilitator_remu"]
    r = add_months(month_start(timezone.localdate()), -3)
    today = r.replace(day=20)
    months = [add_months(r, i) for i in range(-5, 1)]
    payers = {
        "self": payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self"),
        "city": payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                             wadah_code="SG", region_code="96.71"),
        "province": payer_create(actor=admin, code="APBD-PROV", name="APBD Provinsi", kind="government_province",
                                 wadah_code="SG", region_code="96"),
    }
    kks = {}
    for key, kelurahan, decile in (("H1", REMU, 1), ("H2", KLAWASI, 1), ("H3", REMU, 5)):
        kks[key] = make_kk(issued=dt.date(2015, 5, 2), serial=len(kks) + 1)
        household_create(actor=operator, data=HouseholdInput.of(
            kk_number=kks[key], kelurahan=kelurahan, welfare_decile=decile, decile_source="P3KE",
            decile_date=dt.date(2024, 1, 1)))
    people = {
        "A": register_person(full_name="Agustina A", sex="F", occupation="market_trader", kk_number=kks["H1"]),
        "B": register_person(full_name="Benny B", sex="M", occupation="ojek_driver", kk_number=kks["H3"]),
        "C": register_person(full_name="Cornelia C", sex="F", occupation="farmer", kelurahan=KLAWASI,
                             kk_number=kks["H2"]),
        "D": register_person(full_name="Daniel D", sex="M", occupation="ojek_driver"),
        "E": register_person(full_name="Elias E", sex="M", occupation="market_trader", kelurahan=KLAWASI),
        "F": register_person(actor=facilitator, full_name="Fransina F", sex="F", occupation="fisher"),
        "G": register_person(full_name="Gerson G", sex="M", occupation="farmer", kelurahan=KLAWASI,
                             kk_number=kks["H2"]),
    }
    plan = {"A": "city", "B": "city", "C": "province", "D": "self", "E": "self", "F": "self"}
    memberships = {}
    for key, payer in plan.items():
        start = months[4] if key == "F" else months[0]
        memberships[key] = membership_enrol(
            actor=facilitator if key == "F" else operator, person=people[key], payer=payers[payer],
            programs="JKK,JKM", declared_income_idr=1_000_000, start_date=start, kpj=f"26010000{ord(key):03d}")
    for period in months:
        billing_run(actor=operator, period=period)
    for i, period in enumerate(months):
        invoice_pay(actor=operator, payer=payers["city"], period=period, paid_on=period.replace(day=10),
                    reference=f"SP2D-K-{i}")
        if period < months[4]:
            invoice_pay(actor=operator, payer=payers["province"], period=period, paid_on=period.replace(day=10),
                        reference=f"SP2D-P-{i}")
    invoice_pay(actor=operator, payer=payers["province"], period=months[4], paid_on=r.replace(day=5),
                reference="SP2D-P-late")

    def pay(key: str, periods: list[dt.date]) -> None:
        for period in periods:
            due = Due.objects.get(membership=memberships[key], period=period)
            payment_record(actor=operator, membership=memberships[key], amount_idr=due.amount_idr,
                           paid_on=period.replace(day=10), reference=f"{key}-{period:%Y%m}")

    pay("D", months[:3])
    pay("E", months[:2])
    pay("F", months[4:])
    billing_close(actor=operator, as_of=today)
    return {"r": r, "today": today, "months": months, "people": people, "memberships": memberships,
            "payers": payers}
