"""The 24-month coverage strip on the person page, on a phone."""

import datetime as dt

import pytest

from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_coverage_strip_renders(phone, live_server, personas, register_person):
    from jaring.contributions.services import billing_run, invoice_pay
    from jaring.membership.services import membership_enrol, payer_create

    operator = personas["operator_sorong"]
    city = payer_create(actor=personas["admin_sorong"], code="APBD-KOTA", name="APBD Kota Sorong",
                        kind="government_city", wadah_code="SG")
    person = register_person(full_name="Selfina Kalami", sex="F", birth_date=dt.date(1988, 4, 2),
                             nik="9271014204880001")
    today = dt.date.today()
    start = dt.date(today.year - 1, today.month, 1)
    membership_enrol(actor=operator, person=person, payer=city, programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=start, kpj="26010000001")
    period = start
    for i in range(6):
        billing_run(actor=operator, period=period)
        if i < 4:
            invoice_pay(actor=operator, payer=city, period=period, paid_on=period.replace(day=20 if i % 2 else 10),
                        reference=f"SP2D-{i}")
        period = dt.date(period.year + (period.month == 12), period.month % 12 + 1, 1)
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/{person.pk}/")
    strip = phone.locator(".strip .cell")
    assert strip.count() == 24
    assert phone.locator(".strip .s-paid_on_time").count() == 2
    assert phone.locator(".strip .s-paid_late").count() == 2
    assert phone.locator(".strip .s-unpaid").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "coverage_strip_phone")
