"""Block invoices paid in part, and "protected on a day", through the API."""

import datetime as dt

from jaring.contributions.services import billing_run, invoice_pay
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.services import membership_enrol, payer_create


def test_quarter_invoice_issued_and_paid_in_part(api_for, personas, register_person):
    payer_create(actor=personas["admin_sorong"], code="APBD-KOTA", name="APBD Kota", kind="government_city")
    for i in range(2):
        membership_enrol(actor=personas["operator_sorong"], person=register_person(), payer=_payer(),
                         programs="JKK,JKM", declared_income_idr=1_000_000, start_date=dt.date(2026, 12, 1),
                         kpj=f"2616{i:07d}")
    client = api_for("operator_sorong")
    issued = client.post("/api/v1/invoices/issue/", {"payer": "APBD-KOTA", "period": "2027-01", "months": 3},
                         format="json")
    assert issued.status_code == 201, issued.content
    body = issued.json()
    assert (body["period"], body["period_to"], body["months"], body["total_idr"]) == ("2027-01", "2027-03", 3, 100_800)
    part = client.post("/api/v1/invoices/pay/", {"payer": "APBD-KOTA", "period": "2027-01", "paid_on": "2026-12-07",
                                                 "reference": "SP2D-9", "amount_idr": 33_600}, format="json")
    assert part.status_code == 200 and part.json()["status"] == "partial" and part.json()["outstanding_idr"] == 67_200
    again = client.post("/api/v1/invoices/pay/", {"payer": "APBD-KOTA", "period": "2027-01", "paid_on": "2026-12-07",
                                                  "reference": "SP2D-9", "amount_idr": 33_600}, format="json")
    assert again.status_code == 200 and again.json()["paid_idr"] == 33_600  # the same transfer, not twice
    too_much = client.post("/api/v1/invoices/pay/", {"payer": "APBD-KOTA", "period": "2027-01",
                                                     "paid_on": "2026-12-07", "reference": "SP2D-10",
                                                     "amount_idr": 1_000_000}, format="json")
    assert too_much.status_code == 400 and "amount_idr" in too_much.json()["error"]["fields"]
    negative = client.post("/api/v1/invoices/pay/", {"payer": "APBD-KOTA", "period": "2027-01",
                                                     "paid_on": "2026-12-07", "reference": "SP2D-11",
                                                     "amount_idr": -5}, format="json")
    assert negative.status_code == 400
    misaligned = client.post("/api/v1/invoices/issue/", {"payer": "APBD-KOTA", "period": "2027-05", "months": 3},
                             format="json")
    assert misaligned.status_code == 400
    assert client.post("/api/v1/invoices/issue/", {"payer": "APBD-KOTA", "period": "2027-04", "months": 4},
                       format="json").status_code == 400
    facilitator = api_for("facilitator_remu")
    assert facilitator.post("/api/v1/invoices/issue/", {"payer": "APBD-KOTA", "period": "2027-04", "months": 3},
                            format="json").status_code == 403


def _payer():  # type: ignore[no-untyped-def]
    from jaring.membership.models import Payer

    return Payer.objects.get(code="APBD-KOTA")


def test_protection_on_a_day(api_for, personas, register_person):
    admin = personas["admin_sorong"]
    payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota", kind="government_city")
    person = register_person()
    running = month_start(dt.date.today())
    last = add_months(running, -1)
    membership_enrol(actor=personas["operator_sorong"], person=person, payer=_payer(), programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=last, kpj="26170000001")
    for period in (last, running):
        billing_run(actor=admin, period=period)
    invoice_pay(actor=admin, payer=_payer(), period=last, paid_on=last.replace(day=10), reference="SP2D-1")
    client = api_for("facilitator_remu")
    on_first = client.get(f"/api/v1/persons/{person.pk}/protection/", {"as_of": running.isoformat()})
    assert on_first.status_code == 200
    assert on_first.json()["protected"] is True and on_first.json()["protected_reason"] == "not_yet_due"
    later = client.get(f"/api/v1/persons/{person.pk}/protection/",
                       {"as_of": (add_months(running, 1) - dt.timedelta(days=1)).isoformat()})
    assert later.json()["protected"] is False and later.json()["oldest_unpaid"] == format_month(running)
    assert client.get(f"/api/v1/persons/{person.pk}/protection/", {"as_of": "1-12-2026"}).status_code == 400
    elsewhere = api_for("facilitator_klawasi").get(f"/api/v1/persons/{person.pk}/protection/")
    assert elsewhere.status_code == 404
